# DettInstall.cmake - what `cmake --install build --prefix P` puts under P:
#   bin/dett
#   share/dett/experiments/*.lua        the example grids (copy one, edit its paths)
#   share/dett/scripts/                 the data recipes and helpers users run
#   share/dett/slurm/dett-grid.sbatch   the batch script of README "On a Slurm cluster"
#   share/man/man1/dett.1               the manual page (man dett)
#   share/doc/dett/                     README.md, LICENSE, docs/*.md
install(TARGETS dett RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
install(DIRECTORY ${CMAKE_SOURCE_DIR}/experiments/
        DESTINATION ${CMAKE_INSTALL_DATADIR}/dett/experiments FILES_MATCHING PATTERN "*.lua")
install(PROGRAMS ${CMAKE_SOURCE_DIR}/scripts/fetch_mnist.sh
                 ${CMAKE_SOURCE_DIR}/scripts/make_cps1988.sh
                 ${CMAKE_SOURCE_DIR}/scripts/kd_gap.py
        DESTINATION ${CMAKE_INSTALL_DATADIR}/dett/scripts)
install(FILES ${CMAKE_SOURCE_DIR}/scripts/mpienv.sh
        DESTINATION ${CMAKE_INSTALL_DATADIR}/dett/scripts)
install(FILES ${CMAKE_SOURCE_DIR}/scripts/dett-grid.sbatch
        DESTINATION ${CMAKE_INSTALL_DATADIR}/dett/slurm)
install(FILES ${CMAKE_SOURCE_DIR}/docs/dett.1 DESTINATION ${CMAKE_INSTALL_MANDIR}/man1)
install(FILES ${CMAKE_SOURCE_DIR}/README.md ${CMAKE_SOURCE_DIR}/LICENSE
        DESTINATION ${CMAKE_INSTALL_DOCDIR})
install(DIRECTORY ${CMAKE_SOURCE_DIR}/docs/ DESTINATION ${CMAKE_INSTALL_DOCDIR}
        FILES_MATCHING PATTERN "*.md" PATTERN "results" EXCLUDE)
