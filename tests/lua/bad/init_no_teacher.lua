-- expect: init_no_teacher.lua:3: grid{}: init = "teacher" needs a teacher (add teacher = train{...})
local d = dataset "lua-data/tiny.h5"
return grid{ data = d, student = mlp{4}, method = erm{}, init = sweep{"random", "teacher"} }
