-- helper for include_syntax.lua (not a test by itself)
local t = { 1, 2,
