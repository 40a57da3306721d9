-- Where plain distillation loses the teacher's debiasing: bias strength rho
-- x student width x {KD, SimKD, DeTT, group DRO}, on coloured Fashion-MNIST
-- and the synthetic data; one group-DRO teacher per data set. Read it as the
-- worst-group gap to the teacher (scripts/kd_gap.sh). Data: scripts/paper_data.sh.
--   mpirun -np 2 dett run experiments/when_kd_fails.lua -o build/exp/when_kd_fails.h5
local sets = {
  -- prefix, teacher, epochs, batch
  { "build/exp/cfmnist14_rho", {256, 256}, 8, 128 },
  { "build/exp/synth_p",       {64, 64},   30, 64 },
}
local grids = {}
for _, s in ipairs(sets) do
  for _, rho in ipairs{ "0.9", "0.97", "0.99", "0.995", "0.999" } do
    local d = dataset(s[1] .. rho .. ".h5")
    local teacher = train {
      data = d, arch = mlp(s[2]), method = groupdro{ eta = 0.01 },
      optim = sgd{ lr = 0.01, momentum = 0.9, wd = 1e-4 }, epochs = s[3], batch = s[4],
    }
    grids[#grids + 1] = grid {
      data = d, teacher = teacher, epochs = s[3], batch = s[4], seeds = {1, 2},
      student = sweep{ mlp{4}, mlp{16}, mlp{64} },
      method = sweep{ kd{ T = 4, alpha = 0.9 }, simkd{}, dett{ up = 50 }, groupdro{} },
    }
  end
end
return grids
