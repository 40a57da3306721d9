/* dfr.c - DFR last-layer refits: ridge and Newton logistic regression on
 * block-cyclic products, solved by pdposv (see dfr.h, docs/dfr.md). */
#include "agree.h"
#include "dfr.h"
#include "rng.h"
#include <cblas.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- the data of one fit --------------------------------------------------------- */

typedef struct {
    const sl_grid *g;
    sl_rowmap rm;
    int d, C, nb;
    int64_t n;              /* rows in total */
    double *mu, *s;         /* [d]: column means and 1/sigma (0 for a constant column) */
    double *Zl;             /* [n_local, d + 1]: this rank's standardised rows, last column 1 */
    const int32_t *y;       /* [n_local], not owned */
    sl_mat Z;               /* [n, d + 1]: the block-cyclic copy of all rows */
} fitdata;

static void fitdata_free(fitdata *f)
{
    sl_rowmap_free(&f->rm);
    free(f->mu);
    free(f->s);
    free(f->Zl);
    sl_mat_free(&f->Z);
    memset(f, 0, sizeof *f);
}

static double next_lambda(double lam, const dfr_opts *o)
{
    if (lam > 0) return lam * 10;
    return o->lambda_floor > 0 ? o->lambda_floor : 1e-8;
}

/* Collective: checks the options and this rank's rows, agreeing on the
 * verdict; then the row map, the standardisation and the block-cyclic copy. */
static int fitdata_init(fitdata *f, const sl_grid *g, const float *F, const int32_t *y,
                        int64_t n_local, int d, int C, const dfr_opts *o, dett_err *e)
{
    memset(f, 0, sizeof *f);
    int st = 0, D1 = d + 1;
    /* the same d, C and block everywhere */
    int mine[6] = { d, -d, C, -C, o->block, -o->block }, all[6];
    CHECK_MPI(e, MPI_Allreduce(mine, all, 6, MPI_INT, MPI_MAX, g->comm));
    if (all[0] != -all[1] || all[2] != -all[3] || all[4] != -all[5])
        st = dett_fail(e, "dfr: ranks disagree on d, C or the block size (d %d..%d, C %d..%d)",
                       -all[1], all[0], -all[3], all[2]);
    else if (d < 1 || C < 2 || o->block < 1)
        st = dett_fail(e, "dfr: d = %d features, C = %d classes, block %d (need d >= 1, "
                       "C >= 2, block >= 1)", d, C, o->block);
    else if (!(o->lambda >= 0) || !isfinite(o->lambda) || o->max_retries < 0 ||
             !(o->rcond_min >= 0) || o->newton_max_iter < 1 || !(o->newton_tol > 0))
        st = dett_fail(e, "dfr: bad options (lambda %g, max_retries %d, rcond_min %g, "
                       "newton_max_iter %d, newton_tol %g)", o->lambda, o->max_retries,
                       o->rcond_min, o->newton_max_iter, o->newton_tol);
    else if (n_local < 0 || (n_local > 0 && (!F || !y)))
        st = dett_fail(e, "dfr: %lld local rows with %s", (long long)n_local,
                       n_local < 0 ? "a negative count" : "a NULL array");
    for (int64_t i = 0; !st && i < n_local; i++) {
        if (y[i] < 0 || y[i] >= C) {
            st = dett_fail(e, "dfr: label %d at local row %lld is not in 0..%d", y[i],
                           (long long)i, C - 1);
            break;
        }
        const float *x = F + (size_t)i * (size_t)d;
        for (int j = 0; j < d; j++)
            if (!isfinite(x[j])) {
                st = dett_fail(e, "dfr: feature %d of local row %lld is %g", j,
                               (long long)i, (double)x[j]);
                break;
            }
    }
    CHECK(agree_ranked(g->comm, st, e));
    f->g = g;
    f->d = d;
    f->C = C;
    f->nb = o->block;
    f->y = y;
    CHECK(sl_rowmap_init(&f->rm, g->comm, n_local, e));
    f->n = f->rm.n;
    st = f->n >= 2 ? 0 : dett_fail(e, "dfr: %lld rows in all (need at least 2)",
                                   (long long)f->n);
    CHECK(agree_ranked(g->comm, st, e));
    f->mu = calloc((size_t)d, sizeof(double));
    f->s = calloc((size_t)d, sizeof(double));
    f->Zl = malloc(sizeof(double) * (size_t)(n_local > 0 ? n_local : 1) * (size_t)D1);
    st = (f->mu && f->s && f->Zl) ? 0 : dett_fail(e, "dfr: out of memory for %lld x %d rows",
                                                  (long long)n_local, D1);
    CHECK(agree_ranked(g->comm, st, e));
    /* mean, then the sum of squared deviations (two passes: no cancellation) */
    for (int64_t i = 0; i < n_local; i++)
        for (int j = 0; j < d; j++) f->mu[j] += F[(size_t)i * (size_t)d + (size_t)j];
    CHECK(sl_allsum(g->comm, f->mu, d, e));
    for (int j = 0; j < d; j++) f->mu[j] /= (double)f->n;
    for (int64_t i = 0; i < n_local; i++)
        for (int j = 0; j < d; j++) {
            double v = F[(size_t)i * (size_t)d + (size_t)j] - f->mu[j];
            f->s[j] += v * v;
        }
    CHECK(sl_allsum(g->comm, f->s, d, e));
    for (int j = 0; j < d; j++) {
        double sigma = sqrt(f->s[j] / (double)f->n);
        f->s[j] = (sigma > 0 && sigma > 1e-10 * fabs(f->mu[j])) ? 1.0 / sigma : 0.0;
    }
    for (int64_t i = 0; i < n_local; i++) {
        double *z = f->Zl + (size_t)i * (size_t)D1;
        const float *x = F + (size_t)i * (size_t)d;
        for (int j = 0; j < d; j++) z[j] = (x[j] - f->mu[j]) * f->s[j];
        z[d] = 1.0;
    }
    st = sl_mat_init(&f->Z, g, (int)f->n, D1, f->nb, e);
    CHECK(agree_ranked(g->comm, st, e));
    CHECK(sl_scatter_rows(&f->Z, &f->rm, f->Zl, D1, e));
    return 0;
fail:
    fitdata_free(f);
    return -1;
}

