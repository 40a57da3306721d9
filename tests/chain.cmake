# chains of students (issue 20): tests/e2e_chain.sh (rank counts, DAG order,
# hashes, kill/resume inside the chain, dett check of init, init in the
# report, an external teacher at a chain's root)
string(REPLACE ";" " " DETT_CHAIN_MPIEXEC "${DETT_MPIEXEC}")
foreach(case ranks resume check init external)
  file(MAKE_DIRECTORY ${DETT_TEST_TMP}/chain_${case})
  add_test(NAME e2e_chain_${case}
           COMMAND bash ${CMAKE_SOURCE_DIR}/tests/e2e_chain.sh $<TARGET_FILE:dett>
                   "${DETT_CHAIN_MPIEXEC}" ${CMAKE_SOURCE_DIR}/tests/grids ${case}
                   WORKING_DIRECTORY ${DETT_TEST_TMP}/chain_${case})
  set_tests_properties(e2e_chain_${case} PROPERTIES SKIP_RETURN_CODE 77)
endforeach()
