-- jobs: 8
-- Sweeps inside an architecture (a list of lists, and a number) and inside
-- an optimiser: 2 channel lists x 2 kernels x 2 learning rates.
local d = dataset "lua-data/tiny.h5"
return grid{
  data = d, method = erm{},
  student = cnn{ channels = sweep{ {8}, {8, 16} }, kernel = sweep{3, 5}, fc = 16 },
  optim = adamw{ lr = sweep{1e-3, 3e-4}, betas = {0.9, 0.99} },
  batch = 32, epochs = 2, select = "val-avg",
}
