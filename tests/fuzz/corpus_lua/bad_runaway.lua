-- expect: runaway.lua:3: script ran too long (instruction limit)
local n = 0
while true do n = n + 1 end
