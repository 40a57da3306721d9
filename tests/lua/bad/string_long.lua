-- expect: string_long.lua: script built a string longer than 1 MB (the limit for one string)
-- long strings are compared in one VM instruction: their length is capped
local s = string.rep("a", 2000000)
local u = s .. "b"
for i = 1, 1e9 do local x = s < u end
return grid{ data = dataset "lua-data/tiny.h5", student = mlp{}, method = erm{} }
