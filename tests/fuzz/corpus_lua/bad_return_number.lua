-- expect: return_number.lua: the script must return a grid{...} or a list of grids, got number 42
return 42