/* ---- ridge ------------------------------------------------------------------------ */

/* Ws [C, d], bs [C] in standardised coordinates */
static int fit_ridge(fitdata *f, const dfr_opts *o, double *Ws, double *bs, dfr_report *rep,
                     dett_err *e)
{
    const sl_grid *g = f->g;
    int d = f->d, C = f->C, D1 = d + 1, st = 0, info = 0;
    int64_t nl = f->rm.n_local;
    double inv_n = 1.0 / (double)f->n;
    double *Yl = NULL, *X = NULL;
    sl_mat Y = { 0 }, G0 = { 0 }, R0 = { 0 }, A = { 0 }, B = { 0 };
    /* centred one-hot targets; b is the class frequency */
    for (int c = 0; c < C; c++) bs[c] = 0;
    for (int64_t i = 0; i < nl; i++) bs[f->y[i]] += 1;
    CHECK(sl_allsum(g->comm, bs, C, e));
    for (int c = 0; c < C; c++) bs[c] *= inv_n;
    Yl = malloc(sizeof(double) * (size_t)(nl > 0 ? nl : 1) * (size_t)C);
    X = malloc(sizeof(double) * (size_t)d * (size_t)C);
    st = (Yl && X) ? 0 : dett_fail(e, "dfr ridge: out of memory");
    if (!st) st = sl_mat_init(&Y, g, (int)f->n, C, f->nb, e);
    if (!st) st = sl_mat_init(&G0, g, d, d, f->nb, e);
    if (!st) st = sl_mat_init(&R0, g, d, C, f->nb, e);
    if (!st) st = sl_mat_init(&A, g, d, d, f->nb, e);
    if (!st) st = sl_mat_init(&B, g, d, C, f->nb, e);
    CHECK(agree_ranked(g->comm, st, e));
    for (int64_t i = 0; i < nl; i++)
        for (int c = 0; c < C; c++)
            Yl[(size_t)i * (size_t)C + (size_t)c] = (f->y[i] == c) - bs[c];
    CHECK(sl_scatter_rows(&Y, &f->rm, Yl, C, e));
    /* G0 = Z^T Z / n (upper), R0 = Z^T Yc / n: the bias column is not needed */
    CHECK(sl_syrk_t(&G0, 0, &f->Z, 0, d, inv_n, 0.0, e));
    CHECK(sl_gemm_tn(&R0, 0, 0, &f->Z, 0, d, &Y, 0, C, inv_n, 0.0, e));
    size_t gsz = (size_t)G0.lld * (size_t)(G0.lc > 0 ? G0.lc : 1);
    size_t rsz = (size_t)R0.lld * (size_t)(R0.lc > 0 ? R0.lc : 1);
    double lam = o->lambda, anorm = 0, rcond = 0;
    for (int attempt = 0;; attempt++) {
        memcpy(A.a, G0.a, sizeof(double) * gsz);
        memcpy(B.a, R0.a, sizeof(double) * rsz);
        sl_mat_add_diag(&A, 0, d, lam);
        CHECK(sl_sym_norm1(&anorm, &A, d, e));
        CHECK(sl_posv(&A, d, &B, &info, e));
        int ok = info == 0;
        rcond = 0;
        if (ok) CHECK(sl_pocon(&rcond, &A, d, anorm, e));
        ok = ok && rcond >= o->rcond_min;
        if (ok) {
            CHECK(sl_mat_gather(X, &B, e));        /* X [d, C] column-major */
            for (size_t k = 0; k < (size_t)d * (size_t)C; k++)
                if (!isfinite(X[k])) ok = 0;
        }
        if (ok) break;
        if (attempt == o->max_retries) {
            dett_fail(e, "dfr ridge: the %d x %d system is singular or ill-conditioned "
                      "(pdposv info %d, rcond %.3g < %.3g) even at lambda %.3g after %d "
                      "retries", d, d, info, rcond, o->rcond_min, lam, attempt);
            goto fail;
        }
        lam = next_lambda(lam, o);
        rep->retries++;
    }
    for (int c = 0; c < C; c++)
        for (int j = 0; j < d; j++) Ws[(size_t)c * (size_t)d + (size_t)j] = X[(size_t)c * (size_t)d + (size_t)j];
    rep->lambda_used = lam;
    rep->rcond = rcond;
    rep->converged = 1;
    /* objective (1/2n) ||Yc - Z W^T||^2 + (lambda/2) ||W||^2 */
    double obj[1] = { 0 }, pen = 0;
    for (int64_t i = 0; i < nl; i++) {
        const double *z = f->Zl + (size_t)i * (size_t)D1;
        for (int c = 0; c < C; c++) {
            double r = Yl[(size_t)i * (size_t)C + (size_t)c] -
                       cblas_ddot(d, z, 1, Ws + (size_t)c * (size_t)d, 1);
            obj[0] += r * r;
        }
    }
    CHECK(sl_allsum(g->comm, obj, 1, e));
    for (size_t k = 0; k < (size_t)d * (size_t)C; k++) pen += Ws[k] * Ws[k];
    rep->objective = 0.5 * obj[0] * inv_n + 0.5 * lam * pen;
    free(Yl); free(X);
    sl_mat_free(&Y); sl_mat_free(&G0); sl_mat_free(&R0); sl_mat_free(&A); sl_mat_free(&B);
    return 0;
fail:
    free(Yl); free(X);
    sl_mat_free(&Y); sl_mat_free(&G0); sl_mat_free(&R0); sl_mat_free(&A); sl_mat_free(&B);
    return -1;
}

