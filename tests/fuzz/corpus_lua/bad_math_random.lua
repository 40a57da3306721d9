-- expect: math_random.lua:3: attempt to call a nil value (field 'random')
-- scripts are deterministic: no random numbers
local s = math.random(1, 100)
