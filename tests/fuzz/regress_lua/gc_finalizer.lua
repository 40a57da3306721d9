-- expect: gc_finalizer.lua:3: setmetatable: __gc finalizers are not allowed in scripts
-- finalizers run with hooks off: no limit could stop this one
setmetatable({}, { __gc = function() while true do end end })
return grid{ data = dataset "lua-data/tiny.h5", student = mlp{}, method = erm{} }
