-- expect: deep_recursion.lua:2: stack overflow
local function f(n) return f(n + 1) + 1 end
f(1)
