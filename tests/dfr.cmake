# DFR refits and CKA diagnostics: runtime/linalg/ (scalapack.c, dfr.c, cka.c)
# one process: against serial references (LAPACK dposv_, a serial Newton,
# explicit Grams); dposv_ comes from liblapack through PkgConfig::SCALAPACK
if(NOT DETT_HAVE_SCALAPACK)
  foreach(t test_dfr test_dfr_mpi_2 test_dfr_mpi_4)
    dett_skipped_test(${t} "this build of dett has no ScaLAPACK: DFR and CKA are unavailable")
  endforeach()
  return()
endif()
dett_unit_test(test_dfr test_dfr.c)
# under MPI: uneven row splits and sub-communicators vs the 1-rank solution
add_executable(test_dfr_mpi test_dfr_mpi.c)
target_link_libraries(test_dfr_mpi PRIVATE dett_runtime)
target_include_directories(test_dfr_mpi PRIVATE ${CMAKE_SOURCE_DIR}/tests)
foreach(np 2 4)
  add_test(NAME test_dfr_mpi_${np}
           COMMAND ${DETT_MPIEXEC} -n ${np} $<TARGET_FILE:test_dfr_mpi>)
endforeach()
