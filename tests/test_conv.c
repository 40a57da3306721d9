/* test_conv.c - image layers (conv, max/avg pooling, global average pooling)
 * and model_cnn: hand-computed cases, a naive direct convolution as the
 * reference, finite-difference gradient checks. In a build with oneDNN
 * (kernels/conv_dnnl.h) every convolution check runs on both paths, im2col
 * and oneDNN, and the oneDNN path is checked for determinism: the same bits
 * for a batch size whatever other batch sizes ran before (plans evicted and
 * remade), in a fresh layer, and with more OpenMP threads allowed. */
#include "check.h"
#include "cnn.h"
#include "conv_dnnl.h"
#include "gradcheck.h"
#include "layer.h"
#include "model.h"
#include "rng.h"
#include <math.h>
#include <stdlib.h>
#include <string.h>
#ifdef DETT_WITH_DNNL
#include <omp.h>
#endif

#define GC_EPS 1e-2f       /* finite-difference step */
#define GC_TOL 1e-2        /* worst gradcheck error allowed */
#define GC_ALL 1000000     /* max_checks: every trainable parameter */
#define REF_TOL 1e-4       /* conv vs naive loops, relative to max |ref| */

static double gc_worst_seen = 0.0;
static int use_dnnl = 0;   /* the path the conv checks run on (main sets it) */

/* layer_conv on the path under test */
static layer *conv_on_path(int C, int H, int W, int OC, int k, int s, int pad)
{
    layer *l = layer_conv(C, H, W, OC, k, s, pad);
    if (l && layer_conv_set_dnnl(l, use_dnnl) != use_dnnl) {
        printf("conv C%d %dx%d OC%d k%d s%d p%d: oneDNN refused the geometry, im2col\n",
               C, H, W, OC, k, s, pad);
    }
    return l;
}

/* every conv layer of m on the path under test */
static model *model_on_path(model *m)
{
    for (int i = 0; m && i < m->n_layers; i++) layer_conv_set_dnnl(m->layers[i], use_dnnl);
    return m;
}

/* ---- helpers ------------------------------------------------------------- */

/* x[n] ~ U(-1, 1) keyed by (seed, stream) */
static void fill_uniform(float *x, size_t n, uint64_t seed, uint64_t stream)
{
    for (size_t i = 0; i < n; i++) x[i] = 2.0f * rng_uniform(seed, stream, i) - 1.0f;
}

/* max_i |a[i] - ref[i]| / max(max_i |ref[i]|, 1e-30) */
static double rel_err(const float *a, const double *ref, size_t n)
{
    double e = 0.0, s = 1e-30;
    for (size_t i = 0; i < n; i++) {
        e = fmax(e, fabs((double)a[i] - ref[i]));
        s = fmax(s, fabs(ref[i]));
    }
    return e / s;
}

/* forward of one layer with its own workspace; 0 ok, -1 out of memory */
static int layer_run(const layer *l, const float *p, float *out, const float *in, int B)
{
    size_t n = l->ops->ws_floats(l, B);
    float *ws = n ? malloc(sizeof(float) * n) : NULL;
    if (n && !ws) return -1;
    l->ops->forward(l, p, out, in, B, ws);
    free(ws);
    return 0;
}

/* backward of one layer with its own workspace; 0 ok, -1 out of memory */
static int layer_back(const layer *l, const float *p, float *g, float *din,
                      const float *dout, const float *in, const float *out, int B)
{
    size_t n = l->ops->ws_floats(l, B);
    float *ws = n ? malloc(sizeof(float) * n) : NULL;
    if (n && !ws) return -1;
    l->ops->backward(l, p, g, din, dout, in, out, B, ws);
    free(ws);
    return 0;
}

/* gradcheck of m (initialised here) on x ~ U(-1,1) [B, in_dim]; returns worst */
static double run_gradcheck(model *m, int B, uint64_t seed)
{
    float *x = malloc(sizeof(float) * (size_t)B * m->in_dim);
    if (!x) return -1.0;
    fill_uniform(x, (size_t)B * m->in_dim, seed, 100);
    double worst = gradcheck_model(m, x, B, seed, GC_EPS, GC_ALL, 1);
    free(x);
    if (worst > gc_worst_seen) gc_worst_seen = worst;
    return worst;
}

/* ---- hand-computed cases ------------------------------------------------- */

static void test_conv_by_hand(void)
{
    /* x = [1 2 3; 4 5 6; 7 8 9], kernel [1 0; -1 2], bias 0.5 */
    const float x[9] = { 1, 2, 3, 4, 5, 6, 7, 8, 9 };
    const float p[5] = { 1, 0, -1, 2, 0.5f };
    /* stride 1, pad 0: out[i][j] = x[i][j] - x[i+1][j] + 2 x[i+1][j+1] + 0.5 */
    const float want1[4] = { 1 - 4 + 10 + 0.5f, 2 - 5 + 12 + 0.5f,
                             4 - 7 + 16 + 0.5f, 5 - 8 + 18 + 0.5f };
    /* stride 2, pad 1 over the zero-padded 5x5 image */
    const float want2[4] = { 2 * 1 + 0.5f, -2 + 2 * 3 + 0.5f,
                             2 * 7 + 0.5f, 5 - 8 + 2 * 9 + 0.5f };
    float out[4];
    layer *l = layer_conv(1, 3, 3, 1, 2, 1, 0);
    EXPECT(l && l->OH == 2 && l->OW == 2 && l->n_params == 5, "conv 2x2 geometry");
    if (l && layer_run(l, p, out, x, 1) == 0)
        for (int i = 0; i < 4; i++)
            EXPECT(out[i] == want1[i], "s1p0 out[%d] = %g, want %g", i, out[i], want1[i]);
    layer_free(l);

    l = layer_conv(1, 3, 3, 1, 2, 2, 1);
    EXPECT(l && l->OH == 2 && l->OW == 2, "conv stride 2 pad 1 geometry");
    if (l && layer_run(l, p, out, x, 1) == 0)
        for (int i = 0; i < 4; i++)
            EXPECT(out[i] == want2[i], "s2p1 out[%d] = %g, want %g", i, out[i], want2[i]);
    layer_free(l);
}

