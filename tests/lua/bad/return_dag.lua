-- expect: return_dag.lua: the script returned more than 10000 grids
-- the same list held twice at each of 24 levels: 2^24 grids, not a cycle
local g = grid{ data = dataset "lua-data/tiny.h5", student = mlp{}, method = erm{} }
local t = { g }
for i = 1, 24 do t = { t, t } end
return t
