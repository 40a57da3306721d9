# DettScaLAPACK.cmake - ScaLAPACK (with BLACS and LAPACK) as the interface
# target dett_scalapack_dep, and DETT_HAVE_SCALAPACK (0 or 1).
#
# DETT_WITH_SCALAPACK: AUTO (default: use it if found), ON (required), OFF.
# Without it, runtime/linalg builds stubs: DFR jobs are refused and the CKA
# diagnostics are not computed ("this build of dett has no ScaLAPACK").
# Search order: SCALAPACK_LIBRARIES if set (a full link line, e.g. MKL's
# "-lmkl_scalapack_lp64 -lmkl_blacs_openmpi_lp64 ..."); pkg-config
# scalapack-<flavour> (Debian: scalapack-openmpi, scalapack-mpich), then
# scalapack; a library named scalapack-<flavour> or scalapack (SCALAPACK_ROOT,
# CMAKE_PREFIX_PATH). Whatever is found must link pdposv_ and the BLACS.
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
    find_package(PkgConfig)
    if(PKG_CONFIG_FOUND)
      foreach(_m scalapack-${DETT_MPI_FLAVOR} scalapack)
        pkg_check_modules(DETT_SCALAPACK QUIET IMPORTED_TARGET ${_m})
        if(DETT_SCALAPACK_FOUND)
          target_link_libraries(dett_scalapack_dep INTERFACE PkgConfig::DETT_SCALAPACK)
          set(_dett_sl_link PkgConfig::DETT_SCALAPACK)
          set(_dett_sl_how "pkg-config ${_m}")
          break()
        endif()
      endforeach()
    endif()
    if(NOT _dett_sl_how)
      find_library(DETT_SCALAPACK_LIBRARY NAMES scalapack-${DETT_MPI_FLAVOR} scalapack
                   HINTS ${SCALAPACK_ROOT} ENV SCALAPACK_ROOT PATH_SUFFIXES lib lib64)
      if(DETT_SCALAPACK_LIBRARY)
        target_link_libraries(dett_scalapack_dep INTERFACE ${DETT_SCALAPACK_LIBRARY})
        set(_dett_sl_link ${DETT_SCALAPACK_LIBRARY})
        set(_dett_sl_how "${DETT_SCALAPACK_LIBRARY}")
      endif()
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
