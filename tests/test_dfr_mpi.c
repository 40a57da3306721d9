/* test_dfr_mpi.c - DFR refits and CKA under mpiexec -n K (K = 2, 4).
 *
 * Every rank builds the whole data set; the rows are split unevenly (rank r
 * gets a share growing with r, and in one split a rank gets none). The
 * distributed result must equal the 1-rank solution (each rank computes it
 * on MPI_COMM_SELF) to a relative 1e-6 (it is ~1e-15; whether it is bitwise
 * equal is printed, it need not be), and be the same bits on every rank.
 * Also: two groups fitting different problems at once on sub-communicators
 * (the job-group case), a bad label on one rank failing every rank with one
 * message, and dfr_select choosing the same lambda as on one rank. */
#include "check.h"
#include "cka.h"
#include "dfr.h"
#include "dfr_problem.h"
#include "rng.h"
#include <math.h>
#include <mpi.h>
#include <stdlib.h>
#include <string.h>

static int rank_, size_;

/* rows [*row0, *row0 + *cnt) of n for rank r of K: shares proportional to
 * r + 1 (or, with empty_rank >= 0, that rank gets none) */
static void split(int64_t n, int K, int r, int empty_rank, int64_t *row0, int64_t *cnt)
{
    int64_t wsum = 0, w0 = 0;
    for (int k = 0; k < K; k++) {
        int64_t w = k == empty_rank ? 0 : k + 1;
        if (k < r) w0 += w;
        wsum += w;
    }
    int64_t wr = r == empty_rank ? 0 : r + 1;
    *row0 = n * w0 / wsum;
    *cnt = n * (w0 + wr) / wsum - *row0;
}

static double rel_err(const double *a, const double *r, int m)
{
    double num = 0, den = 0;
    for (int k = 0; k < m; k++) {
        num = fmax(num, fabs(a[k] - r[k]));
        den = fmax(den, fabs(r[k]));
    }
    return den > 0 ? num / den : num;
}

/* 1 if buf (bytes) is the same on every rank of comm */
static int same_everywhere(const void *buf, int bytes, MPI_Comm comm)
{
    int sz;
    MPI_Comm_size(comm, &sz);
    char *all = malloc((size_t)bytes * sz);
    MPI_Allgather(buf, bytes, MPI_BYTE, all, bytes, MPI_BYTE, comm);
    int ok = 1;
    for (int r = 1; r < sz; r++) ok &= !memcmp(all, all + (size_t)r * bytes, (size_t)bytes);
    free(all);
    return ok;
}

/* the distributed fit on comm vs the serial one, for one problem */
static void check_fit(MPI_Comm comm, const char *name, const float *F, const int32_t *y,
                      int n, int d, int C, const dfr_opts *o, int empty_rank)
{
    int r, K;
    MPI_Comm_rank(comm, &r);
    MPI_Comm_size(comm, &K);
    int m = C * d + C;
    double *ref = malloc(sizeof(double) * m), *got = malloc(sizeof(double) * m);
    dfr_report rr, rp;
    dett_err e = { "" };
    EXPECT(dfr_fit_d(MPI_COMM_SELF, F, y, n, d, C, o, ref, ref + C * d, &rr, &e) == 0,
           "%s serial: %s", name, e.msg);
    int64_t row0, cnt;
    split(n, K, r, empty_rank, &row0, &cnt);
    EXPECT(dfr_fit_d(comm, F + row0 * d, y + row0, cnt, d, C, o, got, got + C * d, &rp, &e) == 0,
           "%s on %d ranks: %s", name, K, e.msg);
    double err = rel_err(got, ref, m);
    int bitwise = !memcmp(got, ref, sizeof(double) * m), all_bitwise = 0;
    MPI_Allreduce(&bitwise, &all_bitwise, 1, MPI_INT, MPI_MIN, comm);
    if (r == 0)
        printf("%-34s K=%d (%dx%d grid): relative difference to 1 rank %.2e, %s; "
               "lambda %.1e, %d retries\n", name, K, rp.nprow, rp.npcol, err,
               all_bitwise ? "bitwise equal" : "not bitwise equal", rp.lambda_used, rp.retries);
    EXPECT(err < 1e-6, "%s K=%d: relative difference %g", name, K, err);
    EXPECT(rp.lambda_used == rr.lambda_used && rp.retries == rr.retries,
           "%s: lambda %g vs %g", name, rp.lambda_used, rr.lambda_used);
    EXPECT(same_everywhere(got, (int)sizeof(double) * m, comm), "%s: ranks differ", name);
    free(ref);
    free(got);
}

