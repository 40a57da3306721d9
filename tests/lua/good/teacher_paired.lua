-- jobs: 11
-- teacher_seed = "paired": each student seed gets its own teacher trained
-- with that seed (3 seeds -> 3 teachers; the JTT teacher's identification
-- job is paired too: 3 more). The second grid keeps the one teacher of
-- seed 1: its seed-1 student is the paired grid's (one job), seeds 2 and 3
-- are new students of that teacher: 3 + 3 + 3 + 2 = 11.
local d = dataset "lua-data/tiny.h5"
local t = train{ data = d, arch = mlp{16}, method = jtt{ T = 1, up = 5 }, epochs = 2 }
return {
  grid{ data = d, teacher = t, student = mlp{8}, method = kd{}, seeds = {1, 2, 3},
        teacher_seed = "paired" },
  grid{ data = d, teacher = t, student = mlp{8}, method = kd{}, seeds = {1, 2, 3} },
}
