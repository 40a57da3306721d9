-- The demo grid (README quick start): on the synthetic spurious-correlation
-- data, a group-DRO teacher and, for two student sizes, ERM, KD, SimKD, DeTT
-- and group-DRO students, two seeds each.
--   dett data synth -o build/demo/synth.h5
--   mpirun -np 2 dett run experiments/quickstart.lua -o build/demo/quickstart.h5
local d = dataset "build/demo/synth.h5"

local teacher = train {
  data = d, arch = mlp{128, 128},
  method = groupdro{ eta = 0.01 },
  optim = sgd{ lr = 0.01, momentum = 0.9, wd = 1e-4 },
  epochs = 20, batch = 64, seed = 1,
}

return grid {
  data = d, teacher = teacher, epochs = 20, batch = 64,
  seeds = sweep{1, 2},
  student = sweep{ mlp{8}, mlp{32, 32} },
  method = sweep{
    erm{}, kd{ T = 4, alpha = 0.9 }, simkd{}, dett{ up = 50 }, groupdro{},
  },
  select = "val-worst",
}
