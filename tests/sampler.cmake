# epoch sampling (runtime/train/sampler.c) and the row exchange
# (runtime/train/rowx.c); docs/sampling.md
dett_unit_test(test_sampler test_sampler.c)

# the row exchange under mpiexec -n 1/2/4 on a group-sorted fake file: every
# shard gets the planned rows' bytes, and the same hash for every K
add_executable(test_sampler_mpi test_sampler_mpi.c)
target_link_libraries(test_sampler_mpi PRIVATE dett_runtime)
target_include_directories(test_sampler_mpi PRIVATE ${CMAKE_SOURCE_DIR}/tests)
foreach(np 1 2 4)
  add_test(NAME test_sampler_mpi_${np}
           COMMAND ${DETT_MPIEXEC} -n ${np} $<TARGET_FILE:test_sampler_mpi> n${np}
           WORKING_DIRECTORY ${DETT_TEST_TMP})
endforeach()
