# image layers (conv, pooling, GAP) and model_cnn
dett_kernel_test(test_conv test_conv.c)
