# lua: the sandboxed DSL front end. Good and bad scripts under tests/lua/
# (each states its expected job count or error), hash stability, weighting
# functions and `dett check`. Runs in test-tmp, where it makes the
# placeholder dataset files the scripts name.
dett_unit_test(test_lua test_lua.c)
target_compile_definitions(test_lua PRIVATE DETT_LUA_TEST_DIR="${CMAKE_CURRENT_SOURCE_DIR}/lua")
# (about 8 s of CPU: a dozen scripts each spend the whole instruction budget;
# the timeout allows for a machine shared with parallel tests)
set_tests_properties(test_lua PROPERTIES TIMEOUT 180 LABELS lua)
