-- tests/e2e_sched_order.sh: a teacher that is not the first job by id,
-- independent ERM students of two sizes, KD students, and DeTT students
-- whose cheap identification jobs head long chains (the scheduler orders
-- by critical path)
local d = dataset "order_d.h5"
local t = train { data = d, arch = mlp{64, 64}, epochs = 3 }
return grid { data = d, teacher = t, epochs = 2, seeds = {1, 2},
  student = sweep{ mlp{4}, mlp{64} }, method = sweep{ erm{}, kd{}, dett{} } }
