-- expect: wrong_type.lua:3: kd{}: 'alpha' must be a number, got string
local d = dataset "lua-data/tiny.h5"
local m = kd{ alpha = "high" }
