-- expect: too_many_jobs.lua:5: expands to more than 10000 values
local d = dataset "lua-data/tiny.h5"
local s = {}
for i = 1, 200 do s[i] = i end
return grid{ data = d, student = mlp{4}, method = erm{},
             epochs = sweep(s), seeds = s }
