# runtime/linalg without ScaLAPACK: the stand-ins (compiled into the test in
# every build, so they are checked wherever the suite runs) and, in a build
# without ScaLAPACK, `dett run` refusing a dfr{} grid with one clean line
add_executable(test_linalg_none test_linalg_none.c
               ${CMAKE_SOURCE_DIR}/runtime/linalg/linalg_none.c
               ${CMAKE_SOURCE_DIR}/runtime/linalg/dfr_local.c)
target_include_directories(test_linalg_none PRIVATE ${CMAKE_SOURCE_DIR}/runtime/linalg
                           ${CMAKE_SOURCE_DIR}/tests)
target_link_libraries(test_linalg_none PRIVATE dett_dist)
add_test(NAME test_linalg_none COMMAND test_linalg_none WORKING_DIRECTORY ${DETT_TEST_TMP})

if(NOT DETT_HAVE_SCALAPACK)
  string(REPLACE ";" " " DETT_MPIEXEC_STR "${DETT_MPIEXEC}")
  file(MAKE_DIRECTORY ${DETT_TEST_TMP}/no_scalapack)
  add_test(NAME e2e_no_scalapack
           COMMAND bash ${CMAKE_SOURCE_DIR}/tests/no_scalapack.sh $<TARGET_FILE:dett>
                   "${DETT_MPIEXEC_STR}" ${CMAKE_SOURCE_DIR}/tests/grids
           WORKING_DIRECTORY ${DETT_TEST_TMP}/no_scalapack)
endif()
