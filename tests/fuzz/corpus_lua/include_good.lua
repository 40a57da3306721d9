-- jobs: 3
-- include runs a file next to this one and returns its values.
local common = include "inc/common.lua"
return grid{
  data = common.data, teacher = common.teacher, student = mlp{8},
  method = sweep{ kd{ alpha = 0.5 }, erm{} },
}
