-- expect: error_call.lua:3: custom failure
local function check(x) if not x then error("custom failure", 2) end end
check(false)
