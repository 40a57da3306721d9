-- expect: syntax.lua:4: unexpected symbol near <eof>
local d = dataset "lua-data/tiny.h5"
return grid{ data = d, student =
