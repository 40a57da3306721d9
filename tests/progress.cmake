# progress of dett run: the ETA estimator on synthetic timings
# (runtime/train/eta.c), and what --progress prints (tests/progress.sh)
dett_unit_test(test_eta test_eta.c)
string(REPLACE ";" " " DETT_MPIEXEC_STR "${DETT_MPIEXEC}")
file(MAKE_DIRECTORY ${DETT_TEST_TMP}/progress)
add_test(NAME e2e_progress
         COMMAND bash ${CMAKE_SOURCE_DIR}/tests/progress.sh $<TARGET_FILE:dett>
                 "${DETT_MPIEXEC_STR}" ${CMAKE_SOURCE_DIR}/tests/grids
         WORKING_DIRECTORY ${DETT_TEST_TMP}/progress)
