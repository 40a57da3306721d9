-- expect: cnn_no_channels.lua:2: cnn{}: 'channels' is required
local a = cnn{ kernel = 3 }
