-- expect: include_bytecode.lua:3: include 'inc/bytecode.luac': attempt to load a binary chunk (mode is 't')
-- includes are loaded as text only
local x = include "inc/bytecode.luac"
