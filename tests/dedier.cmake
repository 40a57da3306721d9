# DEDIER (docs/dedier.md): its weights and objective by hand, the readout's
# gradient check (kernels only); the readout inside the training loop
dett_kernel_test(test_dedier test_dedier.c)
dett_unit_test(test_dedier_train test_dedier_train.c)
target_link_libraries(test_dedier_train PRIVATE dett_test_fixture)
