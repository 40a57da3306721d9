-- A grid whose teacher diverges (lr 1e6): it must fail with the reason, its
-- students must be skipped, and the rest of the grid must finish.
local d = dataset "run_diverge.h5"
local bad = train {
  data = d, arch = mlp{16}, method = erm{},
  optim = sgd{ lr = 1e6, momentum = 0.9 }, epochs = 3,
}
return {
  grid { data = d, teacher = bad, student = mlp{8}, method = sweep{ kd{}, dett{} }, epochs = 2 },
  grid { data = d, student = mlp{8}, method = erm{}, epochs = 2 },
}
