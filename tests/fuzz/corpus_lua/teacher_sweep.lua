-- jobs: 5
-- Two teachers (a sweep inside train{}): 2 teachers, 2 kd students, and one
-- erm student (erm does not use the teacher, so its two cells are one job).
local d = dataset "lua-data/tiny.h5"
local t = train{ data = d, arch = mlp{32}, seed = sweep{1, 2} }
return grid{ data = d, teacher = t, student = mlp{8}, method = sweep{ kd{}, erm{} } }