static void check_cka(MPI_Comm comm, const float *X, const float *Y, const int32_t *g, int n,
                      int d, int empty_rank)
{
    int r, K;
    MPI_Comm_rank(comm, &r);
    MPI_Comm_size(comm, &K);
    dett_err e = { "" };
    double ref, got, cr[6], mr[6], cg[6], mg[6];
    int64_t nr[6], ng[6], row0, cnt;
    split(n, K, r, empty_rank, &row0, &cnt);
    EXPECT(cka_linear(MPI_COMM_SELF, X, d, Y, d - 3, n, &ref, &e) == 0, "%s", e.msg);
    /* Y with fewer columns: row stride d - 3 */
    float *Yn = malloc(sizeof(float) * n * (d - 3));
    for (int i = 0; i < n; i++) memcpy(Yn + (size_t)i * (d - 3), Y + (size_t)i * d, sizeof(float) * (d - 3));
    EXPECT(cka_linear(MPI_COMM_SELF, X, d, Yn, d - 3, n, &ref, &e) == 0, "%s", e.msg);
    EXPECT(cka_linear(comm, X + row0 * d, d, Yn + row0 * (d - 3), d - 3, cnt, &got, &e) == 0,
           "%s", e.msg);
    if (r == 0)
        printf("%-34s K=%d: %.17g vs %.17g (%s)\n", "CKA", K, got, ref,
               got == ref ? "bitwise equal" : "not bitwise equal");
    EXPECT(fabs(got - ref) <= 1e-9 * fabs(ref), "CKA %.17g vs %.17g", got, ref);
    EXPECT(same_everywhere(&got, sizeof got, comm), "CKA differs between ranks");
    EXPECT(cka_per_group(MPI_COMM_SELF, X, Y, d, g, n, 6, cr, mr, nr, &e) == 0, "%s", e.msg);
    EXPECT(cka_per_group(comm, X + row0 * d, Y + row0 * d, d, g + row0, cnt, 6, cg, mg, ng, &e) == 0,
           "%s", e.msg);
    for (int k = 0; k < 6; k++)
        EXPECT(ng[k] == nr[k] && (isnan(cr[k]) ? isnan(cg[k]) : fabs(cg[k] - cr[k]) <= 1e-9 * cr[k]) &&
               (isnan(mr[k]) ? isnan(mg[k]) : fabs(mg[k] - mr[k]) <= 1e-12 * mr[k]),
               "group %d: CKA %.17g vs %.17g, MSE %.17g vs %.17g", k, cg[k], cr[k], mg[k], mr[k]);
    free(Yn);
}

