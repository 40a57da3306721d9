-- The methods on the synthetic data at two bias strengths (majority-group
-- fraction 0.9 and 0.97), 3 seeds: the numbers in the methods issue's note.
--   dett data synth -o build/exp/synth_p90.h5 --p-maj 0.9
--   dett data synth -o build/exp/synth_p97.h5 --p-maj 0.97
--   mpirun -np 2 dett run experiments/methods_synth.lua -o build/exp/methods_synth.h5
local grids = {}
for _, path in ipairs{ "build/exp/synth_p90.h5", "build/exp/synth_p97.h5" } do
  local d = dataset(path)
  local teacher = train {
    data = d, arch = mlp{64, 64}, method = groupdro{ eta = 0.01 },
    optim = sgd{ lr = 0.01, momentum = 0.9, wd = 1e-4 }, epochs = 30, seed = 1,
  }
  grids[#grids + 1] = grid {
    data = d, teacher = teacher, epochs = 30, batch = 64,
    seeds = sweep{1, 2, 3},
    student = mlp{8},
    method = sweep{ erm{}, kd{ T = 4, alpha = 0.9 }, fitnet{}, simkd{}, dett{ up = 50 },
                    jtt{ T = 1, up = 20 }, groupdro{} },
  }
end
return grids
