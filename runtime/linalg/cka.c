/* cka.c - linear CKA from the centred Gram matrix of [X | Y] (see cka.h). */
#include "agree.h"
#include "cka.h"
#include <cblas.h>
#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

/* values per sl_allsum call when the Gram is summed over ranks: bounds the
 * allgather's buffer (size x CKA_CHUNK doubles) for wide features */
#define CKA_CHUNK 65536

/* sum of squares of C's block rows [r0, r1) x columns [c0, c1), C the w x w
 * row-major Gram whose upper triangle is set; sym: the block is diagonal
 * (square, symmetric), so an entry above the diagonal counts twice */
static double block_sumsq(const double *C, int w, int r0, int r1, int c0, int c1, int sym)
{
    double s = 0;
    for (int i = r0; i < r1; i++) {
        const double *row = C + (size_t)i * (size_t)w;
        if (sym) {
            int d = i - r0 + c0;
            s += row[d] * row[d];
            for (int j = d + 1; j < c1; j++) s += 2 * row[j] * row[j];
        } else {
            for (int j = c0; j < c1; j++) s += row[j] * row[j];
        }
    }
    return s;
}

/* sums v [n] over the ranks of comm in rank order (sl_allsum) in chunks */
static int allsum_chunked(MPI_Comm comm, double *v, size_t n, dett_err *e)
{
    for (size_t k0 = 0; k0 < n; k0 += CKA_CHUNK) {
        size_t len = n - k0 < CKA_CHUNK ? n - k0 : CKA_CHUNK;
        CHECK(sl_allsum(comm, v + k0, (int)len, e));
    }
    return 0;
fail:
    return -1;
}

/* Collective over comm: linear CKA of the rows of X [., dx] and Y [., dy]
 * listed in rows [nl] (this rank's; all rows when rows is NULL), with the
 * input already checked. M [nl, dx + dy] and C [(dx + dy)^2] are the
 * caller's scratch. The rows are centred by their means over all ranks,
 * each rank forms its rows' Gram [Xc | Yc]^T [Xc | Yc] (upper triangle,
 * dsyrk in double), and the Grams are summed over ranks in rank order, so
 * every rank computes the same three sums of squares. */
static int cka_rows(MPI_Comm comm, const float *X, int dx, const float *Y, int dy,
                    const int64_t *rows, int64_t nl, double *M, double *C, double *cka,
                    dett_err *e)
{
    const int w = dx + dy;
    double *mean = calloc((size_t)w + 1, sizeof(double));   /* w sums, then the row count */
    CHECK(agree_ranked(comm, mean ? 0 : dett_fail(e, "cka: out of memory"), e));
    for (int64_t k = 0; k < nl; k++) {
        int64_t i = rows ? rows[k] : k;
        const float *x = X + (size_t)i * (size_t)dx, *y = Y + (size_t)i * (size_t)dy;
        for (int j = 0; j < dx; j++) mean[j] += x[j];
        for (int j = 0; j < dy; j++) mean[dx + j] += y[j];
    }
    mean[w] = (double)nl;
    CHECK(sl_allsum(comm, mean, w + 1, e));
    const double n = mean[w];
    if (n < 2) {
        *cka = NAN;
        free(mean);
        return 0;
    }
    for (int j = 0; j < w; j++) mean[j] /= n;
    for (int64_t k = 0; k < nl; k++) {
        int64_t i = rows ? rows[k] : k;
        const float *x = X + (size_t)i * (size_t)dx, *y = Y + (size_t)i * (size_t)dy;
        double *r = M + (size_t)k * (size_t)w;
        for (int j = 0; j < dx; j++) r[j] = x[j] - mean[j];
        for (int j = 0; j < dy; j++) r[dx + j] = y[j] - mean[dx + j];
    }
    if (nl > 0)
        cblas_dsyrk(CblasRowMajor, CblasUpper, CblasTrans, w, (int)nl, 1.0, M, w, 0.0, C, w);
    else
        memset(C, 0, sizeof(double) * (size_t)w * (size_t)w);
    free(mean);
    mean = NULL;
    CHECK(allsum_chunked(comm, C, (size_t)w * (size_t)w, e));
    /* ||Xc^T Xc||^2, ||Yc^T Yc||^2 and ||Xc^T Yc||^2 */
    double sxx = block_sumsq(C, w, 0, dx, 0, dx, 1), syy = block_sumsq(C, w, dx, w, dx, w, 1);
    double sxy = block_sumsq(C, w, 0, dx, dx, w, 0);
    *cka = (sxx > 0 && syy > 0) ? sxy / (sqrt(sxx) * sqrt(syy)) : NAN;
    return 0;
fail:
    free(mean);
    return -1;
}

