-- jobs: 1
-- a __gc field added after setmetatable marks nothing (Lua 5.4): no
-- finalizer runs, so this loop never starts
local mt = {}
local t = setmetatable({}, mt)
mt.__gc = function() while true do end end
t = nil
return grid{ data = dataset "lua-data/tiny.h5", student = mlp{}, method = erm{} }
