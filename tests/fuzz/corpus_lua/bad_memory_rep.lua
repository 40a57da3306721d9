-- expect: memory_rep.lua: script exceeded the memory limit (256 MB)
local s = string.rep("x", 1 << 30)