static void test_pool_by_hand(void)
{
    const float x[16] = { 1,  5,  2,  0,
                          3, -1,  4,  4,
                          0,  0, -2, -3,
                          7,  0, -5, -1 };
    const float dy[4] = { 1, 2, 3, 4 };
    float out[4], din[16];

    layer *l = layer_maxpool(1, 4, 4, 2);
    EXPECT(l && l->OH == 2 && l->OW == 2 && l->out_dim == 4, "maxpool geometry");
    if (l) {
        const float want[4] = { 5, 4, 7, -1 };
        /* the tie 4, 4 in the top-right window routes to the first (row 1, col 2) */
        const float wdin[16] = { 0, 1, 0, 0,
                                 0, 0, 2, 0,
                                 0, 0, 0, 0,
                                 3, 0, 0, 4 };
        layer_run(l, NULL, out, x, 1);
        for (int i = 0; i < 4; i++)
            EXPECT(out[i] == want[i], "maxpool out[%d] = %g, want %g", i, out[i], want[i]);
        layer_back(l, NULL, NULL, din, dy, x, out, 1);
        for (int i = 0; i < 16; i++)
            EXPECT(din[i] == wdin[i], "maxpool din[%d] = %g, want %g", i, din[i], wdin[i]);
    }
    layer_free(l);

    l = layer_avgpool(1, 4, 4, 2);
    EXPECT(l && l->OH == 2 && l->OW == 2, "avgpool geometry");
    if (l) {
        const float want[4] = { 8 / 4.0f, 10 / 4.0f, 7 / 4.0f, -11 / 4.0f };
        layer_run(l, NULL, out, x, 1);
        for (int i = 0; i < 4; i++)
            EXPECT(out[i] == want[i], "avgpool out[%d] = %g, want %g", i, out[i], want[i]);
        layer_back(l, NULL, NULL, din, dy, x, out, 1);
        for (int i = 0; i < 16; i++) {
            float w = dy[(i / 8) * 2 + (i % 4) / 2] / 4.0f;
            EXPECT(din[i] == w, "avgpool din[%d] = %g, want %g", i, din[i], w);
        }
    }
    layer_free(l);

    /* all-equal window: the first element gets the gradient */
    const float flat[4] = { 3, 3, 3, 3 };
    l = layer_maxpool(1, 2, 2, 2);
    if (l) {
        float o, d = 1.5f, dx[4];
        layer_run(l, NULL, &o, flat, 1);
        layer_back(l, NULL, NULL, dx, &d, flat, &o, 1);
        EXPECT(o == 3 && dx[0] == 1.5f && dx[1] == 0 && dx[2] == 0 && dx[3] == 0,
               "maxpool all-tie: out %g din %g %g %g %g", o, dx[0], dx[1], dx[2], dx[3]);
    }
    layer_free(l);

    /* floor: 5x5 with k = 2 -> 2x2, the last row and column get no gradient */
    float x5[25], d5[25];
    for (int i = 0; i < 25; i++) x5[i] = (float)i;
    l = layer_avgpool(1, 5, 5, 2);
    EXPECT(l && l->OH == 2 && l->OW == 2 && l->in_dim == 25, "avgpool floor geometry");
    if (l) {
        layer_run(l, NULL, out, x5, 1);
        EXPECT(out[0] == 3 && out[1] == 5 && out[2] == 13 && out[3] == 15,
               "avgpool 5x5: %g %g %g %g", out[0], out[1], out[2], out[3]);
        layer_back(l, NULL, NULL, d5, dy, x5, out, 1);
        for (int i = 0; i < 5; i++)
            EXPECT(d5[4 * 5 + i] == 0 && d5[i * 5 + 4] == 0, "avgpool floor din");
    }
    layer_free(l);

    /* global average pooling of two 2x2 channels */
    const float xg[8] = { 1, 2, 3, 4, -1, -1, 0, 6 };
    l = layer_gap(2, 2, 2);
    EXPECT(l && l->in_dim == 8 && l->out_dim == 2, "gap geometry");
    if (l) {
        float og[2], dg[2] = { 4, -8 }, dxg[8];
        layer_run(l, NULL, og, xg, 1);
        EXPECT(og[0] == 2.5f && og[1] == 1.0f, "gap out %g %g", og[0], og[1]);
        layer_back(l, NULL, NULL, dxg, dg, xg, og, 1);
        for (int i = 0; i < 8; i++)
            EXPECT(dxg[i] == (i < 4 ? 1.0f : -2.0f), "gap din[%d] = %g", i, dxg[i]);
    }
    layer_free(l);
}

/* ---- conv against naive direct loops ------------------------------------ */

typedef struct { int B, C, H, W, OC, k, s, pad; } conv_shape;

