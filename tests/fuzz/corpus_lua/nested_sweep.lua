-- jobs: 6
-- A sweep inside dett multiplies only dett: teacher, erm, one shared ident
-- model (the three dett students have the same student config), 3 dett.
local d = dataset "lua-data/tiny.h5"
local t = train{ data = d, arch = mlp{32}, epochs = 5 }
return grid{
  data = d, teacher = t, student = mlp{8},
  method = sweep{ erm{}, dett{ up = sweep{5, 20, 50} } },
}
