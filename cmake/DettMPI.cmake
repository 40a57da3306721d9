# DettMPI.cmake - the MPI library: MPI::MPI_C and DETT_MPI_FLAVOR.
#
# CMake's FindMPI honours the usual cache variables: MPI_HOME (an install
# prefix), MPI_C_COMPILER (the wrapper to interrogate, e.g. mpicc.mpich) and
# MPIEXEC_EXECUTABLE (what the MPI tests start ranks with). Under an
# environment module or Spack, the wrapper on PATH is found by itself.
set(MPI_DETERMINE_LIBRARY_VERSION ON)
find_package(MPI REQUIRED COMPONENTS C)

# openmpi | mpich | intel | unknown, from the library's version string; used
# to pick the matching Debian-style ScaLAPACK and HDF5 names
set(DETT_MPI_FLAVOR unknown)
if(MPI_C_LIBRARY_VERSION_STRING MATCHES "Open MPI")
  set(DETT_MPI_FLAVOR openmpi)
elseif(MPI_C_LIBRARY_VERSION_STRING MATCHES "Intel")
  set(DETT_MPI_FLAVOR intel)
elseif(MPI_C_LIBRARY_VERSION_STRING MATCHES "MPICH|MVAPICH")
  set(DETT_MPI_FLAVOR mpich)
endif()
string(REGEX REPLACE "[,\r\n].*" "" _dett_mpi_line "${MPI_C_LIBRARY_VERSION_STRING}")
message(STATUS "dett: MPI ${MPI_C_VERSION} (${DETT_MPI_FLAVOR}: ${_dett_mpi_line}); "
               "tests start ranks with ${MPIEXEC_EXECUTABLE}")
