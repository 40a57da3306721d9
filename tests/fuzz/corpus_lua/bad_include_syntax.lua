-- expect: syntax_error.lua:3: unexpected symbol near <eof>
local x = include "inc/syntax_error.lua"
