# dett report: analysis/report*.c on small results files written by the test;
# outputs compared with the fixtures in tests/report/.
dett_unit_test(test_report test_report.c)
target_compile_definitions(test_report PRIVATE
  REPORT_FIXTURES="${CMAKE_SOURCE_DIR}/tests/report")
