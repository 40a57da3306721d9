-- The paper table: for each benchmark a group-DRO teacher (a wider, deeper
-- net) per seed (teacher_seed = "paired": student seed s distils the
-- teacher trained with seed s, so the spread includes the teacher draws)
-- and, for two student sizes, ERM, KD, DEDIER (its paper's defaults),
-- FitNet, SimKD, JTT, group DRO (the baseline, uses group labels) and DeTT;
-- 5 seeds; model selection (epoch and learning rate) by validation
-- worst-group accuracy; the table reports mean ± standard error over seeds
-- (dett report --stat sem). Data: scripts/paper_data.sh.
--   mpirun -np 2 dett run experiments/paper_table.lua -o build/exp/paper_table.h5
local benchmarks = {
  -- file, teacher widths, student widths, epochs, batch
  { "build/exp/cfmnist14.h5", {256, 256}, { {16}, {64} }, 10, 128 },
  { "build/exp/dominoes.h5",  {256, 256}, { {16}, {64} }, 10, 128 },
  { "build/exp/cps1988.h5",   {128, 128}, { {8},  {32} }, 20, 128 },
  { "build/exp/synth_p97.h5", {64, 64},   { {8},  {32} }, 30, 64 },
}
-- Every method gets the same tuning budget: three learning rates around its
-- default optimiser's (SGD for ERM, KD, DEDIER, JTT and group DRO; AdamW for
-- FitNet, SimKD and DeTT), chosen per row on validation worst-group accuracy by
--   dett report build/exp/paper_table.h5 --tune optim --stat sem
local sgd_lrs = sweep{ sgd{ lr = 0.003 }, sgd{ lr = 0.01 }, sgd{ lr = 0.03 } }
local adamw_lrs = sweep{ adamw{ lr = 3e-4 }, adamw{ lr = 1e-3 }, adamw{ lr = 3e-3 } }
local grids = {}
for _, b in ipairs(benchmarks) do
  local d = dataset(b[1])
  local teacher = train {
    data = d, arch = mlp(b[2]), method = groupdro{ eta = 0.01 },
    optim = sgd{ lr = 0.01, momentum = 0.9, wd = 1e-4 }, epochs = b[4], batch = b[5],
  }
  local students = {}
  for i, w in ipairs(b[3]) do students[i] = mlp(w) end
  local common = { data = d, teacher = teacher, epochs = b[4], batch = b[5],
                   seeds = {1, 2, 3, 4, 5}, teacher_seed = "paired",
                   student = sweep(students), select = "val-worst" }
  local function with(t)
    local g = {}
    for k, v in pairs(common) do g[k] = v end
    for k, v in pairs(t) do g[k] = v end
    return grid(g)
  end
  grids[#grids + 1] = with {
    method = sweep{ erm{}, kd{ T = 4, alpha = 0.9 }, dedier{}, jtt{ T = 1, up = 20 },
                   groupdro{ eta = 0.01 } },
    optim = sgd_lrs,
  }
  grids[#grids + 1] = with {
    method = sweep{ fitnet{}, simkd{}, dett{ up = 50 } },
    optim = adamw_lrs,
  }
end
return grids