/* y[B, OC, OH, OW], dx[B, C, H, W], dw[OC*C*k*k + OC] by direct loops (double) */
static void naive_conv(const conv_shape *c, int OH, int OW, const float *p,
                       const float *x, const float *dy, double *y, double *dx,
                       double *dw)
{
    const int R = c->C * c->k * c->k;
    const float *bias = p + (size_t)c->OC * R;
    memset(dx, 0, sizeof(double) * (size_t)c->B * c->C * c->H * c->W);
    memset(dw, 0, sizeof(double) * ((size_t)c->OC * R + c->OC));
    for (int b = 0; b < c->B; b++)
        for (int o = 0; o < c->OC; o++)
            for (int oh = 0; oh < OH; oh++)
                for (int ow = 0; ow < OW; ow++) {
                    size_t yi = (((size_t)b * c->OC + o) * OH + oh) * OW + ow;
                    double acc = bias[o];
                    dw[(size_t)c->OC * R + o] += dy[yi];
                    for (int ci = 0; ci < c->C; ci++)
                        for (int i = 0; i < c->k; i++)
                            for (int j = 0; j < c->k; j++) {
                                int ih = oh * c->s - c->pad + i, iw = ow * c->s - c->pad + j;
                                if (ih < 0 || ih >= c->H || iw < 0 || iw >= c->W) continue;
                                size_t xi = (((size_t)b * c->C + ci) * c->H + ih) * c->W + iw;
                                size_t wi = (((size_t)o * c->C + ci) * c->k + i) * c->k + j;
                                acc += (double)p[wi] * x[xi];
                                dx[xi] += (double)p[wi] * dy[yi];
                                dw[wi] += (double)x[xi] * dy[yi];
                            }
                    y[yi] = acc;
                }
}

static void test_conv_vs_naive(const conv_shape *c, int expect_chunks)
{
    layer *l = conv_on_path(c->C, c->H, c->W, c->OC, c->k, c->s, c->pad);
    EXPECT(l != NULL, "layer_conv(%d,%d,%d,%d,%d,%d,%d)", c->C, c->H, c->W, c->OC,
           c->k, c->s, c->pad);
    if (!l) return;
    const int OH = (c->H + 2 * c->pad - c->k) / c->s + 1;
    const int OW = (c->W + 2 * c->pad - c->k) / c->s + 1;
    EXPECT(l->OH == OH && l->OW == OW && l->in_dim == c->C * c->H * c->W &&
           l->out_dim == c->OC * OH * OW, "conv geometry");
    const size_t nx = (size_t)c->B * l->in_dim, ny = (size_t)c->B * l->out_dim;
    const size_t np = l->n_params;
    const size_t P = (size_t)OH * OW, R = (size_t)c->C * c->k * c->k;
    if (expect_chunks)   /* the workspace holds fewer than B samples */
        EXPECT(l->ops->ws_floats(l, c->B) < (size_t)c->B * P * (R + c->OC),
               "shape should be processed in several chunks");
    float *p = malloc(sizeof(float) * np), *x = malloc(sizeof(float) * nx);
    float *y = malloc(sizeof(float) * ny), *dy = malloc(sizeof(float) * ny);
    float *dx = malloc(sizeof(float) * nx), *g = calloc(np, sizeof(float));
    double *ry = malloc(sizeof(double) * ny), *rdx = malloc(sizeof(double) * nx);
    double *rg = malloc(sizeof(double) * np);
    EXPECT(p && x && y && dy && dx && g && ry && rdx && rg, "out of memory");
    if (p && x && y && dy && dx && g && ry && rdx && rg) {
        l->ops->init(l, p, 7, 3);
        fill_uniform(x, nx, 7, 4);
        fill_uniform(dy, ny, 7, 5);
        layer_run(l, p, y, x, c->B);
        layer_back(l, p, g, dx, dy, x, y, c->B);
        naive_conv(c, OH, OW, p, x, dy, ry, rdx, rg);
        double ey = rel_err(y, ry, ny), ex = rel_err(dx, rdx, nx), eg = rel_err(g, rg, np);
        printf("conv %s B%d C%d %dx%d OC%d k%d s%d p%d: out %.2e din %.2e dparam %.2e\n",
               l->dnnl ? "onednn" : "im2col", c->B, c->C, c->H, c->W, c->OC, c->k, c->s, c->pad, ey, ex, eg);
        EXPECT(ey < REF_TOL, "forward vs naive: %g", ey);
        EXPECT(ex < REF_TOL, "din vs naive: %g", ex);
        EXPECT(eg < REF_TOL, "dW, db vs naive: %g", eg);
    }
    free(p); free(x); free(y); free(dy); free(dx); free(g);
    free(ry); free(rdx); free(rg);
    layer_free(l);
}

/* ---- frozen conv --------------------------------------------------------- */

