# fast paths of kernels/ against their plain reference loops, bit for bit
dett_kernel_test(test_perf_paths test_perf_paths.c)
