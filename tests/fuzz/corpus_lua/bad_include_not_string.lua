-- expect: include_not_string.lua:2: include: expected a file name (string), got table
local x = include {}
