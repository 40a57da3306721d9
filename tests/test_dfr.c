/* test_dfr.c - DFR refits and CKA in one process, against serial references
 * written here: the ridge system solved by LAPACK's dposv_, logistic
 * regression by a plain serial Newton iteration on the (d+1)C system, CKA
 * from explicitly formed centred Grams.
 *
 * Tolerances: weights agree with the references to a relative 1e-6
 * (max |W - W_ref| / max |W_ref| over W and b, in double); CKA to 1e-9.
 * The observed errors are printed; they are ~1e-13. */
#include "check.h"
#include "cka.h"
#include "dfr.h"
#include "dfr_problem.h"
#include "rng.h"
#include <math.h>
#include <mpi.h>
#include <stdlib.h>
#include <string.h>

/* ---- data ------------------------------------------------------------------------- */

static double rel_err(const double *W, const double *b, const double *Wr, const double *br,
                      int d, int C)
{
    double num = 0, den = 0;
    for (int k = 0; k < C * d; k++) {
        num = fmax(num, fabs(W[k] - Wr[k]));
        den = fmax(den, fabs(Wr[k]));
    }
    for (int c = 0; c < C; c++) {
        num = fmax(num, fabs(b[c] - br[c]));
        den = fmax(den, fabs(br[c]));
    }
    return num / den;
}

static int all_finite(const double *v, int n)
{
    for (int k = 0; k < n; k++)
        if (!isfinite(v[k])) return 0;
    return 1;
}

/* ---- serial references ---------------------------------------------------------- */

/* Z [n, d] standardised (population sigma), mu, s [d] */
static void ref_standardise(double *Z, double *mu, double *s, const float *F, int n, int d)
{
    for (int j = 0; j < d; j++) {
        double m = 0, v = 0;
        for (int i = 0; i < n; i++) m += F[(size_t)i * d + j];
        m /= n;
        for (int i = 0; i < n; i++) v += (F[(size_t)i * d + j] - m) * (F[(size_t)i * d + j] - m);
        mu[j] = m;
        s[j] = v > 0 ? 1.0 / sqrt(v / n) : 0.0;
        for (int i = 0; i < n; i++) Z[(size_t)i * d + j] = (F[(size_t)i * d + j] - m) * s[j];
    }
}

static void ref_fold(double *W, double *b, const double *Ws, const double *bs, const double *mu,
                     const double *s, int d, int C)
{
    for (int c = 0; c < C; c++) {
        b[c] = bs[c];
        for (int j = 0; j < d; j++) {
            W[c * d + j] = Ws[c * d + j] * s[j];
            b[c] -= W[c * d + j] * mu[j];
        }
    }
}

/* (Z^T Z / n + lam I) Ws^T = Z^T Yc / n by dposv_; b = class frequencies */
static int ref_ridge(double *W, double *b, const float *F, const int32_t *y, int n, int d,
                     int C, double lam)
{
    double *Z = malloc(sizeof(double) * n * d), *mu = malloc(sizeof(double) * d);
    double *s = malloc(sizeof(double) * d), *A = calloc((size_t)d * d, sizeof(double));
    double *B = calloc((size_t)d * C, sizeof(double)), *Ws = malloc(sizeof(double) * C * d);
    double *bs = calloc(C, sizeof(double));
    ref_standardise(Z, mu, s, F, n, d);
    for (int i = 0; i < n; i++) bs[y[i]] += 1.0 / n;
    for (int i = 0; i < n; i++)
        for (int j = 0; j < d; j++) {
            for (int k = 0; k < d; k++) A[(size_t)k * d + j] += Z[(size_t)i * d + j] * Z[(size_t)i * d + k] / n;
            for (int c = 0; c < C; c++) B[(size_t)c * d + j] += Z[(size_t)i * d + j] * ((y[i] == c) - bs[c]) / n;
        }
    for (int j = 0; j < d; j++) A[(size_t)j * d + j] += lam;
    int info = 0;
    dposv_("U", &d, &C, A, &d, B, &d, &info, 1);
    for (int c = 0; c < C; c++)
        for (int j = 0; j < d; j++) Ws[c * d + j] = B[(size_t)c * d + j];
    ref_fold(W, b, Ws, bs, mu, s, d, C);
    free(Z); free(mu); free(s); free(A); free(B); free(Ws); free(bs);
    return info;
}

