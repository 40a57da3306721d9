-- expect: mlp_bad_width.lua:2: mlp{}: widths[2] must be in [1, 65536], got -1
local a = mlp{64, -1}
