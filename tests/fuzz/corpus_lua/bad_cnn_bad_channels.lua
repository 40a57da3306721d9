-- expect: cnn_bad_channels.lua:2: cnn{}: 'channels'[2] must be in [1, 4096], got 0
local a = cnn{ channels = {8, 0} }
