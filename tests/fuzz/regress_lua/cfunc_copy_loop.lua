-- expect: cfunc_copy_loop.lua:4: script ran too long (instruction limit)
-- each call copies 16 MB in C: the bytes it allocates are charged
local s = string.rep("x", 1 << 24)
for i = 1, 1e6 do local t = s:upper() end