/* Newton on (1/n) sum CE(softmax(Theta z~)) + (lam/2)||W||^2 + (1/2)(sum b)^2,
 * the full (d+1)C system, no line search; returns the steps taken or -1 */
static int ref_logistic(double *W, double *b, const float *F, const int32_t *y, int n, int d,
                        int C, double lam)
{
    int D1 = d + 1, np = C * D1, it;
    double *Z = malloc(sizeof(double) * n * d), *mu = malloc(sizeof(double) * d);
    double *s = malloc(sizeof(double) * d), *th = calloc(np, sizeof(double));
    double *g = malloc(sizeof(double) * np), *H = malloc(sizeof(double) * np * np);
    double *p = malloc(sizeof(double) * C), *Ws = malloc(sizeof(double) * C * d);
    double *bs = malloc(sizeof(double) * C), *zt = malloc(sizeof(double) * D1);
    ref_standardise(Z, mu, s, F, n, d);
    for (it = 0; it < 100; it++) {
        memset(g, 0, sizeof(double) * np);
        memset(H, 0, sizeof(double) * np * np);
        for (int i = 0; i < n; i++) {
            for (int j = 0; j < d; j++) zt[j] = Z[(size_t)i * d + j];
            zt[d] = 1;
            double mx = -1e300, se = 0;
            for (int c = 0; c < C; c++) {
                p[c] = 0;
                for (int j = 0; j < D1; j++) p[c] += th[c * D1 + j] * zt[j];
                mx = fmax(mx, p[c]);
            }
            for (int c = 0; c < C; c++) se += (p[c] = exp(p[c] - mx));
            for (int c = 0; c < C; c++) p[c] /= se;
            for (int c = 0; c < C; c++) {
                for (int j = 0; j < D1; j++) g[c * D1 + j] += (p[c] - (y[i] == c)) * zt[j] / n;
                for (int c2 = 0; c2 < C; c2++) {
                    double h = p[c] * ((c == c2) - p[c2]) / n;
                    for (int j = 0; j < D1; j++)
                        for (int k = 0; k < D1; k++)
                            H[(size_t)(c2 * D1 + k) * np + c * D1 + j] += h * zt[j] * zt[k];
                }
            }
        }
        double bsum = 0, gmax = 0;
        for (int c = 0; c < C; c++) bsum += th[c * D1 + d];
        for (int c = 0; c < C; c++) {
            for (int j = 0; j < d; j++) {
                g[c * D1 + j] += lam * th[c * D1 + j];
                H[(size_t)(c * D1 + j) * np + c * D1 + j] += lam;
            }
            g[c * D1 + d] += bsum;
            for (int c2 = 0; c2 < C; c2++) H[(size_t)(c2 * D1 + d) * np + c * D1 + d] += 1;
        }
        for (int k = 0; k < np; k++) gmax = fmax(gmax, fabs(g[k]));
        if (gmax < 1e-13) break;
        int one = 1, info = 0;
        for (int k = 0; k < np; k++) g[k] = -g[k];
        dposv_("U", &np, &one, H, &np, g, &np, &info, 1);
        if (info) { it = -1; break; }
        for (int k = 0; k < np; k++) th[k] += g[k];
    }
    for (int c = 0; c < C; c++) {
        for (int j = 0; j < d; j++) Ws[c * d + j] = th[c * D1 + j];
        bs[c] = th[c * D1 + d];
    }
    ref_fold(W, b, Ws, bs, mu, s, d, C);
    free(Z); free(mu); free(s); free(th); free(g); free(H); free(p); free(Ws); free(bs); free(zt);
    return it;
}