/* ---- logistic regression by Newton's method --------------------------------------- */

/* Parameters theta [K, D1] row-major: row k is class k's weights then bias.
 * Binary (K = 1): logit l = theta . z, p = sigmoid(l), penalty (lam/2)||w||^2.
 * Multinomial (K = C): logits theta z, softmax, penalty (lam/2)||W||^2 plus
 * (1/2)(sum_c b_c)^2, which pins the one direction the loss cannot see (adding
 * a constant to every bias) and is zero at the returned solution. */
typedef struct {
    fitdata *f;
    int K, D1, binary;
    double lam;
    double *L;     /* [n_local, K] logits */
    double *Rl;    /* [n_local, K] residuals p - onehot */
    double *Wl;    /* [n_local, m] Hessian row weights */
    int m;         /* 1 (binary) or C(C+1)/2 */
} newton_ws;

/* Collective: the objective at theta; with grad_parts, also this rank's
 * residual rows and Hessian weights. */
static int nt_eval(newton_ws *w, const double *theta, int grad_parts, double *obj,
                   dett_err *e)
{
    fitdata *f = w->f;
    int K = w->K, D1 = w->D1, d = f->d;
    int64_t nl = f->rm.n_local;
    double loss[1] = { 0 }, pen = 0;
    if (nl > 0)
        cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (int)nl, K, D1, 1.0, f->Zl, D1,
                    theta, D1, 0.0, w->L, K);
    for (int64_t i = 0; i < nl; i++) {
        double *l = w->L + (size_t)i * (size_t)K;
        int y = f->y[i];
        if (w->binary) {
            double t = y == 1, z = l[0];
            loss[0] += (z > 0 ? z + log1p(exp(-z)) : log1p(exp(z))) - t * z;
            if (grad_parts) {
                double p = z >= 0 ? 1.0 / (1.0 + exp(-z)) : exp(z) / (1.0 + exp(z));
                w->Rl[i] = p - t;
                w->Wl[i] = p * (1.0 - p);
            }
        } else {
            double mx = l[0], se = 0;
            for (int c = 1; c < K; c++) mx = l[c] > mx ? l[c] : mx;
            for (int c = 0; c < K; c++) se += exp(l[c] - mx);
            double lse = mx + log(se);
            loss[0] += lse - l[y];
            if (grad_parts) {
                double *r = w->Rl + (size_t)i * (size_t)K, *h = w->Wl + (size_t)i * (size_t)w->m;
                for (int c = 0; c < K; c++) r[c] = exp(l[c] - lse);
                int q = 0;
                for (int c = 0; c < K; c++)
                    for (int c2 = c; c2 < K; c2++) h[q++] = r[c] * ((c == c2) - r[c2]);
                r[y] -= 1.0;
            }
        }
    }
    CHECK(sl_allsum(f->g->comm, loss, 1, e));
    double bsum = 0;
    for (int k = 0; k < K; k++) {
        const double *t = theta + (size_t)k * (size_t)D1;
        for (int j = 0; j < d; j++) pen += t[j] * t[j];
        bsum += t[d];
    }
    *obj = loss[0] / (double)f->n + 0.5 * w->lam * pen + (w->binary ? 0.0 : 0.5 * bsum * bsum);
    return 0;
fail:
    return -1;
}

/* Collective: Newton from theta = 0 at w->lam. *ok = 0 if a system failed
 * (not positive definite, rcond below the limit, a non-finite step) or the
 * iteration did not converge: the caller retries with a larger lambda. */
