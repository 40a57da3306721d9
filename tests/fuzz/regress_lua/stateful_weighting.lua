local d = dataset "lua-data/tiny.h5"
local n, t = 0, { k = 1 }
function helper() t.k = t.k + 1 return t.k end
return grid{ data = d, student = mlp{4}, teacher = train{ data = d, arch = mlp{8} },
  method = sweep{ dett{ weighting = function(s) n = n + 1 return n end },
                  dett{ weighting = function(s) return helper() end },
                  dett{ weighting = function(s) g = 1 return #t + (rawget(t, 'k') or 0) end } } }
