# fuzz: libFuzzer targets for the Lua front end, dataset files, the CSV
# importer, the numpy (.npy/.npz) loader and the readers of results files
# (dett report, the resume path's id adoption), built only
# with -DDETT_FUZZ=ON (clang; tests/fuzz/run.sh, docs/reliability.md). Each
# ctest entry runs every seed and regression input once, fuzzes for 30 s and
# fails on any finding in dett's code (tests/fuzz/fuzz_target.sh); new
# inputs go to the build tree, never to the source corpus. fuzz_dataset
# and fuzz_results excuse findings that start inside libhdf5 (HDF5 1.10's
# own defects on damaged files); the others excuse nothing.
# the triage rule itself (tests/fuzz/triage.sh), in every build: a fake
# symbolizer, no fuzz binary needed
add_test(NAME triage_fuzz_findings COMMAND bash ${CMAKE_CURRENT_SOURCE_DIR}/fuzz/triage_test.sh
                                          ${CMAKE_CURRENT_SOURCE_DIR}/fuzz)
if(DETT_FUZZ)
  set(DETT_FUZZ_SECONDS 30 CACHE STRING "seconds each fuzz target runs under ctest")
  set(fuzz_external_lua "")
  set(fuzz_external_dataset "libhdf5")
  set(fuzz_external_csv "")
  set(fuzz_external_npz "")
  set(fuzz_external_results "libhdf5")
  # fuzz_dataset and fuzz_results start MPI: full stacks, so that lsan.supp
  # can name Open MPI's initialisation. fuzz_lua starts it too (validate_grid
  # is collective), but full stacks make its deepest seeds run past the 5 s
  # timeout: fast stacks, and no leak check at exit (Open MPI's would show);
  # libFuzzer's check after each input that allocates more than it frees
  # still finds a leak of dett's (tried with a planted one)
  set(fuzz_asan_dataset "detect_leaks=1:allocator_may_return_null=1:fast_unwind_on_malloc=0")
  set(fuzz_asan_lua "detect_leaks=1:allocator_may_return_null=1:leak_check_at_exit=0")
  set(fuzz_asan_csv "detect_leaks=1:allocator_may_return_null=1")
  set(fuzz_asan_npz "detect_leaks=1:allocator_may_return_null=1")
  set(fuzz_asan_results "${fuzz_asan_dataset}")
  foreach(t lua dataset csv npz results)
    add_executable(fuzz_${t} fuzz/fuzz_${t}.c)
    target_link_libraries(fuzz_${t} PRIVATE dett_cli)
    target_link_options(fuzz_${t} PRIVATE -fsanitize=fuzzer)
    set(src ${CMAKE_CURRENT_SOURCE_DIR}/fuzz)
    add_test(NAME fuzz_${t}
             COMMAND bash ${src}/fuzz_target.sh $<TARGET_FILE:fuzz_${t}> ${DETT_FUZZ_SECONDS}
                     ${src}/${t}.dict ${DETT_TEST_TMP}/fuzz_${t} "${fuzz_external_${t}}"
                     ${src}/corpus_${t} ${src}/regress_${t}
             WORKING_DIRECTORY ${DETT_TEST_TMP})
    set_tests_properties(fuzz_${t} PROPERTIES TIMEOUT 600 LABELS fuzz
      ENVIRONMENT "ASAN_OPTIONS=${fuzz_asan_${t}};LSAN_OPTIONS=use_tls=0:suppressions=${CMAKE_CURRENT_SOURCE_DIR}/lsan.supp;UBSAN_OPTIONS=print_stacktrace=1")
  endforeach()
  target_compile_definitions(fuzz_lua PRIVATE DETT_LUA_TEST_DIR="${CMAKE_CURRENT_SOURCE_DIR}/lua"
                             DETT_FUZZ_DATA_DIR="${CMAKE_CURRENT_SOURCE_DIR}/fuzz/corpus_dataset")
endif()
