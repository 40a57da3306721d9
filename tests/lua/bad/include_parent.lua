-- expect: include_parent.lua:3: include '../good/inc/common.lua': outside the script's directory
-- .. does not leave the tree either
local x = include "../good/inc/common.lua"