/* centred Gram CKA, formed explicitly */
static double ref_cka(const float *X, int dx, const float *Y, int dy, int n)
{
    double *Xc = malloc(sizeof(double) * n * dx), *Yc = malloc(sizeof(double) * n * dy);
    for (int j = 0; j < dx; j++) {
        double m = 0;
        for (int i = 0; i < n; i++) m += X[(size_t)i * dx + j];
        for (int i = 0; i < n; i++) Xc[(size_t)i * dx + j] = X[(size_t)i * dx + j] - m / n;
    }
    for (int j = 0; j < dy; j++) {
        double m = 0;
        for (int i = 0; i < n; i++) m += Y[(size_t)i * dy + j];
        for (int i = 0; i < n; i++) Yc[(size_t)i * dy + j] = Y[(size_t)i * dy + j] - m / n;
    }
    double sxy = 0, sxx = 0, syy = 0;
    for (int a = 0; a < dx; a++)
        for (int c = 0; c < dy; c++) {
            double v = 0;
            for (int i = 0; i < n; i++) v += Xc[(size_t)i * dx + a] * Yc[(size_t)i * dy + c];
            sxy += v * v;
        }
    for (int a = 0; a < dx; a++)
        for (int c = 0; c < dx; c++) {
            double v = 0;
            for (int i = 0; i < n; i++) v += Xc[(size_t)i * dx + a] * Xc[(size_t)i * dx + c];
            sxx += v * v;
        }
    for (int a = 0; a < dy; a++)
        for (int c = 0; c < dy; c++) {
            double v = 0;
            for (int i = 0; i < n; i++) v += Yc[(size_t)i * dy + a] * Yc[(size_t)i * dy + c];
            syy += v * v;
        }
    free(Xc);
    free(Yc);
    return sxy / sqrt(sxx * syy);
}

/* ---- tests -------------------------------------------------------------------------- */

static void test_ridge(void)
{
    const int n = 300, d = 20;
    for (int C = 2; C <= 3; C++) {
        float *F = malloc(sizeof(float) * n * d);
        int32_t *y = malloc(sizeof(int32_t) * n);
        double W[3 * 20], b[3], Wr[3 * 20], br[3];
        float Wf[3 * 20], bf[3];
        gen_problem(F, y, NULL, n, d, C, 11 + C, 1.0);
        dfr_opts o;
        dfr_opts_default(&o);
        o.solver = DFR_RIDGE;
        o.lambda = 1e-3;
        o.block = 8;                     /* several blocks even at d = 20 */
        dfr_report rep;
        dett_err e = { "" };
        EXPECT(ref_ridge(Wr, br, F, y, n, d, C, o.lambda) == 0, "reference dposv");
        EXPECT(dfr_fit_d(MPI_COMM_WORLD, F, y, n, d, C, &o, W, b, &rep, &e) == 0, "%s", e.msg);
        double err = rel_err(W, b, Wr, br, d, C);
        printf("ridge C=%d: relative error vs dposv %.2e (rcond %.2e, %dx%d grid)\n", C, err,
               rep.rcond, rep.nprow, rep.npcol);
        EXPECT(err < 1e-6, "ridge C=%d: relative error %g", C, err);
        EXPECT(rep.retries == 0 && rep.fallback == 0 && rep.lambda_used == o.lambda,
               "no fallback expected: %d retries", rep.retries);
        /* the float interface returns the same numbers, rounded */
        EXPECT(dfr_fit(MPI_COMM_WORLD, F, y, n, d, C, &o, Wf, bf, NULL, &e) == 0, "%s", e.msg);
        double Wd[3 * 20], bd[3];
        for (int k = 0; k < C * d; k++) Wd[k] = Wf[k];
        for (int c = 0; c < C; c++) bd[c] = bf[c];
        EXPECT(rel_err(Wd, bd, Wr, br, d, C) < 1e-6, "float output: %g",
               rel_err(Wd, bd, Wr, br, d, C));
        free(F);
        free(y);
    }
}

