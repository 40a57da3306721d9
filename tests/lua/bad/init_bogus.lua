-- expect: init_bogus.lua:4: grid{}: 'init' must be one of "random", "teacher", got string "teachers"
local d = dataset "lua-data/tiny.h5"
local t = train{ data = d, arch = mlp{4} }
return grid{ data = d, teacher = t, student = mlp{4}, method = kd{}, init = "teachers" }
