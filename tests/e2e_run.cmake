# end-to-end: dett run / dett report on small grids
string(REPLACE ";" " " DETT_MPIEXEC_STR "${DETT_MPIEXEC}")
foreach(case ranks resume store checkpoint diverge refuse cnn paper dfr)
  file(MAKE_DIRECTORY ${DETT_TEST_TMP}/run_${case})
  add_test(NAME e2e_run_${case}
           COMMAND bash ${CMAKE_SOURCE_DIR}/tests/e2e_run.sh $<TARGET_FILE:dett>
                   "${DETT_MPIEXEC_STR}" ${CMAKE_SOURCE_DIR}/tests/grids ${case}
                   $<TARGET_FILE:test_data_builders>
           WORKING_DIRECTORY ${DETT_TEST_TMP}/run_${case})
endforeach()
