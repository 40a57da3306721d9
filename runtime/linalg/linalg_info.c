/* linalg_info.c - the build's capabilities (see linalg.h). DETT_HAVE_SCALAPACK
 * and DETT_HAVE_OPENBLAS_THREADS come from runtime/linalg/CMakeLists.txt. */
#include "linalg.h"
#if DETT_HAVE_OPENBLAS_THREADS
#include <cblas.h>
#endif

int linalg_have_scalapack(void)
{
    return DETT_HAVE_SCALAPACK;
}

void linalg_blas_one_thread(void)
{
#if DETT_HAVE_OPENBLAS_THREADS
    openblas_set_num_threads(1);
#endif
}
