-- expect: seeds_negative.lua:3: grid{}: 'seeds' must be >= 0, got -1
local d = dataset "lua-data/tiny.h5"
return grid{ data = d, student = mlp{4}, method = erm{}, seeds = sweep{1, -1} }
