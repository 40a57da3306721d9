-- A teacher trained outside dett (PyTorch), distilled into dett students
-- that see smaller images (docs/pytorch.md). Make the files first:
--   build/dett data cfmnist --size 28 -o build/data/cf28.h5
--   build/dett data cfmnist --size 14 -o build/data/cf14.h5
--   experiments/torch_teacher.py --data build/data/cf28.h5 -o build/data/teacher28.h5
-- The teacher file holds the CNN's penultimate features of the 28x28 rows
-- and its head; the students train on the 14x14 rows (same rows and labels:
-- dett check verifies the label digest) and ERM is the baseline.
local d = dataset "build/data/cf14.h5"
return grid {
  data = d, teacher = external "build/data/teacher28.h5",
  epochs = 20, seeds = sweep{1, 2, 3},
  student = mlp{16},
  method = sweep{ erm{}, kd{}, simkd{}, dett{} },
}
