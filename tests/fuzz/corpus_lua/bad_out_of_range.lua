-- expect: out_of_range.lua:4: kd{}: 'alpha' must be in [0, 1], got 1.5
local d = dataset "lua-data/tiny.h5"
-- (the line is where the call starts)
local m = kd{
  T = 4, alpha = 1.5 }
