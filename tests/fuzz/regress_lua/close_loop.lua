-- expect: close_loop.lua:3: script ran too long (instruction limit)
-- a to-be-closed variable's __close runs under the instruction limit
do local x <close> = setmetatable({}, { __close = function() while true do end end }) end
