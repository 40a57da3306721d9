# cmake --install: the installed tree (bin/dett runs, the example grids, the
# batch script, the scripts, the manual page), and the README's Slurm
# section showing scripts/dett-grid.sbatch exactly
file(MAKE_DIRECTORY ${DETT_TEST_TMP}/install)
add_test(NAME install_tree
         COMMAND bash ${CMAKE_SOURCE_DIR}/tests/install.sh ${CMAKE_COMMAND} ${CMAKE_BINARY_DIR}
                 ${CMAKE_SOURCE_DIR}
         WORKING_DIRECTORY ${DETT_TEST_TMP}/install)
