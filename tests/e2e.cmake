# end-to-end: the dett command on the synthetic data
string(REPLACE ";" " " DETT_MPIEXEC_STR "${DETT_MPIEXEC}")
foreach(case bias determinism errors)
  add_test(NAME e2e_train_${case}
           COMMAND bash ${CMAKE_SOURCE_DIR}/tests/e2e_train.sh $<TARGET_FILE:dett>
                   "${DETT_MPIEXEC_STR}" ${case} ${case}
           WORKING_DIRECTORY ${DETT_TEST_TMP})
endforeach()
# one option syntax for every subcommand (cli/opts.h): --help, --opt=V, -o,
# one-line usage errors, options of --help documented in docs/reference.md
add_test(NAME e2e_cli
         COMMAND bash ${CMAKE_SOURCE_DIR}/tests/e2e_cli.sh $<TARGET_FILE:dett>
                 "${DETT_MPIEXEC_STR}" ${CMAKE_SOURCE_DIR}/docs/reference.md
         WORKING_DIRECTORY ${DETT_TEST_TMP})
# errors under mpiexec -n 2: one dett: line, an exit status, no MPI_Abort
add_test(NAME e2e_mpi_errors
         COMMAND bash ${CMAKE_SOURCE_DIR}/tests/e2e_mpi_errors.sh $<TARGET_FILE:dett>
                 "${DETT_MPIEXEC_STR}"
         WORKING_DIRECTORY ${DETT_TEST_TMP})
# the option parser itself (cli/opts.c)
dett_unit_test(test_opts test_opts.c)
