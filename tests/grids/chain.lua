-- a chain of students (issue 20): a group-DRO teacher -> a mid-size DeTT
-- student -> small DeTT and KD students of the mid-size one; paired seeds
-- train the whole chain once per student seed (per seed: big, mid, their
-- two identification jobs, two students: 12 jobs)
local d = dataset "chain_d.h5"
local big = train { data = d, arch = mlp{32, 32}, method = groupdro{}, epochs = 3 }
local mid = train { data = d, teacher = big, arch = mlp{16}, method = dett{ up = 20 }, epochs = 3 }
return grid { data = d, teacher = mid, epochs = 3, student = mlp{8}, seeds = {1, 2},
  teacher_seed = "paired", method = sweep{ dett{ up = 20 }, kd{} } }
