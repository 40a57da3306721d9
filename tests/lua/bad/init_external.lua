-- expect: init_external.lua:3: train{}: init = "teacher" needs a teacher trained by dett: an external teacher file holds only its last layer
local d = dataset "lua-data/tiny.h5"
local s = train{ data = d, teacher = external "lua-data/tiny.h5", arch = mlp{4}, method = kd{}, init = "teacher" }
return grid{ data = d, teacher = s, student = mlp{4}, method = kd{} }
