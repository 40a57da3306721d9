-- expect: positional_kd.lua:2: kd{}: unexpected value at position 1 (options are named, e.g. kd{ T = ... })
local m = kd{ 4, 0.9 }
