-- expect: batch_zero.lua:3: train{}: 'batch' must be in [1, 16777216], got 0
local d = dataset "lua-data/tiny.h5"
local t = train{ data = d, arch = mlp{4}, batch = 0 }
