-- jobs: 12
-- a chain of students (issue 20): a group-DRO teacher -> a mid-size DeTT
-- student (with its identification job) -> small KD and DeTT students of
-- the mid-size one (one more identification job): 6 jobs. An ERM student
-- that starts from the mid-size one's weights (init = "teacher"): 1. With
-- teacher_seed = "paired" the whole chain trains once per student seed:
-- seed 1's chain and KD student are the first grid's; seed 2 adds big,
-- ident, mid and kd: 4; the paired init student adds its seed 2: 1.
-- 6 + 1 + 4 + 1 = 12.
local d = dataset "lua-data/tiny.h5"
local big = train{ data = d, arch = mlp{16, 16}, method = groupdro{}, epochs = 2 }
local mid = train{ data = d, teacher = big, arch = mlp{8}, method = dett{ up = 5 }, epochs = 2 }
return {
  grid{ data = d, teacher = mid, student = mlp{4}, method = sweep{ kd{}, dett{ up = 5 } },
        epochs = 2 },
  grid{ data = d, teacher = mid, student = mlp{8}, method = erm{}, init = "teacher",
        epochs = 2 },
  grid{ data = d, teacher = mid, student = mlp{4}, method = kd{}, seeds = {1, 2},
        teacher_seed = "paired", epochs = 2 },
  grid{ data = d, teacher = mid, student = mlp{8}, method = erm{}, init = "teacher",
        seeds = {1, 2}, teacher_seed = "paired", epochs = 2 },
}
