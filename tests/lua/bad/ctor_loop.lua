-- expect: ctor_loop.lua:3: script ran too long (instruction limit)
-- a DSL constructor does far more work than one instruction, and pays for it
for i = 1, 1e8 do local m = mlp{ 8, 8 } end
