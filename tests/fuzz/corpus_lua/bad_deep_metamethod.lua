-- expect: stack overflow
-- recursion through a C boundary (metamethods) hits the C stack limit cleanly
local t = setmetatable({}, { __index = function(t, k) return t[k] end })
local x = t.anything
