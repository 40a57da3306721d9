-- expect: sweep_keys.lua:2: sweep{}: the value list must be a list (only values 1..n), found key string "a"
local s = sweep{ 1, 2, a = 3 }