static void test_logistic(void)
{
    const int n = 400, d = 12;
    for (int C = 2; C <= 3; C++) {
        float *F = malloc(sizeof(float) * n * d);
        int32_t *y = malloc(sizeof(int32_t) * n);
        double W[3 * 12], b[3], Wr[3 * 12], br[3], Wm[3 * 12], bm[3];
        gen_problem(F, y, NULL, n, d, C, 21 + C, 0.3);  /* separable-ish: little label noise */
        dfr_opts o;
        dfr_opts_default(&o);
        o.lambda = 1e-2;
        o.block = 4;
        dfr_report rep;
        dett_err e = { "" };
        int steps = ref_logistic(Wr, br, F, y, n, d, C, o.lambda);
        EXPECT(steps > 0, "reference Newton: %d", steps);
        EXPECT(dfr_fit_d(MPI_COMM_WORLD, F, y, n, d, C, &o, W, b, &rep, &e) == 0, "%s", e.msg);
        double err = rel_err(W, b, Wr, br, d, C);
        printf("logistic C=%d: relative error vs serial Newton %.2e (%d steps, reference %d; "
               "gradient %.1e, rcond %.2e)\n", C, err, rep.iters, steps, rep.grad_max, rep.rcond);
        EXPECT(err < 1e-6, "logistic C=%d: relative error %g", C, err);
        EXPECT(rep.converged == 1 && rep.retries == 0, "converged %d, retries %d",
               rep.converged, rep.retries);
        if (C == 2) {
            /* the binary form equals the multinomial optimum */
            o.force_multinomial = 1;
            EXPECT(dfr_fit_d(MPI_COMM_WORLD, F, y, n, d, C, &o, Wm, bm, &rep, &e) == 0, "%s",
                   e.msg);
            double em = rel_err(Wm, bm, W, b, d, C);
            printf("logistic C=2: binary vs multinomial form %.2e\n", em);
            EXPECT(em < 1e-6, "binary vs multinomial: %g", em);
        }
        /* the fit classifies its own training rows well */
        float Wf[3 * 12], bf[3];
        int32_t *pred = malloc(sizeof(int32_t) * n);
        for (int k = 0; k < C * d; k++) Wf[k] = (float)W[k];
        for (int c = 0; c < C; c++) bf[c] = (float)b[c];
        dfr_predict(pred, Wf, bf, F, n, d, C);
        int right = 0;
        for (int i = 0; i < n; i++) right += pred[i] == y[i];
        EXPECT(right > 0.85 * n, "training accuracy %d / %d", right, n);
        free(pred);
        free(F);
        free(y);
    }
}

static void test_singular(void)
{
    const int n = 200, d = 6;
    float *F = malloc(sizeof(float) * n * d);
    int32_t *y = malloc(sizeof(int32_t) * n);
    double W[2 * 6], b[2];
    gen_problem(F, y, NULL, n, d, 2, 31, 1.0);
    for (int i = 0; i < n; i++) F[(size_t)i * d + 5] = F[(size_t)i * d + 2];  /* duplicate */
    dfr_opts o;
    dfr_opts_default(&o);
    o.lambda = 0;
    dett_err e = { "" };
    dfr_report rep;
    for (int s = 0; s < 2; s++) {
        o.solver = s ? DFR_LOGISTIC : DFR_RIDGE;
        EXPECT(dfr_fit_d(MPI_COMM_WORLD, F, y, n, d, 2, &o, W, b, &rep, &e) == 0, "%s", e.msg);
        printf("duplicate columns, lambda 0, %s: %d retries, lambda used %.1e, rcond %.2e\n",
               s ? "logistic" : "ridge", rep.retries, rep.lambda_used, rep.rcond);
        EXPECT(rep.retries > 0 && rep.fallback == 1 && rep.lambda_used > 0,
               "fallback not reported: %d retries, lambda %g", rep.retries, rep.lambda_used);
        EXPECT(all_finite(W, 2 * d) && all_finite(b, 2), "non-finite weights");
        /* the duplicated pair shares its weight */
        EXPECT(fabs(W[2] - W[5]) <= 1e-6 * fabs(W[2]) + 1e-12, "duplicates %g vs %g", W[2], W[5]);
    }
    /* perfectly separable data with lambda 0 has no minimiser: fallback too */
    for (int i = 0; i < n; i++) y[i] = F[(size_t)i * d] > 0.0f;
    o.solver = DFR_LOGISTIC;
    EXPECT(dfr_fit_d(MPI_COMM_WORLD, F, y, n, d, 2, &o, W, b, &rep, &e) == 0, "%s", e.msg);
    printf("separable, lambda 0: %d retries, lambda used %.1e\n", rep.retries, rep.lambda_used);
    EXPECT(rep.fallback == 1 && all_finite(W, 2 * d) && all_finite(b, 2),
           "separable: fallback %d", rep.fallback);
    /* no retries allowed: a clear error */
    for (int i = 0; i < n; i++) y[i] = i % 2;
    o.solver = DFR_RIDGE;
    o.max_retries = 0;
    EXPECT(dfr_fit_d(MPI_COMM_WORLD, F, y, n, d, 2, &o, W, b, &rep, &e) == -1 &&
           strstr(e.msg, "singular"), "expected a singular-system error, got '%s'", e.msg);
    /* a constant column gets weight 0 */
    dfr_opts_default(&o);
    for (int i = 0; i < n; i++) F[(size_t)i * d + 5] = 3.0f;
    EXPECT(dfr_fit_d(MPI_COMM_WORLD, F, y, n, d, 2, &o, W, b, &rep, &e) == 0, "%s", e.msg);
    EXPECT(W[5] == 0 && W[d + 5] == 0 && all_finite(W, 2 * d), "constant column weight %g",
           W[5]);
    /* bad input */
    y[7] = 2;
    EXPECT(dfr_fit_d(MPI_COMM_WORLD, F, y, n, d, 2, &o, W, b, &rep, &e) == -1 &&
           strstr(e.msg, "label 2"), "bad label: '%s'", e.msg);
    y[7] = 0;
    F[3] = NAN;
    EXPECT(dfr_fit_d(MPI_COMM_WORLD, F, y, n, d, 2, &o, W, b, &rep, &e) == -1 &&
           strstr(e.msg, "nan"), "NaN feature: '%s'", e.msg);
    F[3] = 0;
    EXPECT(dfr_fit_d(MPI_COMM_WORLD, F, y, 1, d, 2, &o, W, b, &rep, &e) == -1 &&
           strstr(e.msg, "rows"), "one row: '%s'", e.msg);
    free(F);
    free(y);
}

