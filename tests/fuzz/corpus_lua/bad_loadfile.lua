-- expect: loadfile.lua:2: unknown name 'loadfile'
local f = loadfile("other.lua")
