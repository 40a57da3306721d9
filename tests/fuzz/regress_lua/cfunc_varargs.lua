-- expect: cfunc_varargs.lua:5: script ran too long (instruction limit)
-- a call given 100000 arguments pays for them, each time
local t = {}
for i = 1, 100000 do t[i] = i end
local function f(...) for i = 1, 1e7 do local n = select("#", ...) end end
f(table.unpack(t))
