-- expect: empty_sweep.lua:3: sweep{}: empty sweep (an axis needs at least one value)
local d = dataset "lua-data/tiny.h5"
return grid{ data = d, student = mlp{4}, method = erm{}, seeds = sweep{} }
