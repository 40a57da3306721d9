-- expect: cfunc_table_move.lua:3: script ran too long (instruction limit)
-- one call, 1e15 iterations in C: charged before it runs
table.move({}, 1, 1e15, 2)
