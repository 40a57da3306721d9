-- expect: select_bogus.lua:3: grid{}: 'select' must be one of "val-worst", "val-avg", "oracle", "val-worst-class", got string "bogus"
local d = dataset "lua-data/tiny.h5"
return grid{ data = d, student = mlp{4}, method = erm{},
             select = "bogus" }
