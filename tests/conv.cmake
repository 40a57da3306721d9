# image layers (conv, pooling, GAP) and model_cnn, the channel-blocked
# layout between them (test_blocked); with oneDNN
# (kernels/CMakeLists.txt, DETT_DNNL_FOUND) both convolution paths and the
# oneDNN path's determinism under more OpenMP threads
dett_kernel_test(test_conv test_conv.c)
if(DETT_DNNL_FOUND)
  find_package(OpenMP REQUIRED COMPONENTS C)
  target_compile_definitions(test_conv PRIVATE DETT_WITH_DNNL)
  target_include_directories(test_conv SYSTEM PRIVATE ${DNNL_INCLUDE_DIR})
  target_link_libraries(test_conv PRIVATE OpenMP::OpenMP_C)
endif()
dett_kernel_test(test_blocked test_blocked.c)
