-- expect: cfunc_copy_loop.lua:4: script ran too long (instruction limit)
-- each call copies 1 MB in C: the bytes it allocates are charged
local s = string.rep("x", 1 << 20)
for i = 1, 1e8 do local t = s:upper() end
