-- expect: recursion_c.lua:3: C stack overflow
-- recursion through a metamethod overflows the C stack, not Lua's
local t = setmetatable({}, { __index = function(t, k) return t[k] end })
local x = t.a