static void test_frozen_conv(void)
{
    const int B = 2;
    layer *l = conv_on_path(2, 5, 5, 3, 3, 1, 1);
    EXPECT(l != NULL, "layer_conv");
    if (!l) return;
    const size_t nx = (size_t)B * l->in_dim, ny = (size_t)B * l->out_dim;
    float *p = malloc(sizeof(float) * l->n_params), *g = malloc(sizeof(float) * l->n_params);
    float *x = malloc(sizeof(float) * nx), *y = malloc(sizeof(float) * ny);
    float *dy = malloc(sizeof(float) * ny);
    float *d1 = malloc(sizeof(float) * nx), *d2 = malloc(sizeof(float) * nx);
    if (p && g && x && y && dy && d1 && d2) {
        l->ops->init(l, p, 11, 0);
        fill_uniform(x, nx, 11, 1);
        fill_uniform(dy, ny, 11, 2);
        for (size_t i = 0; i < l->n_params; i++) g[i] = 0.0f;
        layer_run(l, p, y, x, B);
        layer_back(l, p, g, d1, dy, x, y, B);          /* trainable: reference din */
        for (size_t i = 0; i < l->n_params; i++) g[i] = 0.0f;
        l->frozen = 1;
        layer_back(l, p, g, d2, dy, x, y, B);
        layer_back(l, p, g, NULL, dy, x, y, B);
        int zero = 1;
        for (size_t i = 0; i < l->n_params; i++) zero &= g[i] == 0.0f;
        EXPECT(zero, "frozen conv accumulated a parameter gradient");
        EXPECT(memcmp(d1, d2, sizeof(float) * nx) == 0, "frozen conv changed din");
    } else {
        EXPECT(0, "out of memory");
    }
    free(p); free(g); free(x); free(y); free(dy); free(d1); free(d2);
    layer_free(l);

    /* a frozen conv tail: gradcheck returns INFINITY if it gets any gradient */
    model *m = model_new();
    int rc = m ? model_add(m, layer_dense(6, 2 * 4 * 4)) : -1;
    rc |= m ? model_add(m, conv_on_path(2, 4, 4, 3, 3, 2, 1)) : -1;
    EXPECT(rc == 0 && model_finalize(m) == 0, "frozen model");
    if (rc == 0 && m->params) {
        model_init(m, 12, 0);
        model_freeze_from(m, 1);
        double w = run_gradcheck(m, 3, 12);
        printf("gradcheck dense -> frozen conv: %.2e\n", w);
        EXPECT(w >= 0 && w < GC_TOL, "frozen conv tail: worst %g", w);
    }
    model_free(m);
}

/* ---- gradient checks ----------------------------------------------------- */

/* dense(6 -> C*H*W) -> conv -> dense(-> 3): checks dW, db and (through the
 * first dense) din of the conv */
static void gradcheck_conv(int C, int H, int W, int OC, int k, int s, int pad)
{
    model *m = model_new();
    layer *cv = conv_on_path(C, H, W, OC, k, s, pad);
    int out = cv ? cv->out_dim : 1;
    int rc = m ? model_add(m, layer_dense(6, C * H * W)) : -1;
    rc |= m ? model_add(m, cv) : (layer_free(cv), -1);
    rc |= m ? model_add(m, layer_dense(out, 3)) : -1;
    EXPECT(rc == 0 && model_finalize(m) == 0, "conv gradcheck model");
    if (rc == 0 && m->params) {
        model_init(m, 21, 0);
        double w = run_gradcheck(m, 3, 21);
        printf("gradcheck conv C%d %dx%d OC%d k%d s%d p%d: %.2e\n", C, H, W, OC, k, s, pad, w);
        EXPECT(w >= 0 && w < GC_TOL, "conv C%d k%d s%d p%d: worst %g", C, k, s, pad, w);
    }
    model_free(m);
}

/* conv(C -> C, 3x3, pad 1) -> pool -> dense(-> 3), pool avg or gap */
static void gradcheck_after_conv(const char *name, layer *pool, int C, int H, int W)
{
    model *m = model_new();
    int out = pool ? pool->out_dim : 1;
    int rc = m ? model_add(m, conv_on_path(C, H, W, C, 3, 1, 1)) : -1;
    rc |= m ? model_add(m, pool) : (layer_free(pool), -1);
    rc |= m ? model_add(m, layer_dense(out, 3)) : -1;
    EXPECT(rc == 0 && model_finalize(m) == 0, "%s gradcheck model", name);
    if (rc == 0 && m->params) {
        model_init(m, 31, 0);
        double w = run_gradcheck(m, 3, 31);
        printf("gradcheck conv -> %s (%d,%d,%d): %.2e\n", name, C, H, W, w);
        EXPECT(w >= 0 && w < GC_TOL, "%s: worst %g", name, w);
    }
    model_free(m);
}

/* How far the last forward on w is from a kink of the piecewise-linear model:
 * the smallest |ReLU input| and the smallest lead of a max-pool window's
 * maximum over its runner-up (except windows whose maximum is exactly 0:
 * dead units behind a ReLU, covered by the ReLU margin). *live receives the
 * smallest fraction of positive inputs over the ReLU layers. */
static double kink_margin(const model *m, const model_ws *w, int B, double *live)
{
    double margin = INFINITY;
    *live = 1.0;
    for (int li = 0; li < m->n_layers; li++) {
        const layer *l = m->layers[li];
        const float *in = w->act[li];
        if (l->kind == LAYER_RELU) {
            size_t n = (size_t)B * l->in_dim, pos = 0;
            for (size_t i = 0; i < n; i++) {
                margin = fmin(margin, fabs(in[i]));
                pos += in[i] > 0.0f;
            }
            *live = fmin(*live, (double)pos / (double)n);
        } else if (l->kind == LAYER_MAXPOOL) {
            for (size_t pl = 0; pl < (size_t)B * l->C; pl++)
                for (int oh = 0; oh < l->OH; oh++)
                    for (int ow = 0; ow < l->OW; ow++) {
                        double a = -INFINITY, b = -INFINITY;
                        for (int i = 0; i < l->k; i++)
                            for (int j = 0; j < l->k; j++) {
                                double v = in[(pl * l->H + (size_t)oh * l->k + i) * l->W
                                              + (size_t)ow * l->k + j];
                                if (v > a) { b = a; a = v; } else if (v > b) b = v;
                            }
                        if (a != 0.0) margin = fmin(margin, a - b);
                    }
        }
    }
    return margin;
}

/* dense(6 -> C*H*W) -> maxpool(k) -> dense(-> 3). The first dense gets small
 * weights and well-separated biases (a permutation of 0.2 steps), so every
 * window's maximum leads by far more than a finite-difference step moves it
 * (certified with kink_margin below). */
