-- expect: memory_table.lua: script exceeded the memory limit (256 MB)
local big = "x"
for k = 1, 23 do big = big .. big end   -- 8 MB
local t = {}
for i = 1, 1e9 do t[i] = big .. i end   -- table of distinct 8 MB strings
