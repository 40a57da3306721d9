-- a CNN teacher and students on the 1x2x2 image file (validate_grid builds each model)
local d = dataset "lua-data/img.h5"
local t = train { data = d, arch = cnn{ channels = {2}, fc = 4 }, method = groupdro{}, epochs = 1, batch = 2 }
return grid { data = d, teacher = t, epochs = 1, batch = 2, seeds = {1},
  student = cnn{ channels = {1}, fc = 2 }, method = sweep{ kd{}, dett{ up = 4 }, simkd{} } }
