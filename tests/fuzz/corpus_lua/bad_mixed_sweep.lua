-- expect: mixed_sweep.lua:3: grid{}: 'student' must be an architecture (mlp{...} or cnn{...}), got method erm{}
local d = dataset "lua-data/tiny.h5"
return grid{ data = d, student = sweep{ mlp{16}, erm{} }, method = erm{} }
