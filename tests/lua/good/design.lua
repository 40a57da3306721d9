-- jobs: 100
-- The design example (docs/design.md), on the test's placeholder dataset.
-- Per seed and student: erm, kd, fitnet, simkd, groupdro, jtt, 3 dett (jtt
-- up sweep) + 1 dett (function), and one SGD identification job they all
-- share (ident_optim defaults to ERM's SGD, as JTT) = 11; 3 seeds x 3
-- students = 99, plus the teacher.
local d = dataset "lua-data/tiny.h5"

-- a named model that students refer to: trained once, cached by its hash
local teacher = train {
  data = d, arch = cnn{ channels = {32, 64}, fc = 128 },
  method = groupdro{ eta = 0.01 },
  optim = sgd{ lr = 1e-3, momentum = 0.9, wd = 1e-4 }, epochs = 30,
}

return grid {
  data = d, teacher = teacher, epochs = 30,
  seeds = sweep{1, 2, 3},
  student = sweep{ mlp{16}, mlp{64, 64}, cnn{ channels = {8, 16}, fc = 32 } },
  method = sweep{
    erm{}, kd{ T = 4, alpha = 0.9 }, fitnet{}, simkd{}, groupdro{},
    jtt{ T = 1, up = 50 },
    dett{ weighting = jtt{ T = 1, up = sweep{5, 20, 50} } },
    dett{ weighting = function(s) return s.id_correct and 1 or 20 end },
  },
  select = "val-worst",
}
