-- expect: memory_string.lua: script built a string longer than 1 MB (the limit for one string)
local s = "x"
while true do s = s .. s end