static int nt_run(newton_ws *w, const dfr_opts *o, double *theta, int *ok, dfr_report *rep,
                  dett_err *e)
{
    fitdata *f = w->f;
    const sl_grid *g = f->g;
    int K = w->K, D1 = w->D1, d = f->d, np = K * D1, st = 0, info = 0;
    double inv_n = 1.0 / (double)f->n, obj = 0, anorm = 0, rcond = 0, gmax = 0;
    double *grad = malloc(sizeof(double) * (size_t)np), *step = malloc(sizeof(double) * (size_t)np);
    double *trial = malloc(sizeof(double) * (size_t)np), *wrow = NULL;
    sl_mat R = { 0 }, Gm = { 0 }, H = { 0 }, B = { 0 }, Zs = { 0 };
    st = (grad && step && trial) ? 0 : dett_fail(e, "dfr logistic: out of memory");
    if (!st) st = sl_mat_init(&R, g, (int)f->n, K, f->nb, e);
    if (!st) st = sl_mat_init(&Gm, g, D1, K, f->nb, e);
    if (!st) st = sl_mat_init(&H, g, np, np, f->nb, e);
    if (!st) st = sl_mat_init(&B, g, np, 1, f->nb, e);
    if (!st) st = sl_mat_init(&Zs, g, (int)f->n, D1, f->nb, e);
    if (!st) {
        wrow = malloc(sizeof(double) * (size_t)(f->Z.lr > 0 ? f->Z.lr : 1) * (size_t)w->m);
        if (!wrow) st = dett_fail(e, "dfr logistic: out of memory");
    }
    CHECK(agree_ranked(g->comm, st, e));
    memset(theta, 0, sizeof(double) * (size_t)np);
    *ok = 0;
    rep->converged = 0;
    rep->rcond = 0;
    int it;
    CHECK(nt_eval(w, theta, 1, &obj, e));
    for (it = 0;; it++) {
        /* gradient: Z^T R / n (PBLAS), then the penalty terms */
        CHECK(sl_scatter_rows(&R, &f->rm, w->Rl, K, e));
        CHECK(sl_gemm_tn(&Gm, 0, 0, &f->Z, 0, D1, &R, 0, K, inv_n, 0.0, e));
        CHECK(sl_mat_gather(grad, &Gm, e));        /* [D1, K] column-major = theta's layout */
        double bsum = 0;
        for (int k = 0; k < K; k++) bsum += theta[(size_t)k * (size_t)D1 + (size_t)d];
        gmax = 0;
        for (int k = 0; k < K; k++) {
            double *gk = grad + (size_t)k * (size_t)D1;
            const double *tk = theta + (size_t)k * (size_t)D1;
            for (int j = 0; j < d; j++) gk[j] += w->lam * tk[j];
            if (!w->binary) gk[d] += bsum;
            for (int j = 0; j < D1; j++) gmax = fabs(gk[j]) > gmax || gk[j] != gk[j] ? fabs(gk[j]) : gmax;
        }
        rep->grad_max = gmax;
        rep->objective = obj;
        if (!isfinite(gmax)) break;
        if (gmax <= o->newton_tol) {
            rep->converged = 1;
            break;
        }
        if (it == o->newton_max_iter) break;
        /* Hessian: blocks (c, c2 >= c) = Z^T diag(h_{c,c2}) Z / n, plus the penalty */
        CHECK(sl_scatter_rowvals(wrow, &f->Z, &f->rm, w->Wl, w->m, e));
        int q = 0;
        for (int c = 0; c < K; c++)
            for (int c2 = c; c2 < K; c2++, q++) {
                for (int lj = 0; lj < f->Z.lc; lj++)
                    for (int li = 0; li < f->Z.lr; li++) {
                        double h = wrow[(size_t)li * (size_t)w->m + (size_t)q];
                        size_t k = (size_t)lj * (size_t)f->Z.lld + (size_t)li;
                        Zs.a[k] = (w->binary ? sqrt(h) : h) * f->Z.a[k];
                    }
                if (w->binary)
                    CHECK(sl_syrk_t(&H, 0, &Zs, 0, D1, inv_n, 0.0, e));
                else
                    CHECK(sl_gemm_tn(&H, c * D1, c2 * D1, &Zs, 0, D1, &f->Z, 0, D1, inv_n,
                                     0.0, e));
            }
        for (int k = 0; k < K; k++) sl_mat_add_diag(&H, k * D1, k * D1 + d, w->lam);
        if (!w->binary)
            for (int c = 0; c < K; c++)
                for (int c2 = c; c2 < K; c2++) sl_mat_add(&H, c * D1 + d, c2 * D1 + d, 1.0);
        /* H step = -grad */
        for (int k = 0; k < np; k++) step[k] = -grad[k];
        sl_mat_from_full(&B, step);
        CHECK(sl_sym_norm1(&anorm, &H, np, e));
        CHECK(sl_posv(&H, np, &B, &info, e));
        if (info != 0) break;
        CHECK(sl_pocon(&rcond, &H, np, anorm, e));
        rep->rcond = rcond;
        if (!(rcond >= o->rcond_min)) break;
        CHECK(sl_mat_gather(step, &B, e));
        double slope = 0;
        for (int k = 0; k < np; k++) slope += grad[k] * step[k];
        if (!isfinite(slope) || !(slope < 0)) break;
        /* backtracking (Armijo) line search; every rank sees the same numbers */
        double t = 1.0, ftrial = 0;
        for (;;) {
            for (int k = 0; k < np; k++) trial[k] = theta[k] + t * step[k];
            CHECK(nt_eval(w, trial, 0, &ftrial, e));
            if (ftrial <= obj + 1e-4 * t * slope) break;
            t *= 0.5;
            if (t < 1e-12) break;
        }
        if (t < 1e-12) {
            /* no decrease left at this precision: converged if the decrement
             * is negligible against the objective, else a failure */
            rep->converged = -0.5 * slope <= 1e-14 * (fabs(obj) + 1.0);
            break;
        }
        memcpy(theta, trial, sizeof(double) * (size_t)np);
        CHECK(nt_eval(w, theta, 1, &obj, e));
    }
    *ok = rep->converged;
    rep->iters = it;
    free(grad); free(step); free(trial); free(wrow);
    sl_mat_free(&R); sl_mat_free(&Gm); sl_mat_free(&H); sl_mat_free(&B); sl_mat_free(&Zs);
    return 0;
fail:
    free(grad); free(step); free(trial); free(wrow);
    sl_mat_free(&R); sl_mat_free(&Gm); sl_mat_free(&H); sl_mat_free(&B); sl_mat_free(&Zs);
    return -1;
}

