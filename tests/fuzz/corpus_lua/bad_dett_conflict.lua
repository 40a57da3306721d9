-- expect: dett_conflict.lua:2: dett{}: 'up' conflicts with 'weighting' (write weighting = jtt{T = ..., up = ...})
local m = dett{ weighting = jtt{ T = 1 }, up = 5 }
