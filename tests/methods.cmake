# the methods end to end through train_job
dett_unit_test(test_methods test_methods.c)
