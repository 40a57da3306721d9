-- jobs: 5
-- Weighting functions: each is its own config (hash of its source); both
-- share the identification model. teacher, ident, 2 dett, 1 group_balanced.
local d = dataset "lua-data/tiny.h5"
local k = 20
return grid{
  data = d, student = mlp{8},
  teacher = train{ data = d, arch = mlp{32} },
  method = sweep{
    dett{ weighting = sweep{
      function(s) return s.id_correct and 1 or k end,
      function(s) return 1 + s.id_loss end,
    } },
    dett{ weighting = group_balanced },
  },
}
