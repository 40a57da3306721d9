-- jobs: 4
-- A teacher trained with JTT needs its own identification model; mlp{}
-- widths may hold a sweep.
local d = dataset "lua-data/tiny.h5"
local t = train{ data = d, arch = mlp{32}, method = jtt{ T = 2, up = 10 }, select = "oracle" }
return grid{ data = d, teacher = t, student = mlp{ sweep{8, 16} }, method = fitnet{ feat_w = 2 } }
