# DettScaLAPACK.cmake - ScaLAPACK (with BLACS and LAPACK) as the interface
# target dett_scalapack_dep, and DETT_HAVE_SCALAPACK (0 or 1).
#
# DETT_WITH_SCALAPACK: AUTO (default: use it if found), ON (required), OFF.
# Without it, runtime/linalg builds stubs: DFR jobs are refused and the CKA
# diagnostics are not computed ("this build of dett has no ScaLAPACK").
# Search order: SCALAPACK_LIBRARIES if set (a full link line, e.g. MKL's
# "-lmkl_scalapack_lp64 -lmkl_blacs_openmpi_lp64 ..."); else a library named
# scalapack-<flavour> (Debian: scalapack-openmpi, scalapack-mpich) or
# scalapack, in SCALAPACK_ROOT, pkg-config's directory for it, or the usual
# places (CMAKE_PREFIX_PATH). It is linked with this build's MPI, LAPACK and
# BLAS and must link pdposv_ and the BLACS.
include(CheckCSourceCompiles)
set(DETT_WITH_SCALAPACK AUTO CACHE STRING "use ScaLAPACK: AUTO (if found), ON, OFF")
set_property(CACHE DETT_WITH_SCALAPACK PROPERTY STRINGS AUTO ON OFF)
set(SCALAPACK_LIBRARIES "" CACHE STRING
    "ScaLAPACK link line (libraries or flags); empty: search pkg-config and the library path")

add_library(dett_scalapack_dep INTERFACE)
set(DETT_HAVE_SCALAPACK 0)
set(_dett_sl_how "")
if(NOT DETT_WITH_SCALAPACK STREQUAL "OFF")
  if(SCALAPACK_LIBRARIES)
    target_link_libraries(dett_scalapack_dep INTERFACE ${SCALAPACK_LIBRARIES})
    set(_dett_sl_link ${SCALAPACK_LIBRARIES})
    set(_dett_sl_how "SCALAPACK_LIBRARIES")
  else()
    # pkg-config only for where the library is: its Requires can name another
    # MPI (Debian's scalapack-mpich.pc requires "mpi", the default MPI's
    # module); the library is linked with this build's MPI, LAPACK and BLAS
    find_package(PkgConfig)
    if(PKG_CONFIG_FOUND)
      pkg_check_modules(DETT_SCALAPACK_PC QUIET scalapack-${DETT_MPI_FLAVOR})
      if(NOT DETT_SCALAPACK_PC_FOUND)
        pkg_check_modules(DETT_SCALAPACK_PC QUIET scalapack)
      endif()
    endif()
    find_library(DETT_SCALAPACK_LIBRARY NAMES scalapack-${DETT_MPI_FLAVOR} scalapack
                 HINTS ${SCALAPACK_ROOT} ENV SCALAPACK_ROOT ${DETT_SCALAPACK_PC_LIBRARY_DIRS}
                 PATH_SUFFIXES lib lib64)
    if(DETT_SCALAPACK_LIBRARY)
      target_link_libraries(dett_scalapack_dep INTERFACE ${DETT_SCALAPACK_LIBRARY})
      set(_dett_sl_link ${DETT_SCALAPACK_LIBRARY})
      set(_dett_sl_how "${DETT_SCALAPACK_LIBRARY}")
    endif()
  endif()
  if(_dett_sl_how)
    # LAPACK (dposv_, used by the serial references of the DFR tests) and BLAS
    find_package(LAPACK QUIET)
    if(LAPACK_FOUND)
      target_link_libraries(dett_scalapack_dep INTERFACE ${LAPACK_LIBRARIES})
      list(APPEND _dett_sl_link ${LAPACK_LIBRARIES})
    endif()
    target_link_libraries(dett_scalapack_dep INTERFACE dett_blas_dep MPI::MPI_C)
    set(CMAKE_REQUIRED_LIBRARIES ${_dett_sl_link} ${DETT_BLAS_LINK} MPI::MPI_C)
    unset(DETT_SCALAPACK_LINKS CACHE)
    check_c_source_compiles([[
#include <stddef.h>
void pdposv_(void);
void Cblacs_gridinit(void);
int Csys2blacs_handle(void);
void dposv_(void);
int main(void)
{
    return (size_t)&pdposv_ + (size_t)&Cblacs_gridinit + (size_t)&Csys2blacs_handle
           + (size_t)&dposv_ == 0;
}
]] DETT_SCALAPACK_LINKS)
    unset(CMAKE_REQUIRED_LIBRARIES)
    if(DETT_SCALAPACK_LINKS)
      set(DETT_HAVE_SCALAPACK 1)
    endif()
  endif()
  if(NOT DETT_HAVE_SCALAPACK)
    set(_dett_sl_msg "no usable ScaLAPACK (${_dett_sl_how}${DETT_MPI_FLAVOR}): install "
        "libscalapack-${DETT_MPI_FLAVOR}-dev, load your site's scalapack module, or set "
        "SCALAPACK_LIBRARIES")
    if(DETT_WITH_SCALAPACK STREQUAL "ON")
      message(FATAL_ERROR "DETT_WITH_SCALAPACK=ON but ${_dett_sl_msg}")
    endif()
    message(WARNING "dett: ${_dett_sl_msg}; building without it: DFR and CKA are unavailable")
  endif()
endif()
if(DETT_HAVE_SCALAPACK)
  message(STATUS "dett: ScaLAPACK from ${_dett_sl_how}")
else()
  message(STATUS "dett: no ScaLAPACK (DETT_WITH_SCALAPACK=${DETT_WITH_SCALAPACK}): DFR and CKA are unavailable")
endif()
