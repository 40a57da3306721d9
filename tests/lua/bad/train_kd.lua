-- expect: train_kd.lua:3: train{}: method kd{} needs a teacher (add teacher = train{...})
local d = dataset "lua-data/tiny.h5"
local t = train{ data = d, arch = mlp{4}, method = kd{} }
