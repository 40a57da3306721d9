-- expect: cfunc_rep_empty.lua:4: script ran too long (instruction limit)
-- string.rep of an empty string loops n times in C: it must not escape the
-- instruction limit (found by reading lstrlib.c; it hung dsl_load before)
for i = 1, 1e9 do local s = string.rep("", 1e15) end