int main(int argc, char **argv)
{
    MPI_Init(&argc, &argv);
    MPI_Comm_rank(MPI_COMM_WORLD, &rank_);
    MPI_Comm_size(MPI_COMM_WORLD, &size_);
    const int n = 517, d = 40;       /* odd sizes: partial blocks everywhere */
    float *F = malloc(sizeof(float) * n * d), *F3 = malloc(sizeof(float) * n * d);
    int32_t *y = malloc(sizeof(int32_t) * n), *g = malloc(sizeof(int32_t) * n);
    int32_t *y3 = malloc(sizeof(int32_t) * n), *g3 = malloc(sizeof(int32_t) * n);
    gen_problem(F, y, g, n, d, 2, 61, 0.5);
    gen_problem(F3, y3, g3, n, d, 3, 62, 0.5);
    dfr_opts o;
    dfr_opts_default(&o);
    o.block = 16;
    o.lambda = 1e-2;

    /* whole world, uneven splits, one with an empty rank */
    for (int empty = -1; empty <= 1; empty += 2) {
        const char *tag = empty < 0 ? "" : " (rank 1 empty)";
        char name[64];
        o.solver = DFR_RIDGE;
        snprintf(name, sizeof name, "ridge C=2%s", tag);
        check_fit(MPI_COMM_WORLD, name, F, y, n, d, 2, &o, empty);
        snprintf(name, sizeof name, "ridge C=3%s", tag);
        check_fit(MPI_COMM_WORLD, name, F3, y3, n, d, 3, &o, empty);
        o.solver = DFR_LOGISTIC;
        snprintf(name, sizeof name, "logistic C=2%s", tag);
        check_fit(MPI_COMM_WORLD, name, F, y, n, d, 2, &o, empty);
        snprintf(name, sizeof name, "logistic C=3%s", tag);
        check_fit(MPI_COMM_WORLD, name, F3, y3, n, d, 3, &o, empty);
        check_cka(MPI_COMM_WORLD, F, F3, g, n, d, empty);
    }
    /* CKA of wide features: the Gram of [X | Y] (400 x 400 per group) is
     * summed over ranks in several chunks */
    {
        const int dw = 200;
        float *W1 = malloc(sizeof(float) * n * dw), *W2 = malloc(sizeof(float) * n * dw);
        int32_t *yw = malloc(sizeof(int32_t) * n), *gw = malloc(sizeof(int32_t) * n);
        gen_problem(W1, yw, gw, n, dw, 2, 63, 0.5);
        for (int k = 0; k < n * dw; k++) W2[k] = W1[k] + rng_normal(64, 1, (uint64_t)k);
        check_cka(MPI_COMM_WORLD, W1, W2, gw, n, dw, -1);
        check_cka(MPI_COMM_WORLD, W1, W2, gw, n, dw, 1);
        free(W1); free(W2); free(yw); free(gw);
    }
    /* singular (duplicate column, lambda 0): the same fallback as on one rank */
    float *Fs = malloc(sizeof(float) * n * d);
    memcpy(Fs, F, sizeof(float) * n * d);
    for (int i = 0; i < n; i++) Fs[(size_t)i * d + 7] = Fs[(size_t)i * d + 3];
    dfr_opts os = o;
    os.lambda = 0;
    os.solver = DFR_RIDGE;
    check_fit(MPI_COMM_WORLD, "ridge singular, lambda 0", Fs, y, n, d, 2, &os, -1);
    os.solver = DFR_LOGISTIC;
    check_fit(MPI_COMM_WORLD, "logistic singular, lambda 0", Fs, y, n, d, 2, &os, -1);

    /* two job groups at once, each its own problem and grid */
    MPI_Comm half;
    MPI_Comm_split(MPI_COMM_WORLD, rank_ % 2, rank_, &half);
    o.solver = DFR_LOGISTIC;
    if (rank_ % 2 == 0) check_fit(half, "group A: logistic C=2", F, y, n, d, 2, &o, -1);
    else check_fit(half, "group B: logistic C=3", F3, y3, n, d, 3, &o, -1);
    MPI_Comm_free(&half);

    /* a bad label on the last rank: every rank fails with one message */
    {
        int64_t row0, cnt;
        split(n, size_, rank_, -1, &row0, &cnt);
        int32_t *yb = malloc(sizeof(int32_t) * n);
        memcpy(yb, y, sizeof(int32_t) * n);
        if (rank_ == size_ - 1) yb[row0 + cnt - 1] = 5;
        double W[2 * 40], b[2];
        dett_err e = { "" };
        int rc = dfr_fit_d(MPI_COMM_WORLD, F + row0 * d, yb + row0, cnt, d, 2, &o, W, b, NULL, &e);
        char msg[DETT_ERRLEN];
        memcpy(msg, e.msg, sizeof msg);
        EXPECT(rc == -1 && strstr(msg, "label 5"), "rank %d: rc %d, '%s'", rank_, rc, msg);
        EXPECT(same_everywhere(msg, sizeof msg, MPI_COMM_WORLD), "messages differ");
        if (rank_ == 0) printf("bad label on rank %d: %s\n", size_ - 1, msg);
        free(yb);
    }

    /* dfr_select: the split and subsamples do not depend on K */
    {
        const double lambdas[] = { 1e-3, 1e-1, 10.0 };
        dfr_select_opts so = { lambdas, 3, 3, 5 };
        dfr_select_report rr, rp;
        float Wr[2 * 40 + 2], Wp[2 * 40 + 2];
        dett_err e = { "" };
        int64_t row0, cnt;
        split(n, size_, rank_, -1, &row0, &cnt);
        EXPECT(dfr_select(MPI_COMM_SELF, F, y, g, n, d, 2, 4, &o, &so, Wr, Wr + 2 * d, &rr, &e) == 0,
               "%s", e.msg);
        EXPECT(dfr_select(MPI_COMM_WORLD, F + row0 * d, y + row0, g + row0, cnt, d, 2, 4, &o, &so,
                          Wp, Wp + 2 * d, &rp, &e) == 0, "%s", e.msg);
        double a[2 * 40 + 2], b[2 * 40 + 2];
        for (int k = 0; k < 2 * d + 2; k++) { a[k] = Wp[k]; b[k] = Wr[k]; }
        double err = rel_err(a, b, 2 * d + 2);
        if (rank_ == 0)
            printf("%-34s K=%d: lambda %.0e vs %.0e, relative difference %.2e\n", "dfr_select",
                   size_, rp.lambda, rr.lambda, err);
        EXPECT(rp.best == rr.best && err < 1e-6 && rp.per_group_fit == rr.per_group_fit,
               "select: best %d vs %d, difference %g", rp.best, rr.best, err);
        /* a heavily regularised fit has rows within rounding of its decision
         * boundary, so a score may move by one row of a group (~1/110 here) */
        for (int l = 0; l < 3; l++)
            EXPECT(fabs(rp.worst_acc[l] - rr.worst_acc[l]) <= 1.5 / (double)(n / 2 / 4),
                   "lambda %d: worst %g vs %g", l, rp.worst_acc[l], rr.worst_acc[l]);
        EXPECT(same_everywhere(Wp, (int)sizeof Wp, MPI_COMM_WORLD), "select: ranks differ");
    }
    free(F); free(F3); free(Fs); free(y); free(g); free(y3); free(g3);
    int fails = test_failures_, all = 0;
    MPI_Allreduce(&fails, &all, 1, MPI_INT, MPI_SUM, MPI_COMM_WORLD);
    int rc = rank_ == 0 ? TEST_END() : (fails ? 1 : 0);
    if (rank_ == 0 && all && !rc) rc = 1;
    MPI_Finalize();
    return rc;
}
