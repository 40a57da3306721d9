-- a weighting function with an empty table among its upvalues: hashing the
-- function's text walks the table (no entries: qsort of a NULL array, UB)
local d = dataset "lua-data/tiny.h5"
local empty = {}
return grid { data = d, student = mlp{8}, teacher = train { data = d, arch = mlp{32} },
  method = dett{ weighting = function(s) return empty and 1 or 0 end } }
