/* cka.c - linear CKA from distributed Gram and cross products (see cka.h). */
#include "agree.h"
#include "cka.h"
#include <math.h>
#include <stdlib.h>
#include <string.h>

#define CKA_BLOCK 64

/* sum of squares of the k x k symmetric matrix whose upper triangle is C's
 * (local part only: the caller sums over ranks) */
static double sym_sumsq_local(const sl_mat *C)
{
    double s = 0;
    for (int lj = 0; lj < C->lc; lj++) {
        int j = sl_col_l2g(C, lj);
        for (int li = 0; li < C->lr; li++) {
            int i = sl_row_l2g(C, li);
            double v = C->a[(size_t)lj * (size_t)C->lld + (size_t)li];
            if (i < j) s += 2 * v * v;
            else if (i == j) s += v * v;
        }
    }
    return s;
}

static double gen_sumsq_local(const sl_mat *C)
{
    double s = 0;
    for (int lj = 0; lj < C->lc; lj++)
        for (int li = 0; li < C->lr; li++) {
            double v = C->a[(size_t)lj * (size_t)C->lld + (size_t)li];
            s += v * v;
        }
    return s;
}

/* Collective over g->comm: linear CKA of this rank's rows X [nl, dx] and
 * Y [nl, dy] (with the input already checked). */
static int cka_grid(const sl_grid *g, const float *X, int dx, const float *Y, int dy,
                    int64_t nl, double *cka, dett_err *e)
{
    sl_rowmap rm = { 0 };
    sl_mat A = { 0 }, Kxx = { 0 }, Kyy = { 0 }, Kxy = { 0 };
    double *mean = NULL, *M = NULL;
    int w = dx + dy, st = 0;
    CHECK(sl_rowmap_init(&rm, g->comm, nl, e));
    if (rm.n < 2) {
        *cka = NAN;
        sl_rowmap_free(&rm);
        return 0;
    }
    mean = calloc((size_t)w, sizeof(double));
    M = malloc(sizeof(double) * (size_t)(nl > 0 ? nl : 1) * (size_t)w);
    st = (mean && M) ? 0 : dett_fail(e, "cka: out of memory for %lld x %d rows",
                                     (long long)nl, w);
    if (!st) st = sl_mat_init(&A, g, (int)rm.n, w, CKA_BLOCK, e);
    if (!st) st = sl_mat_init(&Kxx, g, dx, dx, CKA_BLOCK, e);
    if (!st) st = sl_mat_init(&Kyy, g, dy, dy, CKA_BLOCK, e);
    if (!st) st = sl_mat_init(&Kxy, g, dx, dy, CKA_BLOCK, e);
    CHECK(agree_ranked(g->comm, st, e));
    /* centre [X | Y] by the means over all rows */
    for (int64_t i = 0; i < nl; i++) {
        for (int j = 0; j < dx; j++) mean[j] += X[(size_t)i * (size_t)dx + (size_t)j];
        for (int j = 0; j < dy; j++) mean[dx + j] += Y[(size_t)i * (size_t)dy + (size_t)j];
    }
    CHECK(sl_allsum(g->comm, mean, w, e));
    for (int j = 0; j < w; j++) mean[j] /= (double)rm.n;
    for (int64_t i = 0; i < nl; i++) {
        double *r = M + (size_t)i * (size_t)w;
        for (int j = 0; j < dx; j++) r[j] = X[(size_t)i * (size_t)dx + (size_t)j] - mean[j];
        for (int j = 0; j < dy; j++)
            r[dx + j] = Y[(size_t)i * (size_t)dy + (size_t)j] - mean[dx + j];
    }
    CHECK(sl_scatter_rows(&A, &rm, M, w, e));
    /* Xc^T Xc, Yc^T Yc (upper) and Xc^T Yc */
    CHECK(sl_syrk_t(&Kxx, 0, &A, 0, dx, 1.0, 0.0, e));
    CHECK(sl_syrk_t(&Kyy, 0, &A, dx, dy, 1.0, 0.0, e));
    CHECK(sl_gemm_tn(&Kxy, 0, 0, &A, 0, dx, &A, dx, dy, 1.0, 0.0, e));
    double s[3] = { sym_sumsq_local(&Kxx), sym_sumsq_local(&Kyy), gen_sumsq_local(&Kxy) };
    CHECK(sl_allsum(g->comm, s, 3, e));
    *cka = (s[0] > 0 && s[1] > 0) ? s[2] / (sqrt(s[0]) * sqrt(s[1])) : NAN;
    free(mean); free(M);
    sl_mat_free(&A); sl_mat_free(&Kxx); sl_mat_free(&Kyy); sl_mat_free(&Kxy);
    sl_rowmap_free(&rm);
    return 0;
fail:
    free(mean); free(M);
    sl_mat_free(&A); sl_mat_free(&Kxx); sl_mat_free(&Kyy); sl_mat_free(&Kxy);
    sl_rowmap_free(&rm);
    return -1;
}

