-- expect: cfunc_pattern.lua:4: pattern too complex for a 5000-byte subject
-- backtracking in C: 5000^5 steps; refused before it starts
local s = string.rep("a", 5000)
return s:find(".-.-.-.-b")