/* Ws [C, d], bs [C] in standardised coordinates */
static int fit_logistic(fitdata *f, const dfr_opts *o, double *Ws, double *bs,
                        dfr_report *rep, dett_err *e)
{
    int d = f->d, C = f->C, D1 = d + 1, st = 0, ok = 0;
    int64_t nl = f->rm.n_local;
    newton_ws w = { 0 };
    w.f = f;
    w.binary = C == 2 && !o->force_multinomial;
    w.K = w.binary ? 1 : C;
    w.D1 = D1;
    w.m = w.binary ? 1 : C * (C + 1) / 2;
    size_t rows = (size_t)(nl > 0 ? nl : 1);
    double *theta = malloc(sizeof(double) * (size_t)w.K * (size_t)D1);
    w.L = malloc(sizeof(double) * rows * (size_t)w.K);
    w.Rl = malloc(sizeof(double) * rows * (size_t)w.K);
    w.Wl = malloc(sizeof(double) * rows * (size_t)w.m);
    st = (theta && w.L && w.Rl && w.Wl) ? 0 : dett_fail(e, "dfr logistic: out of memory");
    CHECK(agree_ranked(f->g->comm, st, e));
    double lam = o->lambda;
    for (int attempt = 0;; attempt++) {
        /* binary: (lam/2)||v||^2 on the logit difference v is (lam/2)||W||^2
         * on the symmetric softmax W = [-v/2, v/2], hence lam / 2 */
        w.lam = w.binary ? 0.5 * lam : lam;
        CHECK(nt_run(&w, o, theta, &ok, rep, e));
        if (ok) break;
        if (attempt == o->max_retries) {
            dett_fail(e, "dfr logistic: Newton failed (a singular or ill-conditioned "
                      "%d x %d system, rcond %.3g, or no convergence: gradient %.3g after "
                      "%d steps) even at lambda %.3g after %d retries", w.K * D1, w.K * D1,
                      rep->rcond, rep->grad_max, rep->iters, lam, attempt);
            goto fail;
        }
        lam = next_lambda(lam, o);
        rep->retries++;
    }
    rep->lambda_used = lam;
    for (int j = 0; j < d; j++) {
        if (w.binary) {
            Ws[j] = -0.5 * theta[j];
            Ws[(size_t)d + (size_t)j] = 0.5 * theta[j];
        } else {
            for (int c = 0; c < C; c++)
                Ws[(size_t)c * (size_t)d + (size_t)j] = theta[(size_t)c * (size_t)D1 + (size_t)j];
        }
    }
    for (int c = 0; c < C; c++)
        bs[c] = w.binary ? (c ? 0.5 : -0.5) * theta[d] : theta[(size_t)c * (size_t)D1 + (size_t)d];
    free(theta); free(w.L); free(w.Rl); free(w.Wl);
    return 0;
fail:
    free(theta); free(w.L); free(w.Rl); free(w.Wl);
    return -1;
}

/* ---- public fits ------------------------------------------------------------------- */

int dfr_fit_grid(const sl_grid *g, const float *F_local, const int32_t *y_local,
                 int64_t n_local, int d, int C, const dfr_opts *o, double *W_out,
                 double *b_out, dfr_report *rep, dett_err *e)
{
    fitdata f = { 0 };
    dfr_report r0;
    dfr_opts od;
    double *Ws = NULL, *bs = NULL;
    if (!rep) rep = &r0;
    if (!o) {
        dfr_opts_default(&od);
        o = &od;
    }
    memset(rep, 0, sizeof *rep);
    double t0 = MPI_Wtime();
    CHECK(fitdata_init(&f, g, F_local, y_local, n_local, d, C, o, e));
    Ws = malloc(sizeof(double) * (size_t)C * (size_t)d);
    bs = malloc(sizeof(double) * (size_t)C);
    CHECK(agree_ranked(g->comm, (Ws && bs) ? 0 : dett_fail(e, "dfr: out of memory"), e));
    rep->n = f.n;
    rep->nprow = g->nprow;
    rep->npcol = g->npcol;
    if (o->solver == DFR_RIDGE)
        CHECK(fit_ridge(&f, o, Ws, bs, rep, e));
    else
        CHECK(fit_logistic(&f, o, Ws, bs, rep, e));
    rep->fallback = rep->lambda_used != o->lambda;
    /* fold the standardisation: W x + b = Ws ((x - mu) s) + bs */
    for (int c = 0; c < C; c++) {
        double bc = bs[c];
        for (int j = 0; j < d; j++) {
            double wj = Ws[(size_t)c * (size_t)d + (size_t)j] * f.s[j];
            W_out[(size_t)c * (size_t)d + (size_t)j] = wj;
            bc -= wj * f.mu[j];
        }
        b_out[c] = bc;
    }
    rep->seconds = MPI_Wtime() - t0;
    free(Ws);
    free(bs);
    fitdata_free(&f);
    return 0;
fail:
    free(Ws);
    free(bs);
    fitdata_free(&f);
    dett_err_prefix(e, "dfr_fit");
    return -1;
}

