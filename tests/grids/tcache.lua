-- the teacher cache's test (tests/e2e_teacher_cache.sh): paired seeds give
-- three teachers whose KD, SimKD and DeTT students alternate in job order,
-- so the cache holding the last teacher's outputs must switch (and never
-- hand one teacher's outputs to another's student)
local d = dataset "tcache.h5"
local t = train { data = d, arch = mlp{16}, method = groupdro{}, epochs = 2 }
return grid { data = d, teacher = t, epochs = 2, seeds = {1, 2, 3}, student = mlp{4},
  method = sweep{ kd{}, simkd{}, dett{ up = 20 } }, teacher_seed = "paired" }
