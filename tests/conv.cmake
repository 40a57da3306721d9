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
# the blocked 2 x 2 max pooling at each narrower width the CPU also has
# (kernels/blocked.c: AVX-512F, AVX2, SSE; the run above takes the widest;
# a cap above the CPU's widest runs that one again)
foreach(w avx2 sse)
  add_test(NAME test_blocked_${w} COMMAND test_blocked WORKING_DIRECTORY ${DETT_TEST_TMP})
  set_tests_properties(test_blocked_${w} PROPERTIES ENVIRONMENT DETT_BLK_SIMD=${w})
endforeach()
