-- expect: weighting_method.lua:2: dett{}: 'weighting' must be a weighting (none, group_balanced, jtt{...} or a Lua function), got method erm{}
local m = dett{ weighting = erm{} }
