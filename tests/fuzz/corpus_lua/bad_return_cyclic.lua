-- expect: return_cyclic.lua: the returned list is a cyclic table (it contains itself)
local l = {}
l[1] = l
return l
