-- DEDIER through the job runner (tests/e2e_run.sh, case dedier): a group-DRO
-- teacher, KD at DEDIER's T and mix, and DEDIER students reading the first
-- and the second hidden layer.
local d = dataset "run_dedier.h5"
local teacher = train {
  data = d, arch = mlp{32}, method = groupdro{}, epochs = 4, batch = 64,
}
return grid {
  data = d, teacher = teacher, epochs = 4, batch = 64, seeds = {1},
  student = mlp{16, 8},
  method = sweep{ kd{ T = 3, alpha = 1 }, dedier{}, dedier{ layer = 2, alpha = 0.5, beta = 3 } },
}
