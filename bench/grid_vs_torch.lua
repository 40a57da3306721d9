-- bench/grid_vs_torch.sh's grid (issue 19, item 3): on cfmnist at 14x14, one
-- group-DRO teacher mlp{256,256}; for two student widths and three seeds,
-- ERM, group-DRO, KD, SimKD and DeTT students (DeTT adds a 1-epoch ERM
-- identification model per width and seed). Optimisers are the methods'
-- defaults: SGD lr 0.01 momentum 0.9 wd 1e-4 for the teacher, ERM, group
-- DRO and KD; AdamW lr 1e-3 wd 1e-4 for SimKD and DeTT. bench/grid_torch.py
-- runs the same jobs in PyTorch. EPOCHS is replaced by the script.
local d = dataset "cfmnist14.h5"
local teacher = train {
  data = d, arch = mlp{256, 256}, method = groupdro{ eta = 0.01 },
  optim = sgd{ lr = 0.01, momentum = 0.9, wd = 1e-4 }, epochs = EPOCHS, batch = 128,
  seed = 1,
}
return grid {
  data = d, teacher = teacher, epochs = EPOCHS, batch = 128, seeds = {1, 2, 3},
  student = sweep{ mlp{16}, mlp{64} },
  method = sweep{ erm{}, groupdro{ eta = 0.01 }, kd{ T = 4, alpha = 0.9 }, simkd{},
                  dett{ up = 50 } },
  select = "val-worst",
}
