/* dfr.h - Deep Feature Reweighting (Kirichenko et al. 2022): the last layer
 * refit in closed form on held-out features, distributed over a job group.
 *
 * Shapes: n rows in total, d features, C classes. Features F [n, d] are
 * ROW-DISTRIBUTED: each rank passes its own rows (F_local [n_local, d]
 * row-major float, y_local [n_local] in 0..C-1; any n_local >= 0, uneven
 * splits and empty ranks allowed). Every function here is collective over
 * comm (every rank calls it with the same d, C and options) and returns the
 * same result bits on every rank. Bad input found by any rank (a label out of
 * range, a non-finite feature, n < 2, ...) fails on every rank with the same
 * message.
 *
 * The math (docs/dfr.md has the full version):
 *   standardise: z = (x - mu) * s, mu and s = 1/sigma from all n rows
 *     (population sigma; a constant column gets s = 0);
 *   ridge:    min_W (1/2n) ||Yc - Z W^T||^2 + (lambda/2) ||W||^2, Yc the
 *             centred one-hot targets, i.e. (Z^T Z / n + lambda I) W^T =
 *             Z^T Yc / n (the brief's (F^T F + lambda n I) W^T = F^T Y), and
 *             b = the class frequencies;
 *   logistic: min_{W,b} (1/n) sum_i CE(softmax(W z_i + b), y_i)
 *             + (lambda/2) ||W||^2 (the bias is not penalised), by Newton's
 *             method with a backtracking line search. For C = 2 the binary
 *             form (a (d+1)-square system) is solved and returned as the
 *             symmetric two-class softmax, which is exactly the multinomial
 *             optimum; C > 2 solves (d+1)C-square systems.
 * Products are PBLAS calls on block-cyclic copies (scalapack.h) and every
 * system is solved by pdposv. A system that is not positive definite, or
 * whose reciprocal condition estimate is below rcond_min, or whose solution is
 * not finite, is refit with lambda x 10 (from lambda_floor when lambda is 0),
 * up to max_retries times; the report says which lambda was used. The
 * standardisation is folded into the returned W, b: logits = W x + b on the
 * raw features.
 */
#ifndef DETT_DFR_H
#define DETT_DFR_H
#include "err.h"
#include "scalapack.h"
#include <mpi.h>
#include <stdint.h>

typedef enum { DFR_RIDGE = 0, DFR_LOGISTIC = 1 } dfr_solver;

typedef struct {
    dfr_solver solver;     /* default DFR_LOGISTIC */
    double lambda;         /* L2 strength as above, >= 0; default 1e-3 */
    int max_retries;       /* lambda x 10 refits after a failed solve; default 8 */
    double lambda_floor;   /* first retry's lambda when lambda is 0; default 1e-8 */
    double rcond_min;      /* smallest accepted reciprocal condition; default 1e-12 */
    int newton_max_iter;   /* Newton steps; default 50 */
    double newton_tol;     /* stop when the gradient's max-norm is below; default 1e-9 */
    int force_multinomial; /* C = 2 through the (d+1)C system too (tests); default 0 */
    int block;             /* block-cyclic block size; default 64 */
} dfr_opts;

void dfr_opts_default(dfr_opts *o);

typedef struct {
    int64_t n;             /* rows used */
    double lambda_used;    /* the lambda of the returned weights */
    int retries;           /* refits with a larger lambda (0: none needed) */
    int fallback;          /* 1 if lambda_used != the requested lambda */
    double rcond;          /* condition estimate of the last accepted system */
    int iters;             /* Newton steps (0 for ridge) */
    int converged;         /* ridge: 1; logistic: gradient below newton_tol */
    double grad_max;       /* logistic: final gradient max-norm */
    double objective;      /* the minimised objective at the result */
    double seconds;        /* wall time of the fit */
    int nprow, npcol;      /* the BLACS grid used */
} dfr_report;

/* Collective over comm. W_out [C, d] and b_out [C] (caller-owned, written on
 * every rank) are the refit last layer on raw features. o may be NULL (the
 * defaults), rep may be NULL.
 * Returns 0, or -1 on every rank with a message in e (bad input, or the
 * system still singular after max_retries, or an MPI/ScaLAPACK failure). */
int dfr_fit(MPI_Comm comm, const float *F_local, const int32_t *y_local, int64_t n_local,
            int d, int C, const dfr_opts *o, float *W_out, float *b_out, dfr_report *rep,
            dett_err *e);
/* The same with double outputs (W_out [C, d], b_out [C]). */
int dfr_fit_d(MPI_Comm comm, const float *F_local, const int32_t *y_local, int64_t n_local,
              int d, int C, const dfr_opts *o, double *W_out, double *b_out,
              dfr_report *rep, dett_err *e);
/* The same on an existing grid (saves the BLACS set-up when fitting often);
 * collective over g->comm. */
int dfr_fit_grid(const sl_grid *g, const float *F_local, const int32_t *y_local,
                 int64_t n_local, int d, int C, const dfr_opts *o, double *W_out,
                 double *b_out, dfr_report *rep, dett_err *e);

/* Local: pred[i] = argmax_c (W x_i + b)_c for x [n, d] (lowest c wins ties). */
void dfr_predict(int32_t *pred, const float *W, const float *b, const float *x, int64_t n,
                 int d, int C);

/* ---- DFR's model selection ------------------------------------------------------ */

#define DFR_MAX_LAMBDAS 32

typedef struct {
    const double *lambdas; /* the grid, not owned; 1..DFR_MAX_LAMBDAS values */
    int n_lambdas;
    int n_seeds;           /* group-balanced subsamples averaged per fit (DFR: 10) */
    uint64_t seed;         /* the split and the subsamples */
} dfr_select_opts;

typedef struct {
    int best;                         /* index of the chosen lambda */
    double lambda;                    /* lambdas[best] */
    double worst_acc[DFR_MAX_LAMBDAS];/* worst-group accuracy on the second half */
    double mean_acc[DFR_MAX_LAMBDAS]; /* accuracy on the second half */
    int64_t n_half[2];                /* rows in each half */
    int64_t per_group_fit;            /* rows per group in a tuning subsample */
    int64_t per_group_final;          /* rows per group in a final subsample */
    int groups_empty;                 /* groups absent from the first half */
    int retries;                      /* lambda refits summed over all fits */
} dfr_select_report;

/* Collective over comm. Held-out rows (row-distributed like dfr_fit, with
 * group ids g_local [n_local] in 0..G-1) are split in half by a permutation
 * of the global row index (from so->seed, so the split does not depend on
 * the number of ranks). For each lambda, n_seeds fits on group-balanced
 * subsamples of the first half (every non-empty group cut to the smallest
 * group's size) are averaged, and scored by worst-group accuracy on the
 * second half; the best lambda (the first of equals) is then refit the same
 * way on all held-out rows, and that averaged W_out [C, d], b_out [C]
 * returned. o gives the solver and everything but lambda (NULL: the
 * defaults). rep may be NULL. The inputs are only read. */
int dfr_select(MPI_Comm comm, const float *F_local, const int32_t *y_local,
               const int32_t *g_local, int64_t n_local, int d, int C, int G,
               const dfr_opts *o, const dfr_select_opts *so, float *W_out, float *b_out,
               dfr_select_report *rep, dett_err *e);

#endif
