-- expect: metatable_object.lua:4: bad argument #1 to 'setmetatable' (table expected, got dett.object)
-- DSL values cannot be opened or changed
local m = erm{}
setmetatable(m, {})