static void test_cka(void)
{
    const int n = 150, dx = 8, dy = 5;
    float *X = malloc(sizeof(float) * n * dx), *Y = malloc(sizeof(float) * n * dy);
    float *Xq = malloc(sizeof(float) * n * dx);
    dett_err e = { "" };
    /* integer-valued X so that the Hadamard transform below is exact in float */
    for (int i = 0; i < n; i++) {
        for (int j = 0; j < dx; j++)
            X[i * dx + j] = (float)(int)(16 * rng_normal(41, 1, (uint64_t)i * dx + j) + (j < 2 ? i % 7 : 0));
        for (int j = 0; j < dy; j++)
            Y[i * dy + j] = X[i * dx + j] * 0.5f + rng_normal(41, 2, (uint64_t)i * dy + j) * 8;
    }
    double c = 0, cr = ref_cka(X, dx, Y, dy, n), c2 = 0;
    EXPECT(cka_linear(MPI_COMM_WORLD, X, dx, Y, dy, n, &c, &e) == 0, "%s", e.msg);
    printf("CKA %.15f vs direct %.15f (difference %.1e)\n", c, cr, fabs(c - cr));
    EXPECT(fabs(c - cr) <= 1e-9 * fabs(cr), "CKA %.17g vs %.17g", c, cr);
    EXPECT(cka_linear(MPI_COMM_WORLD, X, dx, X, dx, n, &c2, &e) == 0 && fabs(c2 - 1) < 1e-12,
           "CKA(X, X) = %.17g", c2);
    /* orthogonal: two 4x4 Hadamard blocks / 2 (exact here) */
    static const int h4[4][4] = { { 1, 1, 1, 1 }, { 1, -1, 1, -1 }, { 1, 1, -1, -1 },
                                  { 1, -1, -1, 1 } };
    for (int i = 0; i < n; i++)
        for (int blk = 0; blk < 2; blk++)
            for (int k = 0; k < 4; k++) {
                float v = 0;
                for (int j = 0; j < 4; j++) v += X[i * dx + blk * 4 + j] * 0.5f * h4[j][k];
                Xq[i * dx + blk * 4 + k] = v;
            }
    EXPECT(cka_linear(MPI_COMM_WORLD, Xq, dx, Y, dy, n, &c2, &e) == 0 && fabs(c2 - c) < 1e-12,
           "CKA(XQ, Y) = %.17g vs %.17g", c2, c);
    /* a dense random orthogonal Q (Gram-Schmidt in double, result rounded to
     * float: agreement to float precision only) */
    double Q[8][8];
    for (int a = 0; a < dx; a++) {
        for (int j = 0; j < dx; j++) Q[a][j] = rng_normal(43, 1, (uint64_t)a * dx + j);
        for (int p = 0; p < a; p++) {
            double dot = 0;
            for (int j = 0; j < dx; j++) dot += Q[a][j] * Q[p][j];
            for (int j = 0; j < dx; j++) Q[a][j] -= dot * Q[p][j];
        }
        double nrm = 0;
        for (int j = 0; j < dx; j++) nrm += Q[a][j] * Q[a][j];
        for (int j = 0; j < dx; j++) Q[a][j] /= sqrt(nrm);
    }
    for (int i = 0; i < n; i++)
        for (int k = 0; k < dx; k++) {
            double v = 0;
            for (int j = 0; j < dx; j++) v += X[i * dx + j] * Q[k][j];
            Xq[i * dx + k] = (float)v;
        }
    EXPECT(cka_linear(MPI_COMM_WORLD, Xq, dx, Y, dy, n, &c2, &e) == 0 && fabs(c2 - c) < 1e-6,
           "CKA(X Qrand, Y) = %.17g vs %.17g", c2, c);
    /* isotropic scaling: by 4 (exact) and by 0.3 (rounded) */
    for (int k = 0; k < n * dx; k++) Xq[k] = 4 * X[k];
    EXPECT(cka_linear(MPI_COMM_WORLD, Xq, dx, Y, dy, n, &c2, &e) == 0 && fabs(c2 - c) < 1e-12,
           "CKA(4X, Y) = %.17g vs %.17g", c2, c);
    for (int k = 0; k < n * dx; k++) Xq[k] = 0.3f * X[k];
    EXPECT(cka_linear(MPI_COMM_WORLD, Xq, dx, Y, dy, n, &c2, &e) == 0 && fabs(c2 - c) < 1e-6,
           "CKA(0.3X, Y) = %.17g vs %.17g", c2, c);
    /* no variance: NaN, not an error */
    for (int k = 0; k < n * dx; k++) Xq[k] = 1.5f;
    EXPECT(cka_linear(MPI_COMM_WORLD, Xq, dx, Y, dy, n, &c2, &e) == 0 && isnan(c2),
           "constant X: %g", c2);

    /* per group: teacher X [n, 8], a "student" Xs = X + noise (same width) */
    const int G = 4;
    int32_t *g = malloc(sizeof(int32_t) * n);
    double cg[4], mg[4];
    int64_t ng[4];
    for (int i = 0; i < n; i++) g[i] = i < 1 ? 3 : (i % 3);   /* group 3: one row */
    for (int k = 0; k < n * dx; k++) Xq[k] = X[k] + rng_normal(47, 1, (uint64_t)k) * (1 + k % 3);
    EXPECT(cka_per_group(MPI_COMM_WORLD, X, Xq, dx, g, n, G, cg, mg, ng, &e) == 0, "%s", e.msg);
    for (int k = 0; k < 3; k++) {
        int nk = 0;
        float *Tk = malloc(sizeof(float) * n * dx), *Sk = malloc(sizeof(float) * n * dx);
        double mse = 0;
        for (int i = 0; i < n; i++) {
            if (g[i] != k) continue;
            memcpy(Tk + nk * dx, X + i * dx, sizeof(float) * dx);
            memcpy(Sk + nk * dx, Xq + i * dx, sizeof(float) * dx);
            for (int j = 0; j < dx; j++)
                mse += ((double)Xq[i * dx + j] - X[i * dx + j]) * ((double)Xq[i * dx + j] - X[i * dx + j]);
            nk++;
        }
        mse /= (double)nk * dx;
        double r = ref_cka(Tk, dx, Sk, dx, nk);
        EXPECT(ng[k] == nk && fabs(cg[k] - r) <= 1e-9 * r && fabs(mg[k] - mse) <= 1e-12 * mse,
               "group %d: n %lld/%d, CKA %.17g vs %.17g, MSE %.17g vs %.17g", k,
               (long long)ng[k], nk, cg[k], r, mg[k], mse);
        free(Tk);
        free(Sk);
    }
    EXPECT(ng[3] == 1 && isnan(cg[3]) && isfinite(mg[3]), "one-row group: CKA %g", cg[3]);
    g[5] = 9;
    EXPECT(cka_per_group(MPI_COMM_WORLD, X, Xq, dx, g, n, G, cg, mg, ng, &e) == -1 &&
           strstr(e.msg, "group 9"), "bad group: '%s'", e.msg);
    free(g);
    free(X);
    free(Y);
    free(Xq);
}

