-- expect: missing_required.lua:3: grid{}: 'student' is required
local d = dataset "lua-data/tiny.h5"
return grid{ data = d, method = erm{} }