int dfr_fit_d(MPI_Comm comm, const float *F_local, const int32_t *y_local, int64_t n_local,
              int d, int C, const dfr_opts *o, double *W_out, double *b_out,
              dfr_report *rep, dett_err *e)
{
    sl_grid g;
    if (sl_grid_init(&g, comm, e)) return -1;
    int rc = dfr_fit_grid(&g, F_local, y_local, n_local, d, C, o, W_out, b_out, rep, e);
    sl_grid_free(&g);
    return rc;
}

int dfr_fit(MPI_Comm comm, const float *F_local, const int32_t *y_local, int64_t n_local,
            int d, int C, const dfr_opts *o, float *W_out, float *b_out, dfr_report *rep,
            dett_err *e)
{
    int st = 0, rc = -1;
    double *W = malloc(sizeof(double) * (size_t)(C > 0 ? C : 1) * (size_t)(d > 0 ? d : 1));
    double *b = malloc(sizeof(double) * (size_t)(C > 0 ? C : 1));
    st = (W && b) ? 0 : dett_fail(e, "dfr_fit: out of memory");
    if (agree_ranked(comm, st, e) == 0 &&
        dfr_fit_d(comm, F_local, y_local, n_local, d, C, o, W, b, rep, e) == 0) {
        for (size_t k = 0; k < (size_t)C * (size_t)d; k++) W_out[k] = (float)W[k];
        for (int c = 0; c < C; c++) b_out[c] = (float)b[c];
        rc = 0;
    }
    free(W);
    free(b);
    return rc;
}

/* ---- DFR's model selection ------------------------------------------------------ */

/* rng streams of the selection (the seed is the caller's) */
#define SEL_STREAM_SPLIT 0x5e1ec7u
#define SEL_TUNE 1u
#define SEL_FINAL 2u

/* Local: the local rows of n_seeds group-balanced subsamples of the rows with
 * elig[gi] set. Every rank computes the same global choice from gall [n];
 * rows_out[s] lists this rank's chosen local rows for seed s (nsel_out[s]).
 * *per_group is the common group size (the smallest non-empty group), and
 * *empty the number of groups without eligible rows. */
static int balanced_subsamples(int64_t **rows_out, int64_t *nsel_out, int64_t *per_group,
                               int *empty, const int32_t *gall, const unsigned char *elig,
                               int64_t n, int G, const sl_rowmap *rm, int n_seeds,
                               uint64_t seed, unsigned phase, dett_err *e)
{
    int64_t *cnt = calloc((size_t)G, sizeof(int64_t)), *start = calloc((size_t)G + 1, sizeof(int64_t));
    int64_t *byg = malloc(sizeof(int64_t) * (size_t)(n > 0 ? n : 1));
    int64_t *fill = calloc((size_t)G, sizeof(int64_t));
    int *perm = malloc(sizeof(int) * (size_t)(n > 0 ? n : 1));
    unsigned char *mark = malloc((size_t)(n > 0 ? n : 1));
    CHECK_ALLOC(e, cnt); CHECK_ALLOC(e, start); CHECK_ALLOC(e, byg);
    CHECK_ALLOC(e, fill); CHECK_ALLOC(e, perm); CHECK_ALLOC(e, mark);
    for (int64_t i = 0; i < n; i++)
        if (elig[i]) cnt[gall[i]]++;
    int64_t m = 0;
    *empty = 0;
    for (int k = 0; k < G; k++) {
        if (cnt[k] == 0) (*empty)++;
        else if (m == 0 || cnt[k] < m) m = cnt[k];
        start[k + 1] = start[k] + cnt[k];
    }
    *per_group = m;
    /* eligible rows of each group, in global order */
    for (int64_t i = 0; i < n; i++)
        if (elig[i]) byg[start[gall[i]] + fill[gall[i]]++] = i;
    for (int s = 0; s < n_seeds; s++) {
        memset(mark, 0, (size_t)(n > 0 ? n : 1));
        for (int k = 0; k < G; k++) {
            if (cnt[k] == 0) continue;
            rng_permutation(perm, (int)cnt[k], seed,
                            rng_stream2(((uint64_t)phase << 32) | (uint64_t)s, (uint64_t)k));
            for (int64_t t = 0; t < m; t++) mark[byg[start[k] + perm[t]]] = 1;
        }
        int64_t q = 0;
        for (int64_t i = 0; i < rm->n_local; i++) q += mark[rm->row0 + i];
        rows_out[s] = malloc(sizeof(int64_t) * (size_t)(q > 0 ? q : 1));
        CHECK_ALLOC(e, rows_out[s]);
        nsel_out[s] = q;
        q = 0;
        for (int64_t i = 0; i < rm->n_local; i++)
            if (mark[rm->row0 + i]) rows_out[s][q++] = i;
    }
    free(cnt); free(start); free(byg); free(fill); free(perm); free(mark);
    return 0;
fail:
    free(cnt); free(start); free(byg); free(fill); free(perm); free(mark);
    return -1;
}

