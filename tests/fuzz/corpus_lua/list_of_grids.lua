-- jobs: 5
-- A list of grids (nested lists flatten); identical jobs appear once.
local d = dataset "lua-data/tiny.h5"
local g1 = grid{ data = d, student = mlp{8}, method = erm{}, seeds = {1, 2} }
local g2 = grid{ data = d, student = mlp{8}, method = sweep{ erm{}, groupdro{ eta = 0.1 } },
                 seeds = sweep{2, 3} }
return { g1, { g2 } }