static void gradcheck_maxpool(int C, int H, int W, int k)
{
    const int B = 3;
    model *m = model_new();
    layer *mp = layer_maxpool(C, H, W, k);
    int out = mp ? mp->out_dim : 1, n = C * H * W;
    int rc = m ? model_add(m, layer_dense(6, n)) : -1;
    rc |= m ? model_add(m, mp) : (layer_free(mp), -1);
    rc |= m ? model_add(m, layer_dense(out, 3)) : -1;
    int *perm = malloc(sizeof(int) * n);
    float *x = malloc(sizeof(float) * 6 * B);
    model_ws *w = rc == 0 && model_finalize(m) == 0 ? model_ws_new(m, B) : NULL;
    EXPECT(perm && x && w, "maxpool gradcheck model");
    if (perm && x && w) {
        model_init(m, 41, 0);
        float *Wd = m->params, *bd = Wd + (size_t)6 * n;
        for (int i = 0; i < 6 * n; i++) Wd[i] *= 0.02f;
        rng_permutation(perm, n, 41, 9);
        for (int i = 0; i < n; i++) bd[i] = 0.2f * (float)(perm[i] - n / 2);
        double live;
        fill_uniform(x, (size_t)6 * B, 41, 100);      /* the input run_gradcheck uses */
        model_forward(m, w, x, B);
        double margin = kink_margin(m, w, B, &live);
        EXPECT(margin >= 2.0 * GC_EPS, "maxpool kink margin %g", margin);
        double wst = run_gradcheck(m, B, 41);
        printf("gradcheck dense -> maxpool (%d,%d,%d) k%d (kink margin %.3f): %.2e\n",
               C, H, W, k, margin, wst);
        EXPECT(wst >= 0 && wst < GC_TOL, "maxpool k%d: worst %g", k, wst);
    }
    free(perm); free(x);
    model_ws_free(w);
    model_free(m);
}

/* model_cnn (conv, ReLU, pooling, GAP, [dense, ReLU,] dense) on 1x5x4 images.
 * Finite differences are exact for a piecewise-linear model unless a step
 * crosses a kink, so the test takes the first seed (for parameters and
 * input) whose forward keeps every ReLU input and max-pool lead at least
 * 2 eps from its kink, with at least a quarter of each ReLU's inputs alive
 * (else the check would be vacuous). The search runs the ReLUs unfused
 * (reference mode), so that their inputs are written for kink_margin (a
 * oneDNN convolution applies its ReLU itself otherwise: model.h); the
 * gradcheck runs the fused model, whose bits are the same. */
static void relus_ref(model *m, int on)
{
    for (int i = 0; i < m->n_layers; i++)
        if (m->layers[i]->kind == LAYER_RELU) m->layers[i]->ref = on;
}

static void gradcheck_cnn(int pool_max, int fc)
{
    const int ch[2] = { 2, 3 }, B = 2;
    model *m = model_on_path(model_cnn(1, 5, 4, ch, 2, 3, 2, pool_max, fc, 3));
    model_ws *w = m ? model_ws_new(m, B) : NULL;
    float *x = m ? malloc(sizeof(float) * (size_t)B * m->in_dim) : NULL;
    EXPECT(m && w && x, "model_cnn");
    uint64_t seed = 0;
    double margin = 0.0, live = 0.0;
    if (m) relus_ref(m, 1);
    for (uint64_t s = 1; m && w && x && s <= 5000 && !seed; s++) {
        model_init(m, s, 0);
        fill_uniform(x, (size_t)B * m->in_dim, s, 100);
        model_forward(m, w, x, B);
        margin = kink_margin(m, w, B, &live);
        if (margin >= 2.0 * GC_EPS && live >= 0.25) seed = s;
    }
    if (m) relus_ref(m, 0);
    EXPECT(!m || seed, "no seed keeps model_cnn away from its kinks");
    if (seed) {
        model_init(m, seed, 0);
        double wst = run_gradcheck(m, B, seed);
        printf("gradcheck model_cnn pool_max %d fc %d (%zu params, seed %llu, "
               "kink margin %.3f, live %.2f): %.2e\n", pool_max, fc, m->n_params,
               (unsigned long long)seed, margin, live, wst);
        EXPECT(wst >= 0 && wst < GC_TOL, "model_cnn pool_max %d fc %d: worst %g",
               pool_max, fc, wst);
    }
    free(x);
    model_ws_free(w);
    model_free(m);
}

/* ---- model_cnn structure and argument checks ----------------------------- */

