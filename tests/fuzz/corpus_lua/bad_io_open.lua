-- expect: io_open.lua:2: unknown name 'io'
local f = io.open("/etc/passwd")
