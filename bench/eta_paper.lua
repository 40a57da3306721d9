-- bench/eta_accuracy.sh's reduction of experiments/paper_table.lua: one
-- benchmark (cfmnist at 7 x 7 instead of 14 x 14, to take minutes; its
-- group-DRO teacher and two student sizes, as in the table) with every
-- job class of the paper table (ERM, KD, JTT and group DRO at three SGD
-- learning rates; FitNet, SimKD and DeTT at three AdamW ones; the
-- identification jobs of JTT and DeTT), one seed instead of three: 45 jobs.
local d = dataset "cfmnist7.h5"
local teacher = train {
  data = d, arch = mlp{256, 256}, method = groupdro{ eta = 0.01 },
  optim = sgd{ lr = 0.01, momentum = 0.9, wd = 1e-4 }, epochs = 10, batch = 128,
}
local common = { data = d, teacher = teacher, epochs = 10, batch = 128, seeds = {1},
                 student = sweep{ mlp{16}, mlp{64} }, select = "val-worst" }
local function with(t)
  local g = {}
  for k, v in pairs(common) do g[k] = v end
  for k, v in pairs(t) do g[k] = v end
  return grid(g)
end
return {
  with {
    method = sweep{ erm{}, kd{ T = 4, alpha = 0.9 }, jtt{ T = 1, up = 20 }, groupdro{ eta = 0.01 } },
    optim = sweep{ sgd{ lr = 0.003 }, sgd{ lr = 0.01 }, sgd{ lr = 0.03 } },
  },
  with {
    method = sweep{ fitnet{}, simkd{}, dett{ up = 50 } },
    optim = sweep{ adamw{ lr = 3e-4 }, adamw{ lr = 1e-3 }, adamw{ lr = 3e-3 } },
  },
}
