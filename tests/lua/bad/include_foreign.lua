-- expect: secret.txt:1: function arguments expected (token not shown: not a .lua file of the script's tree)
-- a syntax error in a file that is no .lua script quotes none of its text
local x = include "inc/secret.txt"
