/* linalg.h - what this build of runtime/linalg can do.
 *
 * ScaLAPACK is optional (cmake -DDETT_WITH_SCALAPACK=AUTO|ON|OFF). Without
 * it, every collective of dfr.h and cka.h fails on every rank with
 * LINALG_NO_SCALAPACK as its message (linalg_none.c), and callers are
 * expected to check linalg_have_scalapack() first: `dett run` refuses a grid
 * with dfr{} jobs and skips the CKA diagnostics.
 */
#ifndef DETT_LINALG_H
#define DETT_LINALG_H

#define LINALG_NO_SCALAPACK "this build of dett has no ScaLAPACK: DFR and CKA are unavailable"

/* 1 if dfr.h and cka.h work in this build, 0 if they are the stubs */
int linalg_have_scalapack(void);

/* One BLAS thread in this process (ranks are the parallelism): OpenBLAS's
 * openblas_set_num_threads(1) where the BLAS has it; other BLAS libraries
 * are left to their environment variables (BLIS_NUM_THREADS, MKL's
 * sequential library or MKL_NUM_THREADS). Never fails. */
void linalg_blas_one_thread(void);

#endif