/* Collective: the average of n_seeds fits on the given local row subsets. */
static int fit_average(const sl_grid *g, const float *F, const int32_t *y, int d, int C,
                       const dfr_opts *o, double lambda, int n_seeds, int64_t *const *rows,
                       const int64_t *nsel, float *Wf, float *bf, int *retries, dett_err *e)
{
    int st = 0;
    int64_t mx = 1;
    for (int s = 0; s < n_seeds; s++) mx = nsel[s] > mx ? nsel[s] : mx;
    float *Fs = malloc(sizeof(float) * (size_t)mx * (size_t)d);
    int32_t *ys = malloc(sizeof(int32_t) * (size_t)mx);
    double *W = malloc(sizeof(double) * (size_t)C * (size_t)d), *b = malloc(sizeof(double) * (size_t)C);
    double *Wa = calloc((size_t)C * (size_t)d, sizeof(double)), *ba = calloc((size_t)C, sizeof(double));
    st = (Fs && ys && W && b && Wa && ba) ? 0 : dett_fail(e, "dfr_select: out of memory");
    CHECK(agree_ranked(g->comm, st, e));
    dfr_opts oo = *o;
    oo.lambda = lambda;
    for (int s = 0; s < n_seeds; s++) {
        for (int64_t q = 0; q < nsel[s]; q++) {
            int64_t i = rows[s][q];
            memcpy(Fs + (size_t)q * (size_t)d, F + (size_t)i * (size_t)d, sizeof(float) * (size_t)d);
            ys[q] = y[i];
        }
        dfr_report rep;
        CHECK(dfr_fit_grid(g, Fs, ys, nsel[s], d, C, &oo, W, b, &rep, e));
        *retries += rep.retries;
        for (size_t k = 0; k < (size_t)C * (size_t)d; k++) Wa[k] += W[k];
        for (int c = 0; c < C; c++) ba[c] += b[c];
    }
    for (size_t k = 0; k < (size_t)C * (size_t)d; k++) Wf[k] = (float)(Wa[k] / n_seeds);
    for (int c = 0; c < C; c++) bf[c] = (float)(ba[c] / n_seeds);
    free(Fs); free(ys); free(W); free(b); free(Wa); free(ba);
    return 0;
fail:
    free(Fs); free(ys); free(W); free(b); free(Wa); free(ba);
    return -1;
}

