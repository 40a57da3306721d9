-- expect: unknown_key_grid.lua:3: grid{}: unknown key 'arch' (did you mean 'student'?)
local d = dataset "lua-data/tiny.h5"
return grid{ data = d, arch = mlp{4}, method = erm{} }
