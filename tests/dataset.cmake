# dataset layer: runtime/io/dataset.c, runtime/data/synth.c, cli/cmd_data.c
dett_unit_test(test_dataset test_dataset.c)

# the same under MPI: each rank reads its own rows; failures agreed by all ranks.
# The TAG argument keeps the two runs' files apart under parallel ctest.
add_executable(test_dataset_mpi test_dataset_mpi.c)
target_link_libraries(test_dataset_mpi PRIVATE dett_cli)
target_include_directories(test_dataset_mpi PRIVATE ${CMAKE_SOURCE_DIR}/tests)
foreach(k 2 4)
  add_test(NAME test_dataset_mpi_${k}
           COMMAND ${DETT_MPIEXEC} -n ${k} $<TARGET_FILE:test_dataset_mpi> n${k}
           WORKING_DIRECTORY ${DETT_TEST_TMP})
endforeach()

# data files as h5py writes them (tests/dataset_h5py.py): compressed, chunked,
# resizable, big-endian, float64 / int64 / int8; damaged or non-finite ones.
# The Python step exits 77 (skip) without h5py; CI installs python3-h5py.
add_executable(test_dataset_h5py test_dataset_h5py.c)
target_link_libraries(test_dataset_h5py PRIVATE dett_cli)
target_include_directories(test_dataset_h5py PRIVATE ${CMAKE_SOURCE_DIR}/tests)
add_test(NAME dataset_h5py_plain
         COMMAND test_dataset_h5py make test_dataset_h5py_plain.h5
         WORKING_DIRECTORY ${DETT_TEST_TMP})
add_test(NAME dataset_h5py_files
         COMMAND /usr/bin/python3 ${CMAKE_CURRENT_SOURCE_DIR}/dataset_h5py.py
                 test_dataset_h5py_plain.h5 test_dataset_h5py_
         WORKING_DIRECTORY ${DETT_TEST_TMP})
set_tests_properties(dataset_h5py_plain PROPERTIES FIXTURES_SETUP dataset_h5py_plain)
set_tests_properties(dataset_h5py_files PROPERTIES FIXTURES_REQUIRED dataset_h5py_plain
                     FIXTURES_SETUP dataset_h5py_files SKIP_RETURN_CODE 77)
foreach(k 1 2)
  add_test(NAME test_dataset_h5py_${k}
           COMMAND ${DETT_MPIEXEC} -n ${k} $<TARGET_FILE:test_dataset_h5py> check
                   test_dataset_h5py_plain.h5 test_dataset_h5py_
           WORKING_DIRECTORY ${DETT_TEST_TMP})
  set_tests_properties(test_dataset_h5py_${k} PROPERTIES FIXTURES_REQUIRED dataset_h5py_files)
endforeach()

# `dett data` on a full disk (an injected ENOSPC always; a 64 KB tmpfs when root)
add_test(NAME data_diskfull
         COMMAND bash ${CMAKE_CURRENT_SOURCE_DIR}/data_diskfull.sh $<TARGET_FILE:dett>
                 ${CMAKE_CURRENT_SOURCE_DIR}
         WORKING_DIRECTORY ${DETT_TEST_TMP})

# `dett data npz` / `dett data npy` on archives numpy writes: every layout gives
# the same numbers (h5py), every bad archive one dett: line (77: no numpy)
add_test(NAME data_npz_numpy
         COMMAND /usr/bin/python3 ${CMAKE_CURRENT_SOURCE_DIR}/data_npz_numpy.py $<TARGET_FILE:dett>
         WORKING_DIRECTORY ${DETT_TEST_TMP})
set_tests_properties(data_npz_numpy PROPERTIES SKIP_RETURN_CODE 77)