/* local part of the input checks: 0 or -1 with a message */
static int check_rows(const char *what, const float *A, int64_t nl, int w, dett_err *e)
{
    if (w < 1) return dett_fail(e, "cka: %s has width %d", what, w);
    if (nl < 0 || (nl > 0 && !A))
        return dett_fail(e, "cka: %s: %lld local rows with %s", what, (long long)nl,
                         nl < 0 ? "a negative count" : "a NULL array");
    if (nl > INT_MAX)
        return dett_fail(e, "cka: %s: %lld local rows, more than BLAS's %d", what,
                         (long long)nl, INT_MAX);
    for (int64_t i = 0; i < nl; i++)
        for (int j = 0; j < w; j++)
            if (!isfinite(A[(size_t)i * (size_t)w + (size_t)j]))
                return dett_fail(e, "cka: %s: value %d of local row %lld is %g", what, j,
                                 (long long)i, (double)A[(size_t)i * (size_t)w + (size_t)j]);
    return 0;
}

/* the scratch of cka_rows for up to nl rows of width w: 0, or -1 with e set */
static int scratch_alloc(int64_t nl, int w, double **M, double **C, dett_err *e)
{
    *M = malloc(sizeof(double) * (size_t)(nl > 0 ? nl : 1) * (size_t)w);
    *C = malloc(sizeof(double) * (size_t)w * (size_t)w);
    if (*M && *C) return 0;
    free(*M);
    free(*C);
    *M = *C = NULL;
    return dett_fail(e, "cka: out of memory for %lld rows of width %d", (long long)nl, w);
}

int cka_linear(MPI_Comm comm, const float *X_local, int dx, const float *Y_local, int dy,
               int64_t n_local, double *cka, dett_err *e)
{
    double *M = NULL, *C = NULL;
    int st = check_rows("X", X_local, n_local, dx, e);
    if (!st) st = check_rows("Y", Y_local, n_local, dy, e);
    if (!st) st = scratch_alloc(n_local, dx + dy, &M, &C, e);
    CHECK(agree_ranked(comm, st, e));
    CHECK(cka_rows(comm, X_local, dx, Y_local, dy, NULL, n_local, M, C, cka, e));
    free(M);
    free(C);
    return 0;
fail:
    free(M);
    free(C);
    dett_err_prefix(e, "cka_linear");
    return -1;
}

int cka_per_group(MPI_Comm comm, const float *T_local, const float *S_local, int d,
                  const int32_t *g_local, int64_t n_local, int G, double *cka_g,
                  double *mse_g, int64_t *n_g, dett_err *e)
{
    double *acc = NULL, *M = NULL, *C = NULL;
    int64_t *rows = NULL, *start = NULL;
    int st = G >= 1 ? 0 : dett_fail(e, "cka: %d groups", G);
    if (!st) st = check_rows("teacher features", T_local, n_local, d, e);
    if (!st) st = check_rows("student features", S_local, n_local, d, e);
    for (int64_t i = 0; !st && i < n_local; i++)
        if (!g_local || g_local[i] < 0 || g_local[i] >= G)
            st = dett_fail(e, "cka: group %d at local row %lld is not in 0..%d",
                           g_local ? g_local[i] : -1, (long long)i, G - 1);
    if (!st) {
        acc = calloc(2 * (size_t)G, sizeof(double));
        rows = malloc(sizeof(int64_t) * (size_t)(n_local > 0 ? n_local : 1));
        start = calloc((size_t)G + 1, sizeof(int64_t));
        if (!acc || !rows || !start) st = dett_fail(e, "cka: out of memory");
    }
    /* squared errors and counts per group; each group's local rows, in
     * order, at rows[start[k] .. start[k + 1]) */
    for (int64_t i = 0; !st && i < n_local; i++) {
        const float *t = T_local + (size_t)i * (size_t)d, *s = S_local + (size_t)i * (size_t)d;
        double q = 0;
        for (int j = 0; j < d; j++) {
            double v = (double)s[j] - t[j];
            q += v * v;
        }
        acc[2 * g_local[i]] += q;
        acc[2 * g_local[i] + 1] += 1;
        start[g_local[i] + 1]++;
    }
    int64_t most = 0;   /* the largest group's local rows */
    for (int k = 0; !st && k < G; k++) {
        most = start[k + 1] > most ? start[k + 1] : most;
        start[k + 1] += start[k];
    }
    for (int64_t i = 0; !st && i < n_local; i++)   /* start[k] moves to the group's end */
        rows[start[g_local[i]]++] = i;
    for (int k = G; !st && k > 0; k--) start[k] = start[k - 1];   /* and back */
    if (!st) start[0] = 0;
    if (!st) st = scratch_alloc(most, 2 * d, &M, &C, e);
    CHECK(agree_ranked(comm, st, e));
    CHECK(sl_allsum(comm, acc, 2 * G, e));
    for (int k = 0; k < G; k++) {
        double cnt = acc[2 * k + 1];
        mse_g[k] = cnt > 0 ? acc[2 * k] / (cnt * d) : NAN;
        if (n_g) n_g[k] = (int64_t)cnt;
        CHECK(cka_rows(comm, T_local, d, S_local, d, rows + start[k], start[k + 1] - start[k],
                       M, C, &cka_g[k], e));
    }
    free(acc); free(rows); free(start); free(M); free(C);
    return 0;
fail:
    free(acc); free(rows); free(start); free(M); free(C);
    dett_err_prefix(e, "cka_per_group");
    return -1;
}
