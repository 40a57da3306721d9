# micro-shards and the deterministic allreduce
dett_unit_test(test_shard test_shard.c)
add_executable(test_allreduce_mpi test_allreduce_mpi.c)
target_link_libraries(test_allreduce_mpi PRIVATE dett_runtime)
target_include_directories(test_allreduce_mpi PRIVATE ${CMAKE_SOURCE_DIR}/tests)
foreach(np 1 2 4)
  add_test(NAME test_allreduce_mpi_${np}
           COMMAND ${DETT_MPIEXEC} -n ${np} $<TARGET_FILE:test_allreduce_mpi>)
endforeach()
# the sharded optimiser step against the serial tree and optimiser
add_executable(test_optshard_mpi test_optshard_mpi.c)
target_link_libraries(test_optshard_mpi PRIVATE dett_runtime)
target_include_directories(test_optshard_mpi PRIVATE ${CMAKE_SOURCE_DIR}/tests)
foreach(np 1 2 4)
  add_test(NAME test_optshard_mpi_${np}
           COMMAND ${DETT_MPIEXEC} -n ${np} $<TARGET_FILE:test_optshard_mpi>)
endforeach()
