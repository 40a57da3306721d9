# epoch sampling (runtime/train/sampler.c) and the row exchange
# (runtime/train/rowx.c); docs/sampling.md
dett_unit_test(test_sampler test_sampler.c)
