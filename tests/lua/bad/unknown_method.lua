-- expect: unknown_method.lua:3: grid{}: 'method' must be a method (erm{}, groupdro{}, jtt{}, kd{}, fitnet{}, simkd{}, dett{}, dfr{} or dedier{}), got string "mixup"
local d = dataset "lua-data/tiny.h5"
return grid{ data = d, student = mlp{4}, method = sweep{ erm{}, "mixup" } }
