-- expect: missing_teacher.lua:3: grid{}: method kd{} needs a teacher
local d = dataset "lua-data/tiny.h5"
return grid{ data = d, student = mlp{4}, method = sweep{ erm{}, kd{} } }
