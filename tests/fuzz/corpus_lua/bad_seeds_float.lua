-- expect: seeds_float.lua:3: grid{}: 'seeds'[2] must be an integer, got 2.5
local d = dataset "lua-data/tiny.h5"
return grid{ data = d, student = mlp{4}, method = erm{}, seeds = {1, 2.5} }
