-- expect: mlp_too_deep.lua:2: mlp{}: widths must have 0 to 8 entries, got 9
local a = mlp{1, 1, 1, 1, 1, 1, 1, 1, 1}
