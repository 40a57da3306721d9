# DettHDF5.cmake - parallel HDF5 as the interface target dett_hdf5_dep.
#
# Order: the pkg-config module named by DETT_HDF5_PKGCONFIG if set (e.g.
# hdf5-mpich on Debian); else CMake's FindHDF5, preferring the parallel build
# (honours HDF5_ROOT and HDF5_C_COMPILER_EXECUTABLE, e.g. h5pcc.mpich); else
# pkg-config hdf5-<flavour>, hdf5-mpi, hdf5. Whatever is found must be
# parallel (H5_HAVE_PARALLEL and H5Pset_fapl_mpio link) and must not be built
# for another MPI than the one found by DettMPI.cmake.
include(CheckCSourceCompiles)
set(DETT_HDF5_PKGCONFIG "" CACHE STRING
    "pkg-config module of a parallel HDF5 (e.g. hdf5-mpich); empty: FindHDF5 first")

add_library(dett_hdf5_dep INTERFACE)
set(_dett_hdf5_how "")
if(DETT_HDF5_PKGCONFIG)
  find_package(PkgConfig REQUIRED)
  pkg_check_modules(DETT_HDF5 REQUIRED IMPORTED_TARGET ${DETT_HDF5_PKGCONFIG})
  target_link_libraries(dett_hdf5_dep INTERFACE PkgConfig::DETT_HDF5)
  set(_dett_hdf5_target PkgConfig::DETT_HDF5)
  set(_dett_hdf5_how "pkg-config ${DETT_HDF5_PKGCONFIG}")
  set(_dett_hdf5_paths "${DETT_HDF5_INCLUDE_DIRS};${DETT_HDF5_LINK_LIBRARIES}")
else()
  set(HDF5_PREFER_PARALLEL ON)
  find_package(HDF5 COMPONENTS C)
  if(HDF5_FOUND AND HDF5_IS_PARALLEL)
    target_link_libraries(dett_hdf5_dep INTERFACE hdf5::hdf5)
    set(_dett_hdf5_target hdf5::hdf5)
    set(_dett_hdf5_how "FindHDF5 (${HDF5_VERSION})")
    set(_dett_hdf5_paths "${HDF5_C_INCLUDE_DIRS};${HDF5_C_LIBRARIES}")
  else()
    find_package(PkgConfig)
    if(PKG_CONFIG_FOUND)
      foreach(_m hdf5-${DETT_MPI_FLAVOR} hdf5-mpi hdf5)
        pkg_check_modules(DETT_HDF5 QUIET IMPORTED_TARGET ${_m})
        if(DETT_HDF5_FOUND)
          target_link_libraries(dett_hdf5_dep INTERFACE PkgConfig::DETT_HDF5)
          set(_dett_hdf5_target PkgConfig::DETT_HDF5)
          set(_dett_hdf5_how "pkg-config ${_m}")
          set(_dett_hdf5_paths "${DETT_HDF5_INCLUDE_DIRS};${DETT_HDF5_LINK_LIBRARIES}")
          break()
        endif()
      endforeach()
    endif()
  endif()
endif()
if(NOT _dett_hdf5_how)
  message(FATAL_ERROR "dett needs parallel HDF5 and found none: install libhdf5-openmpi-dev "
          "(or libhdf5-mpich-dev), load your site's parallel hdf5 module, or set HDF5_ROOT, "
          "HDF5_C_COMPILER_EXECUTABLE (h5pcc) or DETT_HDF5_PKGCONFIG")
endif()

# built for the MPI we use? (Debian-style paths name the flavour)
foreach(_other openmpi mpich)
  if(NOT DETT_MPI_FLAVOR STREQUAL "unknown" AND NOT _other STREQUAL DETT_MPI_FLAVOR
     AND _dett_hdf5_paths MATCHES "/${_other}[/;]|hdf5_${_other}|hdf5/${_other}")
    message(FATAL_ERROR "the HDF5 found (${_dett_hdf5_how}: ${_dett_hdf5_paths}) is built for "
            "${_other}, but the MPI is ${DETT_MPI_FLAVOR}: point HDF5_C_COMPILER_EXECUTABLE or "
            "DETT_HDF5_PKGCONFIG at the ${DETT_MPI_FLAVOR} build of HDF5")
  endif()
endforeach()

# parallel? (a serial HDF5 has no MPI-IO driver)
set(CMAKE_REQUIRED_LIBRARIES ${_dett_hdf5_target} MPI::MPI_C)
unset(DETT_HDF5_PARALLEL_OK CACHE)
check_c_source_compiles([[
#include <hdf5.h>
#include <mpi.h>
#ifndef H5_HAVE_PARALLEL
#error serial HDF5
#endif
int main(void)
{
    hid_t p = H5Pcreate(H5P_FILE_ACCESS);
    return H5Pset_fapl_mpio(p, MPI_COMM_WORLD, MPI_INFO_NULL) < 0;
}
]] DETT_HDF5_PARALLEL_OK)
unset(CMAKE_REQUIRED_LIBRARIES)
if(NOT DETT_HDF5_PARALLEL_OK)
  message(FATAL_ERROR "the HDF5 found (${_dett_hdf5_how}) is not a parallel build "
          "(no H5_HAVE_PARALLEL or no H5Pset_fapl_mpio): dett needs parallel HDF5 "
          "(libhdf5-openmpi-dev, libhdf5-mpich-dev, or your site's hdf5 module built with MPI); "
          "see CMakeFiles/CMakeError.log")
endif()
message(STATUS "dett: parallel HDF5 from ${_dett_hdf5_how}")
