# results file: runtime/io/results.c
# one process: layout, resume, refusals, a file readable while open
# (links dett_runtime only, not dett_unit_test's lua/analysis libraries)
add_executable(test_results test_results.c)
target_link_libraries(test_results PRIVATE dett_runtime)
target_include_directories(test_results PRIVATE ${CMAKE_SOURCE_DIR}/tests)
add_test(NAME test_results COMMAND test_results WORKING_DIRECTORY ${DETT_TEST_TMP})

# under MPI: collective create/resume, independent writes of different jobs
# by different ranks. The TAG argument keeps parallel runs' files apart.
add_executable(test_results_mpi test_results_mpi.c)
target_link_libraries(test_results_mpi PRIVATE dett_runtime)
target_include_directories(test_results_mpi PRIVATE ${CMAKE_SOURCE_DIR}/tests)
foreach(k 2 4)
  add_test(NAME test_results_mpi_${k}
           COMMAND ${DETT_MPIEXEC} -n ${k} $<TARGET_FILE:test_results_mpi> n${k}
           WORKING_DIRECTORY ${DETT_TEST_TMP})
endforeach()

# h5py reads a results file written by dett (skipped, exit 77, without h5py)
add_test(NAME results_h5py_write
         COMMAND test_results write test_results_h5py.h5
         WORKING_DIRECTORY ${DETT_TEST_TMP})
set_tests_properties(results_h5py_write PROPERTIES FIXTURES_SETUP results_h5py_file)
add_test(NAME test_results_h5py
         COMMAND /usr/bin/python3 ${CMAKE_CURRENT_SOURCE_DIR}/results_h5py.py
                 test_results_h5py.h5
         WORKING_DIRECTORY ${DETT_TEST_TMP})
set_tests_properties(test_results_h5py PROPERTIES FIXTURES_REQUIRED results_h5py_file
                     SKIP_RETURN_CODE 77)

# analysis/ reads format 2's typed configuration and format 1's text (the
# CNN-without-fc width), refuses other versions; links dett_analysis alone,
# no MPI_Init (the file comes from `test_results write`)
add_executable(test_results_read test_results_read.c)
target_link_libraries(test_results_read PRIVATE dett_analysis)
target_include_directories(test_results_read PRIVATE ${CMAKE_SOURCE_DIR}/tests)
add_test(NAME test_results_read COMMAND test_results_read test_results_h5py.h5
         WORKING_DIRECTORY ${DETT_TEST_TMP})
set_tests_properties(test_results_read PROPERTIES FIXTURES_REQUIRED results_h5py_file
                     LABELS unit)