static void test_cnn_structure(void)
{
    const int ch[3] = { 4, 8, 6 };
    /* 8x8: conv relu pool (4x4), conv relu pool (2x2), conv relu pool (1x1) */
    model *m = model_cnn(3, 8, 8, ch, 3, 3, 2, 1, 10, 5);
    const layer_kind want[] = { LAYER_CONV, LAYER_RELU, LAYER_MAXPOOL,
                                LAYER_CONV, LAYER_RELU, LAYER_MAXPOOL,
                                LAYER_CONV, LAYER_RELU, LAYER_MAXPOOL,
                                LAYER_GAP, LAYER_DENSE, LAYER_RELU, LAYER_DENSE };
    EXPECT(m && m->n_layers == 13, "cnn layer count %d", m ? m->n_layers : -1);
    if (m && m->n_layers == 13) {
        for (int i = 0; i < 13; i++)
            EXPECT(m->layers[i]->kind == want[i], "layer %d kind %d", i, m->layers[i]->kind);
        EXPECT(m->in_dim == 3 * 8 * 8 && m->feat_dim == 10 && m->n_classes == 5,
               "cnn dims %d %d %d", m->in_dim, m->feat_dim, m->n_classes);
        EXPECT(m->layers[8]->OH == 1 && m->layers[9]->in_dim == 6, "cnn pooled dims");
        size_t np = (4 * 3 * 9 + 4) + (8 * 4 * 9 + 8) + (6 * 8 * 9 + 6) + (6 * 10 + 10)
                    + (10 * 5 + 5);
        EXPECT(m->n_params == np, "cnn params %zu, want %zu", m->n_params, np);
    }
    model_free(m);

    /* 4x4 with avg pooling: pooled twice (2x2, 1x1), then 1 < 2 skips it */
    m = model_cnn(1, 4, 4, ch, 3, 3, 2, 0, 0, 2);
    EXPECT(m && m->n_layers == 10, "cnn (skip pool) layer count %d", m ? m->n_layers : -1);
    if (m && m->n_layers == 10) {
        EXPECT(m->layers[2]->kind == LAYER_AVGPOOL && m->layers[5]->kind == LAYER_AVGPOOL,
               "avg pooling");
        EXPECT(m->layers[6]->kind == LAYER_CONV && m->layers[6]->H == 1 &&
               m->layers[7]->kind == LAYER_RELU && m->layers[8]->kind == LAYER_GAP,
               "third block unpooled");
        EXPECT(m->feat_dim == 6 && m->n_classes == 2, "no fc: features are the GAP");
    }
    model_free(m);

    /* no conv blocks: GAP of the input, then the head */
    m = model_cnn(3, 4, 4, NULL, 0, 3, 2, 1, 0, 2);
    EXPECT(m && m->n_layers == 2 && m->feat_dim == 3, "cnn without conv");
    model_free(m);

    const int bad[2] = { 4, 0 };
    EXPECT(model_cnn(0, 8, 8, ch, 1, 3, 2, 1, 0, 2) == NULL, "C = 0");
    EXPECT(model_cnn(3, 8, 8, ch, 1, 0, 2, 1, 0, 2) == NULL, "kernel = 0");
    EXPECT(model_cnn(3, 8, 8, ch, 1, 3, -1, 1, 0, 2) == NULL, "pool < 0");
    EXPECT(model_cnn(3, 8, 8, ch, 1, 3, 2, 1, -1, 2) == NULL, "fc < 0");
    EXPECT(model_cnn(3, 8, 8, ch, 1, 3, 2, 1, 0, 0) == NULL, "n_classes = 0");
    EXPECT(model_cnn(3, 8, 8, bad, 2, 3, 2, 1, 0, 2) == NULL, "channel 0");
    EXPECT(model_cnn(3, 8, 8, NULL, 2, 3, 2, 1, 0, 2) == NULL, "channels NULL");

    EXPECT(layer_conv(1, 3, 3, 1, 4, 1, 0) == NULL, "kernel larger than image");
    EXPECT(layer_conv(1, 3, 3, 1, 3, 0, 0) == NULL, "stride 0");
    EXPECT(layer_conv(1, 3, 3, 1, 3, 1, -1) == NULL, "pad < 0");
    EXPECT(layer_conv(0, 3, 3, 1, 3, 1, 1) == NULL, "C = 0");
    EXPECT(layer_conv(1 << 16, 1 << 8, 1 << 8, 1, 1, 1, 0) == NULL, "in_dim overflow");
    EXPECT(layer_maxpool(1, 3, 3, 4) == NULL, "pool window larger than image");
    EXPECT(layer_avgpool(1, 3, 3, 0) == NULL, "pool window 0");
    EXPECT(layer_gap(1, 0, 3) == NULL, "gap H = 0");
}

/* ---- the oneDNN path's determinism --------------------------------------- */

/* forward + backward (din and the gradient added to a zeroed g) of conv l
 * at batch B on fixed inputs; one buffer [out | din | g] */
static float *conv_bits(layer *l, int B, size_t *n)
{
    const size_t no = (size_t)B * l->out_dim, ni = (size_t)B * l->in_dim;
    *n = no + ni + l->n_params;
    float *r = calloc(*n, sizeof(float)), *p = malloc(sizeof(float) * l->n_params);
    float *x = malloc(sizeof(float) * ni), *dy = malloc(sizeof(float) * no);
    if (r && p && x && dy) {
        l->ops->init(l, p, 3, 1);
        fill_uniform(x, ni, 3, 2);
        fill_uniform(dy, no, 3, 3);
        layer_run(l, p, r, x, B);
        layer_back(l, p, r + no + ni, r + no, dy, x, r, B);
    } else {
        free(r);
        r = NULL;
    }
    free(p); free(x); free(dy);
    return r;
}

/* the bench CNN's two convolutions at a micro-shard's batch (16): the same
 * bits from a fresh layer, after other batch sizes evicted the plan, and
 * with more OpenMP threads allowed; the caller's OpenMP setting restored */
