-- expect: object_assign.lua:3: attempt to index a dett.object value (local 'm')
local m = kd{}
m.alpha = 2
