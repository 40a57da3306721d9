-- The map of when_kd_fails.lua with the training budget and per-seed
-- teachers: bias strength x student width x student epochs x {KD, SimKD,
-- DeTT, DEDIER, group DRO}, on coloured Fashion-MNIST (14x14) and the synthetic
-- data. Each student seed has its own group-DRO teacher trained with that
-- seed (teacher_seed = "paired"), trained once per data set at a fixed
-- budget, so the students' budget is the only thing that changes along it
-- and the seed spread includes the teacher draws. Read it with
--   dett report build/exp/when_kd_fails_budget.h5 --plots DIR
-- (gap_bias: gap to teacher against the bias strength, one panel per budget).
-- Data: scripts/paper_data.sh.
--   mpirun -np 2 dett run experiments/when_kd_fails_budget.lua -o build/exp/when_kd_fails_budget.h5
--
-- cfmnist runs on the whole 54,000-row training split at all five bias
-- strengths (980 jobs). An 18,000-row subset (`dett data cfmnist --n-train
-- 18000`, budgets 6 / 15 / 36 epochs = the same optimiser steps) was timed
-- as the cheaper alternative: at equal steps it saved only 15 % of a bias
-- strength's CPU time (the students' optimiser steps dominate) while it
-- left 12 minority rows at rho 0.999 instead of 43, so the full split is
-- kept (docs/results/when_kd_fails_budget.md: the timings, the wall time).
local sets = {
  -- prefix, rhos, teacher widths, teacher epochs, student budgets, batch, student widths
  { "build/exp/synth_p", { "0.9", "0.97", "0.99", "0.995", "0.999" }, {64, 64}, 100,
    {30, 100, 300}, 64, { {4}, {16}, {64} } },
  { "build/exp/cfmnist14_rho", { "0.9", "0.97", "0.99", "0.995", "0.999" }, {256, 256}, 8,
    {2, 5, 12}, 128, { {4}, {16}, {64} } },
}
local grids = {}
for _, s in ipairs(sets) do
  local students = {}
  for i, w in ipairs(s[7]) do students[i] = mlp(w) end
  for _, rho in ipairs(s[2]) do
    local d = dataset(s[1] .. rho .. ".h5")
    local teacher = train {
      data = d, arch = mlp(s[3]), method = groupdro{ eta = 0.01 },
      optim = sgd{ lr = 0.01, momentum = 0.9, wd = 1e-4 }, epochs = s[4], batch = s[6],
    }
    grids[#grids + 1] = grid {
      data = d, teacher = teacher, teacher_seed = "paired", seeds = {1, 2},
      epochs = sweep(s[5]), batch = s[6], student = sweep(students),
      method = sweep{ kd{ T = 4, alpha = 0.9 }, simkd{}, dett{ up = 50 }, dedier{}, groupdro{} },
    }
  end
end
return grids
