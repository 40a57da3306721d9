-- Chains of students and init = "teacher" (issue 20 item 2) on the
-- tutorial's synthetic data (build/dett data synth -o build/demo/synth.h5).
-- A group-DRO teacher mlp{64,64} distils into mlp{8} students directly, or
-- through a mid-size mlp{32} student (DeTT or KD) first; ERM students of
-- the teacher's architecture start from its weights or at random. Every
-- chain is paired with the student's seed, so the spreads include teacher
-- draws. Results: docs/chains.md.
local d = dataset "build/demo/synth.h5"
local big = train { data = d, arch = mlp{64, 64}, method = groupdro{ eta = 0.01 },
  optim = sgd{ lr = 0.01, momentum = 0.9, wd = 1e-4 }, epochs = 20 }
local mid_dett = train { data = d, teacher = big, arch = mlp{32}, method = dett{ up = 50 },
  epochs = 20 }
local mid_kd = train { data = d, teacher = big, arch = mlp{32}, method = kd{}, epochs = 20 }
local function chain(teacher, student, method, init)
  return grid { data = d, teacher = teacher, student = student, method = method,
    init = init, epochs = 20, seeds = {1, 2, 3}, teacher_seed = "paired" }
end
return {
  chain(big, mlp{8}, sweep{ erm{}, kd{}, dett{ up = 50 } }),
  chain(mid_dett, mlp{8}, sweep{ kd{}, dett{ up = 50 } }),
  chain(mid_kd, mlp{8}, kd{}),
  chain(big, mlp{64, 64}, erm{}, sweep{ "teacher", "random" }),
}
