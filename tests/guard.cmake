# what guards a grid: the checks before training, the results file's lock,
# data digests in the job hashes, a job failing alone, a failing diagnostic,
# damaged results files, a results file on a full disk (tests/e2e_guard.sh),
# the digest itself (test_digest: layout independence, the cache) and the
# lock without MPI (test_lock: holder, heartbeat, takeover, release)
string(REPLACE ";" " " DETT_MPIEXEC_STR "${DETT_MPIEXEC}")
foreach(case refuse lock stale digest jobfail diagfail damaged diskfull)
  file(MAKE_DIRECTORY ${DETT_TEST_TMP}/guard_${case})
  add_test(NAME e2e_guard_${case}
           COMMAND bash ${CMAKE_SOURCE_DIR}/tests/e2e_guard.sh $<TARGET_FILE:dett>
                   "${DETT_MPIEXEC_STR}" ${case}
           WORKING_DIRECTORY ${DETT_TEST_TMP}/guard_${case})
endforeach()
dett_unit_test(test_digest test_digest.c)
dett_unit_test(test_lock test_lock.c)
find_package(OpenSSL REQUIRED COMPONENTS Crypto)
target_link_libraries(test_digest PRIVATE OpenSSL::Crypto)
# I/O failures of the results file during a run (tests/e2e_iofail.sh):
# an injected EIO on any rank, a real failed write under HDF5 (the
# LD_PRELOAD library fail_pwrite), its directory removed, no fallocate,
# a failed write inside results_open (openfail) or results_close's H5Fclose
# (closefail), a skipped job's row (skipfail)
add_library(fail_pwrite MODULE fail_pwrite.c)
target_link_libraries(fail_pwrite PRIVATE ${CMAKE_DL_LIBS})
foreach(case eio eioreal eiogroup vanished nofalloc openfail closefail skipfail)
  file(MAKE_DIRECTORY ${DETT_TEST_TMP}/iofail_${case})
  add_test(NAME e2e_guard_iofail_${case}
           COMMAND bash ${CMAKE_SOURCE_DIR}/tests/e2e_iofail.sh $<TARGET_FILE:dett>
                   "${DETT_MPIEXEC_STR}" ${case} $<TARGET_FILE:fail_pwrite>
           WORKING_DIRECTORY ${DETT_TEST_TMP}/iofail_${case})
  set_tests_properties(e2e_guard_iofail_${case} PROPERTIES TIMEOUT 300)
endforeach()
