# fast paths of kernels/ against their plain reference loops, bit for bit
dett_kernel_test(test_perf_paths test_perf_paths.c)
# the stacked micro-shard step (kernels/stacked.h) against the per-shard tree
dett_kernel_test(test_stacked test_stacked.c)
set_tests_properties(test_stacked PROPERTIES ENVIRONMENT OPENBLAS_NUM_THREADS=1)
