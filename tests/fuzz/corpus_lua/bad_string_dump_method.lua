-- expect: string_dump_method.lua:3: attempt to call a nil value (method 'dump')
-- string methods come from the same (sandboxed) string table
local code = ("x"):dump()
