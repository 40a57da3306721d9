-- expect: include_missing.lua:2: include 'inc/nope.lua': file not found
local x = include "inc/nope.lua"
