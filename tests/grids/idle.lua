-- tests/e2e_sched_idle.sh: one long teacher and one short student; with two
-- job groups, the second group waits for the teacher
local d = dataset "idle.h5"
local t = train { data = d, arch = mlp{64, 64}, epochs = 300, batch = 32 }
return grid { data = d, teacher = t, epochs = 1, seeds = {1}, student = mlp{4}, method = kd{} }
