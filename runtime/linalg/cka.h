/* cka.h - linear CKA and per-group feature diagnostics over a job group.
 *
 * Linear CKA (Kornblith et al. 2019) of X [n, dx] and Y [n, dy]:
 *   CKA = ||Yc^T Xc||_F^2 / (||Xc^T Xc||_F ||Yc^T Yc||_F)
 * with Xc, Yc the column-centred matrices. 1 for X = Y; invariant to an
 * orthogonal transform or an isotropic scaling of either side; NaN when
 * either side has no variance (all rows equal) or n < 2.
 *
 * Rows are ROW-DISTRIBUTED as in dfr.h (each rank passes its own rows
 * [n_local, width] row-major float; uneven splits and empty ranks allowed).
 * Means come from all rows (an ordered sum, the same on every rank); each rank
 * forms the Gram [Xc | Yc]^T [Xc | Yc] of its own rows in double (one dsyrk,
 * no BLACS grid or block-cyclic copy: the matrices are at most a few
 * thousand wide), and the Grams are summed over ranks in rank order, so the
 * three products' sums of squares are the same bits on every rank of comm
 * (across rank counts they agree to ~1e-15 relative, not bitwise).
 * Every function is collective over comm, returns the same value on every
 * rank, and returns 0, or -1 on every rank with a message in e (non-finite
 * input, a group id out of range, an MPI failure). Outputs are caller-owned.
 */
#ifndef DETT_CKA_H
#define DETT_CKA_H
#include "err.h"
#include "scalapack.h"
#include <mpi.h>
#include <stdint.h>

/* *cka <- linear CKA of X_local [n_local, dx] and Y_local [n_local, dy] */
int cka_linear(MPI_Comm comm, const float *X_local, int dx, const float *Y_local, int dy,
               int64_t n_local, double *cka, dett_err *e);

/* Per group k in 0..G-1 (g_local [n_local] gives each row's group), for a
 * teacher's features T_local [n_local, d] and a student's projected features
 * S_local [n_local, d]:
 *   cka_g[k]  linear CKA of the group's rows (centred within the group);
 *             NaN for a group of fewer than 2 rows or without variance;
 *   mse_g[k]  (1 / (n_k d)) sum_{i in k} ||S_i - T_i||^2, the feature MSE of
 *             kernels/loss.h averaged over the group's rows; NaN if empty;
 *   n_g[k]    the group's rows (n_g may be NULL).
 * cka_g [G], mse_g [G], n_g [G] are caller-owned. */
int cka_per_group(MPI_Comm comm, const float *T_local, const float *S_local, int d,
                  const int32_t *g_local, int64_t n_local, int G, double *cka_g,
                  double *mse_g, int64_t *n_g, dett_err *e);

#endif
