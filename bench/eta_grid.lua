-- The grid of bench/eta_accuracy.sh: a teacher, then students of two sizes
-- and five methods over three seeds (34 jobs; about 2-3 minutes on 2 ranks).
local d = dataset "eta_synth.h5"
local teacher = train {
  data = d, arch = mlp{128, 128}, method = groupdro{ eta = 0.01 },
  optim = sgd{ lr = 0.01, momentum = 0.9, wd = 1e-4 }, epochs = 20, batch = 64, seed = 1,
}
return grid {
  data = d, teacher = teacher, epochs = 20, batch = 64, seeds = sweep{1, 2, 3},
  student = sweep{ mlp{8}, mlp{64, 64} },
  method = sweep{ erm{}, kd{ T = 4, alpha = 0.9 }, simkd{}, dett{ up = 50 }, groupdro{} },
}