/* A spurious-correlation problem: y from a weak "core" feature block, a
 * from a strong "spurious" block, a = y in 90% of training rows. The
 * selected DFR refit should beat a plain fit on worst-group accuracy. */
static void gen_spurious(float *F, int32_t *y, int32_t *g, int n, int d, double p_maj,
                         uint64_t seed)
{
    for (int i = 0; i < n; i++) {
        int yi = rng_uniform(seed, 1, (uint64_t)i) < 0.5f;
        int ai = rng_uniform(seed, 2, (uint64_t)i) < p_maj ? yi : 1 - yi;
        for (int j = 0; j < d; j++) {
            double v = rng_normal(seed, 3, (uint64_t)i * d + j);
            if (j < d / 2) v = 0.6 * (2 * yi - 1) + 1.0 * v;   /* core, noisy */
            else v = 1.5 * (2 * ai - 1) + 0.3 * v;             /* spurious, clean */
            F[(size_t)i * d + j] = (float)v;
        }
        y[i] = yi;
        g[i] = yi * 2 + ai;
    }
}

static double worst_group(const float *W, const float *b, const float *F, const int32_t *y,
                          const int32_t *g, int n, int d)
{
    int right[4] = { 0 }, tot[4] = { 0 };
    int32_t *pred = malloc(sizeof(int32_t) * n);
    dfr_predict(pred, W, b, F, n, d, 2);
    for (int i = 0; i < n; i++) {
        right[g[i]] += pred[i] == y[i];
        tot[g[i]]++;
    }
    double w = 1;
    for (int k = 0; k < 4; k++)
        if (tot[k]) w = fmin(w, (double)right[k] / tot[k]);
    free(pred);
    return w;
}

