-- The weighting ablation a reviewer asks for: lambda_up x identification
-- epochs T for the jtt weighting, against no weighting, the group-balanced
-- oracle and a Lua-function scheme, for two student widths; DeTT students of
-- one group-DRO teacher on coloured Fashion-MNIST at rho 0.995 (where plain
-- distillation starts to lose the teacher's debiasing). Data: scripts/paper_data.sh.
--   mpirun -np 2 dett run experiments/ablation_weighting.lua -o build/exp/ablation_weighting.h5
local d = dataset "build/exp/cfmnist14_rho0.995.h5"
local teacher = train {
  data = d, arch = mlp{256, 256}, method = groupdro{ eta = 0.01 },
  optim = sgd{ lr = 0.01, momentum = 0.9, wd = 1e-4 }, epochs = 8, batch = 128,
}
-- a soft scheme: upweight by the identification model's loss, capped
local function by_loss(s) return math.min(1 + 10 * s.id_loss, 50) end
return grid {
  data = d, teacher = teacher, epochs = 8, batch = 128, seeds = {1, 2},
  student = sweep{ mlp{16}, mlp{64} },
  method = sweep{
    dett{ weighting = jtt{ T = sweep{1, 2, 5}, up = sweep{1, 5, 20, 50, 100} } },
    dett{ weighting = none },
    dett{ weighting = group_balanced },
    dett{ weighting = by_loss, T = 1 },
  },
}
