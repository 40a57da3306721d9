-- bench/grid.sh's grid: 64 small independent ERM jobs (16 seeds x 4
-- learning rates) on one synthetic dataset, the kind of sweep whose
-- scheduling, HDF5 and start-up costs the grid-efficiency figure measures.
-- The data file comes from bench/grid.sh (dett data synth).
local d = dataset "grid_bench.h5"
local seeds = {}
for s = 1, 16 do seeds[s] = s end
return grid {
  data = d, student = mlp{64, 64}, method = erm{}, epochs = 8, batch = 64,
  seeds = sweep(seeds),
  optim = sweep{ sgd{ lr = 0.005 }, sgd{ lr = 0.01 }, sgd{ lr = 0.02 }, sgd{ lr = 0.05 } },
}
