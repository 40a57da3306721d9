-- expect: unknown_key.lua:4: dett{}: unknown key 'upweight' (did you mean 'up'?)
local d = dataset "lua-data/tiny.h5"
local t = train{ data = d, arch = mlp{8} }
local m = dett{ upweight = 10 }
return grid{ data = d, teacher = t, student = mlp{4}, method = m }
