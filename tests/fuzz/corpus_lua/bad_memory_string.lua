-- expect: memory_string.lua: script exceeded the memory limit (256 MB)
local s = "x"
while true do s = s .. s end
