-- expect: unknown_name.lua:3: unknown name 'emr' (did you mean 'erm'?)
local d = dataset "lua-data/tiny.h5"
return grid{ data = d, student = mlp{4}, method = emr{} }
