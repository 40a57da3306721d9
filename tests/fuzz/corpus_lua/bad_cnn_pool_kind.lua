-- expect: cnn_pool_kind.lua:2: cnn{}: 'pool_kind' must be one of "max", "avg", got string "mean"
local a = cnn{ channels = {8}, pool_kind = "mean" }
