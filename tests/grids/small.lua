-- A small grid for the end-to-end run tests: a teacher, identification jobs,
-- every distillation method and baselines, 2 seeds, few epochs.
local d = dataset "run_small.h5"
local teacher = train {
  data = d, arch = mlp{32}, method = groupdro{}, epochs = 4, batch = 64,
}
return grid {
  data = d, teacher = teacher, epochs = 3, batch = 64,
  seeds = sweep{1, 2},
  student = mlp{8},
  method = sweep{ erm{}, kd{}, fitnet{}, simkd{}, dett{ up = 20 }, jtt{ up = 10 }, groupdro{} },
}
