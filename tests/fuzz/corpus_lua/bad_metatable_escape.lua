-- expect: metatable_escape.lua:3: attempt to index a boolean value
-- the shared string metatable is locked: getmetatable("") gives false
local lib = getmetatable("").__index
