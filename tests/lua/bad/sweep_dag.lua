-- expect: sweep_dag.lua:7: script ran too long (instruction limit)
-- a sweep holding the same sweep twice at each of 30 levels: 2^30 seeds;
-- checking copies each one, and each copy is charged (before: 2+ s until
-- the memory cap stopped it)
local s = sweep{ 1, 2 }
for i = 1, 30 do s = sweep{ s, s } end
return grid{ data = dataset "lua-data/tiny.h5", student = mlp{}, method = erm{}, seeds = s }
