/* scalapack.h - thin, checked wrappers over BLACS, PBLAS and ScaLAPACK.
 *
 * A grid (sl_grid) is a BLACS process grid over one MPI communicator: the job
 * group's, never assumed to be MPI_COMM_WORLD. Matrices (sl_mat) are double,
 * column-major, block-cyclic with square blocks nb x nb and source process
 * (0, 0), so any two matrices of one grid with the same nb are aligned as
 * pdposv/pdgemm require.
 *
 * Data arrives row-distributed (each rank holds a contiguous range of rows,
 * the way the data is sharded: rank r holds global rows [offs[r], offs[r+1])).
 * sl_rowmap records that split; sl_scatter_rows moves such rows into a
 * block-cyclic sl_mat, sl_scatter_rowvals gives every process the per-row
 * values of the rows it holds in block-cyclic form, and sl_mat_gather brings a
 * (small) block-cyclic result back to every rank.
 *
 * Conventions: functions return 0, or -1 with a message in e. "Collective"
 * means every rank of the grid's communicator must call it, in the same order.
 * A collective that fails because of bad input fails on every rank with the
 * same message (the ranks agree first). Indices are 0-based here; the
 * 1-based ScaLAPACK indices stay inside scalapack.c.
 *
 * ScaLAPACK has no C header in Debian: the prototypes below are ours. The
 * PBLAS routines (pdgemm_, pdsyrk_) are C and take no hidden string lengths;
 * the LAPACK-style routines (pdposv_, pdpocon_, and LAPACK's dposv_) are
 * Fortran, so their trailing size_t arguments are gfortran's hidden lengths
 * of the character arguments (always 1 here).
 */
#ifndef DETT_SCALAPACK_H
#define DETT_SCALAPACK_H
#include "err.h"
#include <mpi.h>
#include <stddef.h>
#include <stdint.h>

/* ---- BLACS / PBLAS / ScaLAPACK / LAPACK prototypes ------------------------- */

int Csys2blacs_handle(MPI_Comm comm);
void Cfree_blacs_system_handle(int handle);
void Cblacs_gridinit(int *ctxt, char *order, int nprow, int npcol);
void Cblacs_gridinfo(int ctxt, int *nprow, int *npcol, int *myrow, int *mycol);
void Cblacs_gridexit(int ctxt);
int numroc_(const int *n, const int *nb, const int *iproc, const int *isrcproc,
            const int *nprocs);
void descinit_(int *desc, const int *m, const int *n, const int *mb, const int *nb,
               const int *irsrc, const int *icsrc, const int *ictxt, const int *lld,
               int *info);
void pdgemm_(const char *transa, const char *transb, const int *m, const int *n,
             const int *k, const double *alpha, const double *a, const int *ia,
             const int *ja, const int *desca, const double *b, const int *ib,
             const int *jb, const int *descb, const double *beta, double *c,
             const int *ic, const int *jc, const int *descc);
void pdsyrk_(const char *uplo, const char *trans, const int *n, const int *k,
             const double *alpha, const double *a, const int *ia, const int *ja,
             const int *desca, const double *beta, double *c, const int *ic,
             const int *jc, const int *descc);
void pdposv_(const char *uplo, const int *n, const int *nrhs, double *a, const int *ia,
             const int *ja, const int *desca, double *b, const int *ib, const int *jb,
             const int *descb, int *info, size_t uplo_len);
void pdpocon_(const char *uplo, const int *n, const double *a, const int *ia,
              const int *ja, const int *desca, const double *anorm, double *rcond,
              double *work, const int *lwork, int *iwork, const int *liwork, int *info,
              size_t uplo_len);
void dposv_(const char *uplo, const int *n, const int *nrhs, double *a, const int *lda,
            double *b, const int *ldb, int *info, size_t uplo_len);

/* ---- grid ------------------------------------------------------------------ */

typedef struct {
    MPI_Comm comm;        /* the group's communicator: not owned */
    int rank, size;       /* this rank and the size of comm */
    int sys;              /* BLACS system handle of comm, -1 if none */
    int ctxt;             /* BLACS grid context, -1 if none */
    int nprow, npcol;     /* grid shape: nprow * npcol == size, nprow >= npcol */
    int myrow, mycol;     /* this rank's grid coordinates */
    int *rank_of;         /* [nprow * npcol]: comm rank of process (r, c) at
                             r * npcol + c; owned */
} sl_grid;

/* Collective over comm: a BLACS grid using every rank of comm (as square as
 * the size allows). The grid each rank gets back is checked (coordinates in
 * range, every (row, col) held by exactly one rank). g is zeroed on failure. */
int sl_grid_init(sl_grid *g, MPI_Comm comm, dett_err *e);
/* Collective over g->comm (BLACS frees its communicators). Accepts a zeroed
 * or already freed grid. */
void sl_grid_free(sl_grid *g);

/* ---- ordered sums ------------------------------------------------------------ */

