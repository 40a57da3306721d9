-- expect: memory_table.lua: script exceeded the memory limit (256 MB)
local big = "x"
for k = 1, 19 do big = big .. big end   -- 512 KB
local t = {}
for i = 1, 1e9 do t[i] = big .. i end   -- table of distinct 512 KB strings
