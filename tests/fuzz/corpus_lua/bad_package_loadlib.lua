-- expect: package_loadlib.lua:2: unknown name 'package'
local f = package.loadlib("libc.so.6", "system")
