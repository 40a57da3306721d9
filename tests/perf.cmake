# fast paths of kernels/ against their plain reference loops, bit for bit
dett_unit_test(test_perf_paths test_perf_paths.c)
