-- expect: weighting_c_function.lua:2: dett{}: 'weighting' must be a weighting (none, group_balanced, jtt{...} or a Lua function), got function
local m = dett{ weighting = math.abs }