/* Collective: v[0..n) <- the sum over ranks of v, added in rank order, so the
 * result is the same bits on every rank (and for a given split, every run). */
int sl_allsum(MPI_Comm comm, double *v, int n, dett_err *e);

/* ---- row-distributed data ---------------------------------------------------- */

typedef struct {
    int64_t n;            /* total rows */
    int64_t row0;         /* this rank's first global row */
    int64_t n_local;      /* this rank's rows */
    int64_t *offs;        /* [size + 1]: rank r holds [offs[r], offs[r + 1]); owned */
} sl_rowmap;

/* Collective: records every rank's row count (any n_local >= 0, ranks may
 * hold none). Fails if the total exceeds INT_MAX (ScaLAPACK's index type). */
int sl_rowmap_init(sl_rowmap *rm, MPI_Comm comm, int64_t n_local, dett_err *e);
void sl_rowmap_free(sl_rowmap *rm);

/* ---- block-cyclic matrices ---------------------------------------------------- */

typedef struct {
    int m, n;             /* global rows, columns */
    int nb;               /* block size (rows and columns) */
    int lr, lc, lld;      /* local rows, columns; leading dimension max(1, lr) */
    int desc[9];          /* ScaLAPACK descriptor */
    double *a;            /* owned: local block, lld x lc column-major, zeroed */
    const sl_grid *g;     /* not owned; must outlive the matrix */
} sl_mat;

/* Local (no communication): an m x n zero matrix on g with blocks nb x nb. */
int sl_mat_init(sl_mat *A, const sl_grid *g, int m, int n, int nb, dett_err *e);
void sl_mat_free(sl_mat *A);               /* accepts a zeroed or freed matrix */
/* local index -> global index (0-based) */
int sl_row_l2g(const sl_mat *A, int li);
int sl_col_l2g(const sl_mat *A, int lj);

/* Collective: A (rm->n x m, m == A->n) <- the rows each rank holds:
 * src [rm->n_local, m] row-major with leading dimension lds >= m. */
int sl_scatter_rows(sl_mat *A, const sl_rowmap *rm, const double *src, int lds,
                    dett_err *e);
/* Collective: out [A->lr, m] row-major <- for each local row li of A (global
 * row sl_row_l2g(A, li)), the m values src holds for that row; src
 * [rm->n_local, m] row-major. Replicated over process columns, so every
 * process can scale its own block of A row by row. */
int sl_scatter_rowvals(double *out, const sl_mat *A, const sl_rowmap *rm,
                       const double *src, int m, dett_err *e);
/* Collective: full [A->m, A->n] column-major (ld A->m) <- A, on every rank.
 * Each entry is held once and summed with zeros, so the copy is exact and
 * the same bits everywhere. For results (d x C), not for data. */
int sl_mat_gather(double *full, const sl_mat *A, dett_err *e);
/* Local: A <- the entries of a replicated full [A->m, A->n] column-major. */
void sl_mat_from_full(sl_mat *A, const double *full);
/* Local: A(i, i) += v for i in [i0, i1) */
void sl_mat_add_diag(sl_mat *A, int i0, int i1, double v);
/* Local: A(i, j) += v if this process holds it */
void sl_mat_add(sl_mat *A, int i, int j, double v);

/* ---- checked PBLAS / ScaLAPACK calls (collective over the grid) ---------------- */

/* C(ic:ic+k, ic:ic+k) upper <- alpha A(:, ja:ja+k)^T A(:, ja:ja+k) + beta C(...) */
int sl_syrk_t(sl_mat *C, int ic, const sl_mat *A, int ja, int k, double alpha,
              double beta, dett_err *e);
/* C(ic:ic+p, jc:jc+q) <- alpha A(:, ja:ja+p)^T B(:, jb:jb+q) + beta C(...);
 * A and B have the same rows. */
int sl_gemm_tn(sl_mat *C, int ic, int jc, const sl_mat *A, int ja, int p,
               const sl_mat *B, int jb, int q, double alpha, double beta, dett_err *e);
/* The 1-norm of the symmetric k x k matrix whose upper triangle is A(0:k, 0:k). */
int sl_sym_norm1(double *norm, const sl_mat *A, int k, dett_err *e);
/* Cholesky solve of A(0:k, 0:k) X = B(0:k, :) (upper triangle of A used; A is
 * overwritten by its factor, B by X). *info is pdposv's (> 0: A is not
 * positive definite, the caller's case to handle); an illegal argument
 * (info < 0) is an error. The same *info on every rank. */
int sl_posv(sl_mat *A, int k, sl_mat *B, int *info, dett_err *e);
/* Reciprocal 1-norm condition estimate of A(0:k, 0:k) after sl_posv
 * succeeded (anorm: sl_sym_norm1 of A before the factorisation). */
int sl_pocon(double *rcond, const sl_mat *A, int k, double anorm, dett_err *e);

#endif
