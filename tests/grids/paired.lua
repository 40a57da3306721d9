-- teacher_seed = "paired": every student seed distils from a teacher trained
-- with that seed (3 seeds -> 3 teachers, 3 students).
local d = dataset "run_paired.h5"
local t = train { data = d, arch = mlp{8}, epochs = 2 }
return grid { data = d, teacher = t, epochs = 2, seeds = {1, 2, 3}, student = mlp{4},
  method = kd{}, teacher_seed = "paired" }
