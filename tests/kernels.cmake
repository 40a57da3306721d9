dett_unit_test(test_kernels test_kernels.c)