static void test_dnnl_determinism(void)
{
    const int geo[2][4] = { { 3, 28, 28, 16 }, { 16, 14, 14, 32 } };
    const int others[6] = { 256, 7, 1, 33, 128, 2 };
    for (int t = 0; t < 2; t++) {
        const int *c = geo[t];
        layer *a = layer_conv(c[0], c[1], c[2], c[3], 3, 1, 1);
        layer *b = layer_conv(c[0], c[1], c[2], c[3], 3, 1, 1);
        EXPECT(a && b && a->dnnl && b->dnnl, "oneDNN conv layers");
        if (!a || !b || !a->dnnl || !b->dnnl) { layer_free(a); layer_free(b); continue; }
        size_t n, n2;
        float *r0 = conv_bits(a, 16, &n), *r1 = NULL, *r2 = NULL, *r3 = NULL;
        for (int i = 0; i < 6; i++) {          /* more sizes than plans kept */
            size_t m;
            free(conv_bits(b, others[i], &m));
        }
        r1 = conv_bits(b, 16, &n2);           /* remade after eviction */
        r2 = conv_bits(a, 16, &n2);           /* same plan, second run */
#ifdef DETT_WITH_DNNL
        int saved = omp_get_max_threads();
        omp_set_num_threads(4);
        layer *d = layer_conv(c[0], c[1], c[2], c[3], 3, 1, 1);
        r3 = d ? conv_bits(d, 16, &n2) : NULL;
        EXPECT(omp_get_max_threads() == 4, "the caller's OpenMP threads not restored: %d",
               omp_get_max_threads());
        omp_set_num_threads(saved);
        layer_free(d);
#endif
        EXPECT(r0 && r1 && r2, "out of memory");
        if (r0 && r1 && r2) {
            EXPECT(memcmp(r0, r1, sizeof(float) * n) == 0,
                   "conv %d: a fresh layer after other batch sizes gives other bits", t);
            EXPECT(memcmp(r0, r2, sizeof(float) * n) == 0, "conv %d: rerun gives other bits", t);
        }
#ifdef DETT_WITH_DNNL
        EXPECT(r0 && r3 && memcmp(r0, r3, sizeof(float) * n) == 0,
               "conv %d: other bits with 4 OpenMP threads allowed", t);
#endif
        printf("onednn conv C%d %dx%d OC%d B16: same bits after other batch sizes, rerun"
#ifdef DETT_WITH_DNNL
               " and 4 OpenMP threads allowed"
#endif
               "\n", c[0], c[1], c[2], c[3]);
        free(r0); free(r1); free(r2); free(r3);
        layer_free(a);
        layer_free(b);
    }
}

/* a oneDNN convolution applying the ReLU after it as a post-op (relu_out)
 * against the convolution then the ReLU layer: the same bits, with NaN
 * inputs (the ReLU makes 0 of them) and zero rows with a -0 bias (the
 * ReLU makes +0 of a -0, should the convolution give one); at two batch
 * sizes (two plans) */
static void test_dnnl_relu_post_op(void)
{
    layer *c = layer_conv(3, 9, 9, 16, 3, 1, 1), *r = c ? layer_relu(c->out_dim) : NULL;
    EXPECT(c && r && c->dnnl, "oneDNN conv for the post-op check");
    if (!c || !r || !c->dnnl) { layer_free(c); layer_free(r); return; }
    float *p = malloc(sizeof(float) * c->n_params);
    const int Bs[2] = { 16, 5 };
    int ok = p != NULL, zeros = 0, nans = 0, negs = 0;
    if (ok) {
        c->ops->init(c, p, 7, 1);
        for (int o = 0; o < c->OC; o += 3) p[c->n_params - c->OC + o] = -0.0f;
    }
    for (int t = 0; ok && t < 2; t++) {
        const int B = Bs[t];
        const size_t ni = (size_t)B * c->in_dim, no = (size_t)B * c->out_dim;
        float *x = malloc(sizeof(float) * ni), *y = malloc(sizeof(float) * no);
        float *want = malloc(sizeof(float) * no), *got = malloc(sizeof(float) * no);
        ok = x && y && want && got;
        if (ok) {
            fill_uniform(x, ni, 7, 2);
            memset(x + c->in_dim, 0, sizeof(float) * c->in_dim);   /* row 1: zeros */
            for (size_t i = 2 * (size_t)c->in_dim; i < ni; i += 97) x[i] = NAN;
            c->relu_out = 0;
            c->ops->forward(c, p, y, x, B, NULL);
            r->ops->forward(r, NULL, want, y, B, NULL);
            c->relu_out = 1;
            memset(got, 0x7f, sizeof(float) * no);
            c->ops->forward(c, p, got, x, B, NULL);
            c->relu_out = 0;
            EXPECT(memcmp(got, want, sizeof(float) * no) == 0,
                   "conv + ReLU post-op B=%d: other bits than conv then ReLU", B);
            for (size_t i = 0; i < no; i++) {
                zeros += y[i] == 0.0f && signbit(y[i]);
                nans += isnan(y[i]);
                negs += y[i] < 0.0f;
            }
        }
        free(x); free(y); free(want); free(got);
    }
    EXPECT(ok, "out of memory");
    EXPECT(negs > 0 && nans > 0, "post-op check: the conv gave %d negative and %d NaN outputs "
           "(want some of each)", negs, nans);
    printf("onednn conv + ReLU post-op: the bits of conv then ReLU (%d negative, %d -0 and %d "
           "NaN before the ReLU)\n", negs, zeros, nans);
    free(p);
    layer_free(c);
    layer_free(r);
}

/* a CNN with its convolutions on the path under test, run fused (each
 * convolution applies its ReLU, each ReLU + max pooling backward in one
 * pass: model.h) and unfused (its ReLU layers in reference mode, which
 * turns both fusions off): the same logits, features, parameter and input
 * gradients, bit for bit */
