-- expect: plain_list_axis.lua:3: grid{}: 'student' must be an architecture (mlp{...} or cnn{...}), got table (use sweep{...} to try several values)
local d = dataset "lua-data/tiny.h5"
return grid{ data = d, student = { mlp{16}, mlp{32} }, method = erm{} }
