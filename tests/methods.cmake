# the methods end to end through train_job; the method table; a test-only
# method added through the table alone (trains through dett run and train)
dett_unit_test(test_methods test_methods.c)
dett_unit_test(test_method_table test_method_table.c)
dett_unit_test(test_method_add test_method_add.c)