static void test_select(void)
{
    const int n = 1200, nt = 2000, d = 8;
    float *F = malloc(sizeof(float) * n * d), *Ft = malloc(sizeof(float) * nt * d);
    int32_t *y = malloc(sizeof(int32_t) * n), *g = malloc(sizeof(int32_t) * n);
    int32_t *yt = malloc(sizeof(int32_t) * nt), *gt = malloc(sizeof(int32_t) * nt);
    float W[16], b[2], We[16], be[2];
    gen_spurious(F, y, g, n, d, 0.9, 51);
    gen_spurious(Ft, yt, gt, nt, d, 0.5, 52);
    dfr_opts o;
    dfr_opts_default(&o);
    const double lambdas[] = { 1e-3, 1e-2, 1e-1, 1.0 };
    dfr_select_opts so = { lambdas, 4, 5, 7 };
    dfr_select_report rep;
    dett_err e = { "" };
    EXPECT(dfr_select(MPI_COMM_WORLD, F, y, g, n, d, 2, 4, &o, &so, W, b, &rep, &e) == 0, "%s",
           e.msg);
    EXPECT(dfr_fit(MPI_COMM_WORLD, F, y, n, d, 2, &o, We, be, NULL, &e) == 0, "%s", e.msg);
    double wd = worst_group(W, b, Ft, yt, gt, nt, d), we = worst_group(We, be, Ft, yt, gt, nt, d);
    printf("dfr_select: lambda %.0e (worst-group on half 2:", rep.lambda);
    for (int l = 0; l < 4; l++) printf(" %.3f", rep.worst_acc[l]);
    printf("), %lld per group; test worst-group %.3f vs plain fit %.3f\n",
           (long long)rep.per_group_fit, wd, we);
    EXPECT(rep.best >= 0 && rep.best < 4 && rep.lambda == lambdas[rep.best], "best %d", rep.best);
    EXPECT(rep.n_half[0] + rep.n_half[1] == n && rep.per_group_fit > 10 &&
           rep.per_group_final >= rep.per_group_fit && rep.groups_empty == 0,
           "halves %lld + %lld, %lld per group", (long long)rep.n_half[0],
           (long long)rep.n_half[1], (long long)rep.per_group_fit);
    EXPECT(wd > we + 0.05, "DFR worst-group %.3f is not above the plain fit's %.3f", wd, we);
    free(F); free(Ft); free(y); free(g); free(yt); free(gt);
}

int main(int argc, char **argv)
{
    MPI_Init(&argc, &argv);
    test_ridge();
    test_logistic();
    test_singular();
    test_cka();
    test_select();
    int rc = TEST_END();
    MPI_Finalize();
    return rc;
}
