-- expect: error_level0.lua:2: x
error("x", 0)
