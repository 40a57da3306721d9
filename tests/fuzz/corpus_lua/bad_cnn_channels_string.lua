-- expect: cnn_channels_string.lua:2: cnn{}: 'channels' must be a list of integers, e.g. {8, 16}, got string "8,16"
local a = cnn{ channels = "8,16" }
