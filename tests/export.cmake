# dett export, scripts/dett_results.py and the MPI-free subcommands end to
# end (tests/e2e_export.sh); then the exported students in PyTorch (skipped,
# exit 77, without torch).
file(MAKE_DIRECTORY ${DETT_TEST_TMP}/export)
string(REPLACE ";" " " DETT_EXPORT_MPIEXEC "${DETT_MPIEXEC}")
add_test(NAME e2e_export
         COMMAND bash ${CMAKE_SOURCE_DIR}/tests/e2e_export.sh $<TARGET_FILE:dett>
                 "${DETT_EXPORT_MPIEXEC}" ${CMAKE_SOURCE_DIR}/tests/grids
                 ${CMAKE_SOURCE_DIR}/tests
                 ${CMAKE_SOURCE_DIR}/scripts
         WORKING_DIRECTORY ${DETT_TEST_TMP}/export)
set_tests_properties(e2e_export PROPERTIES FIXTURES_SETUP export_files LABELS e2e)
add_test(NAME e2e_export_torch
         COMMAND bash ${CMAKE_SOURCE_DIR}/tests/export_torch.sh ${CMAKE_SOURCE_DIR}/scripts
                 ${CMAKE_SOURCE_DIR}/tests
         WORKING_DIRECTORY ${DETT_TEST_TMP}/export)
set_tests_properties(e2e_export_torch PROPERTIES FIXTURES_REQUIRED export_files
                     SKIP_RETURN_CODE 77 LABELS e2e)
