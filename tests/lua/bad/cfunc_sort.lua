-- expect: cfunc_sort.lua:5: script ran too long (instruction limit)
-- sorting a million entries is charged n log n per call
local t = {}
for i = 1, 1000000 do t[i] = i end
for i = 1, 1000 do table.sort(t) end