/* local part of the input checks: 0 or -1 with a message */
static int check_rows(const char *what, const float *A, int64_t nl, int w, dett_err *e)
{
    if (w < 1) return dett_fail(e, "cka: %s has width %d", what, w);
    if (nl < 0 || (nl > 0 && !A))
        return dett_fail(e, "cka: %s: %lld local rows with %s", what, (long long)nl,
                         nl < 0 ? "a negative count" : "a NULL array");
    for (int64_t i = 0; i < nl; i++)
        for (int j = 0; j < w; j++)
            if (!isfinite(A[(size_t)i * (size_t)w + (size_t)j]))
                return dett_fail(e, "cka: %s: value %d of local row %lld is %g", what, j,
                                 (long long)i, (double)A[(size_t)i * (size_t)w + (size_t)j]);
    return 0;
}

int cka_linear(MPI_Comm comm, const float *X_local, int dx, const float *Y_local, int dy,
               int64_t n_local, double *cka, dett_err *e)
{
    sl_grid g = { 0 };
    g.sys = g.ctxt = -1;
    int st = check_rows("X", X_local, n_local, dx, e);
    if (!st) st = check_rows("Y", Y_local, n_local, dy, e);
    CHECK(agree_ranked(comm, st, e));
    CHECK(sl_grid_init(&g, comm, e));
    CHECK(cka_grid(&g, X_local, dx, Y_local, dy, n_local, cka, e));
    sl_grid_free(&g);
    return 0;
fail:
    sl_grid_free(&g);
    dett_err_prefix(e, "cka_linear");
    return -1;
}

int cka_per_group(MPI_Comm comm, const float *T_local, const float *S_local, int d,
                  const int32_t *g_local, int64_t n_local, int G, double *cka_g,
                  double *mse_g, int64_t *n_g, dett_err *e)
{
    sl_grid g = { 0 };
    g.sys = g.ctxt = -1;
    float *Tk = NULL, *Sk = NULL;
    double *acc = NULL;
    int st = G >= 1 ? 0 : dett_fail(e, "cka: %d groups", G);
    if (!st) st = check_rows("teacher features", T_local, n_local, d, e);
    if (!st) st = check_rows("student features", S_local, n_local, d, e);
    for (int64_t i = 0; !st && i < n_local; i++)
        if (!g_local || g_local[i] < 0 || g_local[i] >= G)
            st = dett_fail(e, "cka: group %d at local row %lld is not in 0..%d",
                           g_local ? g_local[i] : -1, (long long)i, G - 1);
    if (!st) {
        size_t rows = (size_t)(n_local > 0 ? n_local : 1);
        Tk = malloc(sizeof(float) * rows * (size_t)d);
        Sk = malloc(sizeof(float) * rows * (size_t)d);
        acc = calloc(2 * (size_t)G, sizeof(double));
        if (!Tk || !Sk || !acc) st = dett_fail(e, "cka: out of memory");
    }
    CHECK(agree_ranked(comm, st, e));
    CHECK(sl_grid_init(&g, comm, e));
    /* squared errors and counts per group */
    for (int64_t i = 0; i < n_local; i++) {
        const float *t = T_local + (size_t)i * (size_t)d, *s = S_local + (size_t)i * (size_t)d;
        double q = 0;
        for (int j = 0; j < d; j++) {
            double v = (double)s[j] - t[j];
            q += v * v;
        }
        acc[2 * g_local[i]] += q;
        acc[2 * g_local[i] + 1] += 1;
    }
    CHECK(sl_allsum(comm, acc, 2 * G, e));
    for (int k = 0; k < G; k++) {
        double cnt = acc[2 * k + 1];
        mse_g[k] = cnt > 0 ? acc[2 * k] / (cnt * d) : NAN;
        if (n_g) n_g[k] = (int64_t)cnt;
        /* the group's rows, then CKA on them */
        int64_t q = 0;
        for (int64_t i = 0; i < n_local; i++) {
            if (g_local[i] != k) continue;
            memcpy(Tk + (size_t)q * (size_t)d, T_local + (size_t)i * (size_t)d,
                   sizeof(float) * (size_t)d);
            memcpy(Sk + (size_t)q * (size_t)d, S_local + (size_t)i * (size_t)d,
                   sizeof(float) * (size_t)d);
            q++;
        }
        CHECK(cka_grid(&g, Tk, d, Sk, d, q, &cka_g[k], e));
    }
    sl_grid_free(&g);
    free(Tk); free(Sk); free(acc);
    return 0;
fail:
    sl_grid_free(&g);
    free(Tk); free(Sk); free(acc);
    dett_err_prefix(e, "cka_per_group");
    return -1;
}
