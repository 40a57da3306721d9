# dataset layer: runtime/io/dataset.c, runtime/data/synth.c, cli/cmd_data.c
dett_unit_test(test_dataset test_dataset.c)

# the same under MPI: each rank reads its own rows; failures agreed by all ranks.
# The TAG argument keeps the two runs' files apart under parallel ctest.
add_executable(test_dataset_mpi test_dataset_mpi.c)
target_link_libraries(test_dataset_mpi PRIVATE dett_cli)
target_include_directories(test_dataset_mpi PRIVATE ${CMAKE_SOURCE_DIR}/tests)
foreach(k 2 4)
  add_test(NAME test_dataset_mpi_${k}
           COMMAND ${DETT_MPIEXEC} -n ${k} $<TARGET_FILE:test_dataset_mpi> n${k}
           WORKING_DIRECTORY ${DETT_TEST_TMP})
endforeach()
