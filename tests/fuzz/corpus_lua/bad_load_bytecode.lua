-- expect: load_bytecode.lua:3: unknown name 'load'
-- load is gone, so no chunk (text or bytecode) can be made at run time
local f = load("\27LuaT\0\25\147\r\n\26\n")
