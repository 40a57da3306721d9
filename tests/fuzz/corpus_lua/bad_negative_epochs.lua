-- expect: negative_epochs.lua:3: grid{}: 'epochs' must be in [1, 100000], got -5
local d = dataset "lua-data/tiny.h5"
return grid{ data = d, student = mlp{4}, method = erm{}, epochs = -5 }
