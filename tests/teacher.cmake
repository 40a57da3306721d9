# External teachers (`teacher = external "t.h5"`) end to end: a numpy-made
# teacher file, students on it, refusals of mismatched and malformed files
# (tests/e2e_teacher.sh); then a PyTorch CNN teacher written by
# scripts/teacher_from_torch.py (skipped, exit 77, without torch).
file(MAKE_DIRECTORY ${DETT_TEST_TMP}/teacher ${DETT_TEST_TMP}/teacher_torch)
string(REPLACE ";" " " DETT_TEACHER_MPIEXEC "${DETT_MPIEXEC};${MPIEXEC_NUMPROC_FLAG}")
add_test(NAME e2e_teacher
         COMMAND bash ${CMAKE_SOURCE_DIR}/tests/e2e_teacher.sh $<TARGET_FILE:dett>
                 "${DETT_TEACHER_MPIEXEC}" ${CMAKE_SOURCE_DIR}/tests
         WORKING_DIRECTORY ${DETT_TEST_TMP}/teacher)
set_tests_properties(e2e_teacher PROPERTIES LABELS e2e)
add_test(NAME e2e_teacher_torch
         COMMAND bash ${CMAKE_SOURCE_DIR}/tests/teacher_torch.sh $<TARGET_FILE:dett>
                 "${DETT_TEACHER_MPIEXEC}" ${CMAKE_SOURCE_DIR}/tests ${CMAKE_SOURCE_DIR}/scripts
         WORKING_DIRECTORY ${DETT_TEST_TMP}/teacher_torch)
set_tests_properties(e2e_teacher_torch PROPERTIES SKIP_RETURN_CODE 77 LABELS e2e)
