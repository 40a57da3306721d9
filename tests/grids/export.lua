-- dett export and scripts/dett_results.py end to end (tests/e2e_export.sh;
-- 10 jobs: 2 identification jobs of the DeTT students):
-- an MLP teacher with an ERM, a KD and a DeTT student (a transplanted head
-- and a projector) on synth data, and a CNN without fc layer on small
-- images (conv, pooling, global average pool).
local s = dataset "exp_synth.h5"
local c = dataset "exp_images.h5"   -- written by tests/make_images.py (h5py)
local teacher = train { data = s, arch = mlp{16, 16}, method = groupdro{}, epochs = 3, batch = 32 }
return {
  grid {
    data = s, teacher = teacher, epochs = 2, batch = 32, seeds = {1, 2},
    student = mlp{8},
    method = sweep{ erm{}, kd{}, dett{ up = 20 } },
  },
  grid {
    data = c, epochs = 4, batch = 32, seeds = {1}, optim = adamw{ lr = 1e-2 },
    student = cnn{ channels = {4, 8}, fc = 0 }, method = erm{},
  },
}
