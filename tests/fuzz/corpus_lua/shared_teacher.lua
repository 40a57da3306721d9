-- jobs: 13
-- One teacher shared by 3 archs x 2 methods x 2 seeds = 12 students.
local d = dataset "lua-data/tiny.h5"
local t = train{ data = d, arch = mlp{64, 64}, method = groupdro{}, epochs = 3 }
return grid{
  data = d, teacher = t,
  student = sweep{ mlp{}, mlp{16}, cnn{ channels = {4}, pool_kind = "avg" } },
  method = sweep{ kd{}, simkd{} },
  seeds = {1, 2},
}
