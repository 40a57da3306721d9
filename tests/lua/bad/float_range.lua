-- expect: float_range.lua:3: sgd{}: 'wd' must be a finite number (at most 3.4e38 in magnitude), got number 1e+300
-- options are stored as C floats: 1e300 would become inf (and train with it)
local o = sgd{ wd = 1e300 }
