dett_kernel_test(test_kernels test_kernels.c)
dett_kernel_test(test_rsgemm test_rsgemm.c)
