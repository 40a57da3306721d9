-- expect: constructor_no_table.lua:2: kd{}: expected a table of options, e.g. kd{ ... }, got string "T=4"
local m = kd "T=4"
