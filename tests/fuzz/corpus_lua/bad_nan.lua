-- expect: nan.lua:2: groupdro{}: 'eta' must be a finite number
local m = groupdro{ eta = 0/0 }
