dett_kernel_test(test_kernels test_kernels.c)
