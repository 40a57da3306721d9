-- DFR (ERM + the last layer refit on validation features by ScaLAPACK) as a
-- baseline row and as a teacher for KD and DeTT students.
local d = dataset "run_dfr.h5"
local teacher = train { data = d, arch = mlp{32, 32}, method = dfr{}, epochs = 8 }
return grid { data = d, teacher = teacher, epochs = 6, seeds = {1},
  student = mlp{8}, method = sweep{ erm{}, dfr{}, kd{}, dett{} } }
