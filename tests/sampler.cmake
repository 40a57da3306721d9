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

# the sampler as training sees it: train_job on a group-sorted and a
# shuffled file (same per-group visits, every sampler), JTT's exact
# upsampling through the job runner, the DSL's sampler key
dett_unit_test(test_sampling_jobs test_sampling_jobs.c)
target_link_libraries(test_sampling_jobs PRIVATE dett_test_fixture)
