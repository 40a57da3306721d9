-- expect: debug_getinfo.lua:2: unknown name 'debug'
local info = debug.getinfo(1)
