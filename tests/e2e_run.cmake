# end-to-end: dett run / dett report on small grids
string(REPLACE ";" " " DETT_MPIEXEC_STR "${DETT_MPIEXEC}")
foreach(case ranks resume store checkpoint diverge refuse cnn paper dfr paired dedier)
  if(case STREQUAL "dfr" AND NOT DETT_HAVE_SCALAPACK)
    dett_skipped_test(e2e_run_dfr "this build of dett has no ScaLAPACK: DFR and CKA are unavailable")
    continue()
  endif()
  file(MAKE_DIRECTORY ${DETT_TEST_TMP}/run_${case})
  add_test(NAME e2e_run_${case}
           COMMAND bash ${CMAKE_SOURCE_DIR}/tests/e2e_run.sh $<TARGET_FILE:dett>
                   "${DETT_MPIEXEC_STR}" ${CMAKE_SOURCE_DIR}/tests/grids ${case}
                   $<TARGET_FILE:test_data_builders>
           WORKING_DIRECTORY ${DETT_TEST_TMP}/run_${case})
  set_tests_properties(e2e_run_${case} PROPERTIES ENVIRONMENT DETT_HAVE_SCALAPACK=${DETT_HAVE_SCALAPACK})
endforeach()

# the teacher cache: the same bits as without it (tests/e2e_teacher_cache.sh)
file(MAKE_DIRECTORY ${DETT_TEST_TMP}/run_tcache)
add_test(NAME e2e_teacher_cache
         COMMAND bash ${CMAKE_SOURCE_DIR}/tests/e2e_teacher_cache.sh $<TARGET_FILE:dett>
                 "${DETT_MPIEXEC_STR}" ${CMAKE_SOURCE_DIR}/tests/grids
         WORKING_DIRECTORY ${DETT_TEST_TMP}/run_tcache)

# a waiting job group does not spin a core (tests/e2e_sched_idle.sh)
file(MAKE_DIRECTORY ${DETT_TEST_TMP}/run_idle)
add_test(NAME e2e_sched_idle
         COMMAND bash ${CMAKE_SOURCE_DIR}/tests/e2e_sched_idle.sh $<TARGET_FILE:dett>
                 "${DETT_MPIEXEC_STR}" ${CMAKE_SOURCE_DIR}/tests/grids
         WORKING_DIRECTORY ${DETT_TEST_TMP}/run_idle)

# a checkpoint of a sharded optimiser resumes in a group of another size
# (tests/e2e_resume_ranks.sh)
file(MAKE_DIRECTORY ${DETT_TEST_TMP}/run_resume_ranks)
add_test(NAME e2e_run_resume_ranks
         COMMAND bash ${CMAKE_SOURCE_DIR}/tests/e2e_resume_ranks.sh $<TARGET_FILE:dett>
                 "${DETT_MPIEXEC_STR}" ${CMAKE_SOURCE_DIR}/tests/grids
         WORKING_DIRECTORY ${DETT_TEST_TMP}/run_resume_ranks)

# the scheduler's order: longest critical path first (tests/e2e_sched_order.sh)
file(MAKE_DIRECTORY ${DETT_TEST_TMP}/run_order)
add_test(NAME e2e_sched_order
         COMMAND bash ${CMAKE_SOURCE_DIR}/tests/e2e_sched_order.sh $<TARGET_FILE:dett>
                 "${DETT_MPIEXEC_STR}" ${CMAKE_SOURCE_DIR}/tests/grids
         WORKING_DIRECTORY ${DETT_TEST_TMP}/run_order)
