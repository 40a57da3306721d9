# mutation testing (tests/mutants.sh): every named mutant applied to a scratch
# copy under the build tree, built, and killed by its tests. Minutes, not
# seconds, so not part of a plain `ctest`: run it with
#   ctest -C mutants -L mutants        (or: tests/mutants.sh directly)
add_test(NAME mutants CONFIGURATIONS mutants
         COMMAND bash ${CMAKE_SOURCE_DIR}/tests/mutants.sh -o ${CMAKE_BINARY_DIR}/mutants-table.txt
                 ${CMAKE_SOURCE_DIR} ${CMAKE_BINARY_DIR}/mutants)
set_tests_properties(mutants PROPERTIES TIMEOUT 3600 RUN_SERIAL TRUE)
