-- expect: recursion_gsub.lua:
-- recursion through a C function (gsub's callback)
local function f(s) return (string.gsub("x", ".", f)) end
f("x")