int dfr_select(MPI_Comm comm, const float *F_local, const int32_t *y_local,
               const int32_t *g_local, int64_t n_local, int d, int C, int G,
               const dfr_opts *o, const dfr_select_opts *so, float *W_out, float *b_out,
               dfr_select_report *rep, dett_err *e)
{
    sl_grid grid = { 0 };
    grid.sys = grid.ctxt = -1;
    sl_rowmap rm = { 0 };
    dfr_select_report r0;
    int st = 0, P = 0;
    int32_t *gall = NULL, *pred = NULL;
    int *perm = NULL, *rc = NULL, *rd = NULL;
    unsigned char *half = NULL, *elig = NULL;
    int64_t *tune_rows[64] = { 0 }, tune_n[64] = { 0 };
    int64_t *fin_rows[64] = { 0 }, fin_n[64] = { 0 };
    int64_t *tally = NULL;
    float *Wt = NULL, *bt = NULL;
    dfr_opts od;
    if (!rep) rep = &r0;
    if (!o) {
        dfr_opts_default(&od);
        o = &od;
    }
    memset(rep, 0, sizeof *rep);
    if (!so || so->n_lambdas < 1 || so->n_lambdas > DFR_MAX_LAMBDAS || !so->lambdas ||
        so->n_seeds < 1 || so->n_seeds > 64 || G < 1)
        st = dett_fail(e, "dfr_select: %d lambdas (1..%d), %d seeds (1..64), %d groups",
                       so ? so->n_lambdas : 0, DFR_MAX_LAMBDAS, so ? so->n_seeds : 0, G);
    for (int l = 0; !st && l < so->n_lambdas; l++)
        if (!(so->lambdas[l] >= 0) || !isfinite(so->lambdas[l]))
            st = dett_fail(e, "dfr_select: lambda %g", so->lambdas[l]);
    for (int64_t i = 0; !st && i < n_local; i++)
        if (!g_local || g_local[i] < 0 || g_local[i] >= G)
            st = dett_fail(e, "dfr_select: group %d at local row %lld is not in 0..%d",
                           g_local ? g_local[i] : -1, (long long)i, G - 1);
    CHECK(agree_ranked(comm, st, e));
    CHECK(sl_rowmap_init(&rm, comm, n_local, e));
    st = rm.n >= 4 ? 0 : dett_fail(e, "dfr_select: %lld held-out rows (need 4)", (long long)rm.n);
    CHECK(agree_ranked(comm, st, e));
    CHECK_MPI(e, MPI_Comm_size(comm, &P));
    int64_t n = rm.n;
    /* every rank learns every row's group (n int32: small next to the features) */
    gall = malloc(sizeof(int32_t) * (size_t)n);
    perm = malloc(sizeof(int) * (size_t)n);
    half = malloc((size_t)n);
    elig = malloc((size_t)n);
    rc = malloc(sizeof(int) * (size_t)P);
    rd = malloc(sizeof(int) * (size_t)P);
    pred = malloc(sizeof(int32_t) * (size_t)(n_local > 0 ? n_local : 1));
    tally = malloc(sizeof(int64_t) * 2 * (size_t)G);
    Wt = malloc(sizeof(float) * (size_t)C * (size_t)(d > 0 ? d : 1));
    bt = malloc(sizeof(float) * (size_t)(C > 0 ? C : 1));
    st = (gall && perm && half && elig && rc && rd && pred && tally && Wt && bt) ? 0
         : dett_fail(e, "dfr_select: out of memory");
    CHECK(agree_ranked(comm, st, e));
    for (int r = 0; r < P; r++) {
        rc[r] = (int)(rm.offs[r + 1] - rm.offs[r]);
        rd[r] = (int)rm.offs[r];
    }
    CHECK_MPI(e, MPI_Allgatherv(g_local, (int)n_local, MPI_INT32_T, gall, rc, rd, MPI_INT32_T,
                                comm));
    /* the split: the first floor(n/2) rows of a seeded permutation are half 0 */
    rng_permutation(perm, (int)n, so->seed, SEL_STREAM_SPLIT);
    for (int64_t k = 0; k < n; k++) half[perm[k]] = k < n / 2 ? 0 : 1;
    rep->n_half[0] = n / 2;
    rep->n_half[1] = n - n / 2;
    CHECK(sl_grid_init(&grid, comm, e));
    /* tuning subsamples (first half) and final ones (all rows) */
    for (int64_t i = 0; i < n; i++) elig[i] = half[i] == 0;
    CHECK(agree_ranked(comm, balanced_subsamples(tune_rows, tune_n, &rep->per_group_fit,
                                             &rep->groups_empty, gall, elig, n, G, &rm,
                                             so->n_seeds, so->seed, SEL_TUNE, e), e));
    memset(elig, 1, (size_t)n);
    int empty_all = 0;
    CHECK(agree_ranked(comm, balanced_subsamples(fin_rows, fin_n, &rep->per_group_final,
                                             &empty_all, gall, elig, n, G, &rm, so->n_seeds,
                                             so->seed, SEL_FINAL, e), e));
    rep->best = -1;
    for (int l = 0; l < so->n_lambdas; l++) {
        CHECK(fit_average(&grid, F_local, y_local, d, C, o, so->lambdas[l], so->n_seeds,
                          tune_rows, tune_n, Wt, bt, &rep->retries, e));
        /* score on the second half: per-group correct and total counts */
        dfr_predict(pred, Wt, bt, F_local, n_local, d, C);
        memset(tally, 0, sizeof(int64_t) * 2 * (size_t)G);
        for (int64_t i = 0; i < n_local; i++) {
            if (half[rm.row0 + i] != 1) continue;
            tally[2 * g_local[i]] += pred[i] == y_local[i];
            tally[2 * g_local[i] + 1]++;
        }
        CHECK_MPI(e, MPI_Allreduce(MPI_IN_PLACE, tally, 2 * G, MPI_INT64_T, MPI_SUM, comm));
        int64_t right = 0, tot = 0;
        double worst = 1.0;
        for (int k = 0; k < G; k++) {
            right += tally[2 * k];
            tot += tally[2 * k + 1];
            if (tally[2 * k + 1] > 0) {
                double a = (double)tally[2 * k] / (double)tally[2 * k + 1];
                worst = a < worst ? a : worst;
            }
        }
        rep->worst_acc[l] = worst;
        rep->mean_acc[l] = tot ? (double)right / (double)tot : 0.0;
        if (rep->best < 0 || worst > rep->worst_acc[rep->best]) rep->best = l;
    }
    rep->lambda = so->lambdas[rep->best];
    CHECK(fit_average(&grid, F_local, y_local, d, C, o, rep->lambda, so->n_seeds, fin_rows,
                      fin_n, W_out, b_out, &rep->retries, e));
    sl_grid_free(&grid);
    for (int s = 0; s < 64; s++) { free(tune_rows[s]); free(fin_rows[s]); }
    sl_rowmap_free(&rm);
    free(gall); free(perm); free(half); free(elig); free(rc); free(rd); free(pred);
    free(tally); free(Wt); free(bt);
    return 0;
fail:
    sl_grid_free(&grid);
    for (int s = 0; s < 64; s++) { free(tune_rows[s]); free(fin_rows[s]); }
    sl_rowmap_free(&rm);
    free(gall); free(perm); free(half); free(elig); free(rc); free(rd); free(pred);
    free(tally); free(Wt); free(bt);
    dett_err_prefix(e, "dfr_select");
    return -1;
}
