-- jobs: 5
-- jtt{} and dett's jtt weighting with the same T, optimiser, student and
-- seed share one identification model: teacher, ident, jtt, 2 dett.
local d = dataset "lua-data/tiny.h5"
local t = train{ data = d, arch = mlp{32} }
return grid{
  data = d, teacher = t, student = mlp{16}, optim = sgd{ lr = 0.01 },
  method = sweep{ jtt{}, dett{ weighting = jtt{ T = 1, up = sweep{10, 50} } } },
}