static void test_fused_cnn(void)
{
    const int ch[2] = { 16, 32 }, B = 16;
    model *a = model_on_path(model_cnn(3, 14, 14, ch, 2, 3, 2, 1, 8, 3));
    model *b = model_on_path(model_cnn(3, 14, 14, ch, 2, 3, 2, 1, 8, 3));
    EXPECT(a && b, "fused CNN: models");
    if (!a || !b) { model_free(a); model_free(b); return; }
    for (int i = 0; i < b->n_layers; i++)
        if (b->layers[i]->kind == LAYER_RELU) b->layers[i]->ref = 1;
    model_init(a, 11, 0);
    memcpy(b->params, a->params, sizeof(float) * a->n_params);
    const size_t ni = (size_t)B * a->in_dim, nz = (size_t)B * a->n_classes;
    float *x = malloc(sizeof(float) * ni), *dz = malloc(sizeof(float) * nz);
    float *g[2] = { calloc(a->n_params, sizeof(float)), calloc(a->n_params, sizeof(float)) };
    float *dx[2] = { malloc(sizeof(float) * ni), malloc(sizeof(float) * ni) };
    const float *z[2] = { NULL, NULL }, *f[2] = { NULL, NULL };
    model_ws *w[2] = { model_ws_new(a, B), model_ws_new(b, B) };
    model *ms[2] = { a, b };
    int ok = x && dz && g[0] && g[1] && dx[0] && dx[1] && w[0] && w[1];
    if (ok) {
        fill_uniform(x, ni, 11, 2);
        fill_uniform(dz, nz, 11, 3);
        for (int k = 0; k < 2; k++) {
            z[k] = model_forward(ms[k], w[k], x, B);
            f[k] = model_features(ms[k], w[k]);
            model_backward(ms[k], w[k], g[k], dz, NULL, B, dx[k]);
        }
        int fused = 0;
        for (int i = 0; i < a->n_layers; i++) fused += a->layers[i]->relu_out;
        EXPECT(fused == 2, "fused CNN: %d convolutions apply their ReLU (want 2)", fused);
        EXPECT(memcmp(z[0], z[1], sizeof(float) * nz) == 0, "fused CNN: logits differ");
        EXPECT(memcmp(f[0], f[1], sizeof(float) * (size_t)B * a->feat_dim) == 0,
               "fused CNN: features differ");
        EXPECT(memcmp(g[0], g[1], sizeof(float) * a->n_params) == 0,
               "fused CNN: parameter gradients differ");
        EXPECT(memcmp(dx[0], dx[1], sizeof(float) * ni) == 0,
               "fused CNN: input gradients differ");
        printf("%s CNN, fused and unfused ReLUs: the same bits\n", use_dnnl ? "onednn" : "im2col");
    }
    EXPECT(ok, "fused CNN: out of memory");
    free(x); free(dz); free(g[0]); free(g[1]); free(dx[0]); free(dx[1]);
    model_ws_free(w[0]); model_ws_free(w[1]);
    model_free(a); model_free(b);
}

/* the conv checks on the current path */
static void conv_checks(void)
{
    const conv_shape shapes[] = {
        { 2, 1, 5, 5, 2, 1, 1, 0 }, { 3, 3, 7, 6, 4, 3, 1, 1 },
        { 2, 3, 9, 9, 5, 5, 2, 2 }, { 2, 2, 8, 7, 3, 3, 2, 0 },
        { 1, 3, 6, 6, 2, 5, 1, 0 }, { 2, 2, 4, 4, 3, 1, 1, 1 },
        { 2, 3, 5, 5, 2, 3, 2, 1 }, { 16, 16, 14, 14, 32, 3, 1, 1 },
    };
    for (size_t i = 0; i < sizeof shapes / sizeof shapes[0]; i++)
        test_conv_vs_naive(&shapes[i], 0);
    const conv_shape big = { 8, 3, 64, 64, 8, 5, 1, 2 };   /* several chunks */
    test_conv_vs_naive(&big, 1);

    test_frozen_conv();
    test_fused_cnn();

    gradcheck_conv(1, 5, 5, 2, 1, 1, 0);
    gradcheck_conv(3, 5, 4, 2, 1, 2, 1);
    gradcheck_conv(1, 6, 6, 3, 3, 1, 1);
    gradcheck_conv(3, 5, 5, 2, 3, 1, 0);
    gradcheck_conv(3, 7, 6, 2, 3, 2, 1);
    gradcheck_conv(1, 7, 7, 2, 5, 1, 2);
    gradcheck_conv(3, 6, 7, 2, 5, 2, 0);
    gradcheck_after_conv("avgpool k2", layer_avgpool(2, 5, 4, 2), 2, 5, 4);
    gradcheck_after_conv("avgpool k3", layer_avgpool(2, 7, 6, 3), 2, 7, 6);
    gradcheck_after_conv("gap", layer_gap(3, 4, 5), 3, 4, 5);
    gradcheck_cnn(1, 5);
    gradcheck_cnn(0, 5);
    gradcheck_cnn(1, 0);
    gradcheck_cnn(0, 0);
}

int main(void)
{
    test_conv_by_hand();
    test_pool_by_hand();

    const int paths = conv_dnnl_built() ? 2 : 1;
    for (use_dnnl = 0; use_dnnl < paths; use_dnnl++) {
        printf("-- convolutions on the %s path\n", use_dnnl ? "oneDNN" : "im2col");
        conv_checks();
    }
    use_dnnl = 0;
    if (paths == 2) {
        test_dnnl_determinism();
        test_dnnl_relu_post_op();
    } else {
        printf("built without oneDNN: im2col path only\n");
    }
    gradcheck_maxpool(2, 4, 4, 2);
    gradcheck_maxpool(1, 7, 5, 3);
    printf("worst gradcheck error over all models: %.2e (tolerance %.0e)\n",
           gc_worst_seen, GC_TOL);

    test_cnn_structure();
    return TEST_END();
}
