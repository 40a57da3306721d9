-- expect: return_nothing.lua: the script must return a grid{...} or a list of grids, got nil
local d = dataset "lua-data/tiny.h5"
