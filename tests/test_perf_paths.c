/* test_perf_paths.c - every fast path of kernels/ against its plain
 * reference loop (layer.h `ref`, optim `ref`), bit for bit:
 *  - ReLU forward/backward on lengths around the vector block, with NaN,
 *    +-0 and negatives;
 *  - convolution forward/backward (im2col/col2im over valid runs, bias sums
 *    side by side) over strides, paddings, kernels, odd sizes, several
 *    chunks, frozen and first-layer (no din) cases (the im2col path: a
 *    build with oneDNN runs its convolutions there otherwise, and
 *    tests/test_conv.c checks that path);
 *  - 2 x 2 max pooling with ties, NaN, -0 gradients, odd H and W;
 *  - SGD with momentum and weight decay on lengths around the block;
 *  - whole training steps (forward, cross-entropy, backward, SGD) of the
 *    MLP and CNN shapes of bench/bench_step.c, run 3 times in each mode. */
#include "check.h"
#include "cnn.h"
#include "layer.h"
#include "loss.h"
#include "model.h"
#include "optim.h"
#include "rng.h"
#include <math.h>
#include <stdlib.h>
#include <string.h>

/* x[n] ~ U(-1, 1) keyed by (seed, stream) */
static void fill(float *x, size_t n, uint64_t seed, uint64_t stream)
{
    for (size_t i = 0; i < n; i++) x[i] = 2.0f * rng_uniform(seed, stream, i) - 1.0f;
}

/* 1 if a and b hold the same bits */
static int same_bits(const float *a, const float *b, size_t n)
{
    return memcmp(a, b, sizeof(float) * n) == 0;
}

/* index of the first differing float, or n */
static size_t first_diff(const float *a, const float *b, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (memcmp(a + i, b + i, sizeof(float))) return i;
    return n;
}

/* a few special values among x: -0, +0, exact ties, and NaN if nan */
static void sprinkle(float *x, size_t n, int nan)
{
    for (size_t i = 0; i < n; i += 7) x[i] = -0.0f;
    for (size_t i = 3; i < n; i += 11) x[i] = 0.0f;
    for (size_t i = 5; i < n; i += 13) x[i] = x[i - 1];
    for (size_t i = 9; nan && i < n; i += 29) x[i] = NAN;
}

/* forward and backward of layer l in both modes on the same inputs; the
 * outputs, input gradients and parameter gradients must match bitwise.
 * first: din NULL (a first layer). */
static void compare_layer(const char *what, layer *l, int B, int first, uint64_t seed)
{
    const size_t ni = (size_t)B * l->in_dim, no = (size_t)B * l->out_dim;
    const size_t np = l->n_params ? l->n_params : 1;
    const size_t nw = l->ops->ws_floats(l, B) + 1;
    float *p = malloc(sizeof(float) * np), *in = malloc(sizeof(float) * ni);
    float *dout = malloc(sizeof(float) * no), *ws = malloc(sizeof(float) * nw);
    float *out[2], *din[2], *g[2];
    for (int r = 0; r < 2; r++) {
        out[r] = malloc(sizeof(float) * no);
        din[r] = malloc(sizeof(float) * ni);
        g[r] = malloc(sizeof(float) * np);
    }
    fill(p, np, seed, 1);
    fill(in, ni, seed, 2);
    fill(dout, no, seed, 3);
    const int nan = l->kind == LAYER_RELU || l->kind == LAYER_MAXPOOL;
    sprinkle(in, ni, nan);
    sprinkle(dout, no, nan);
    for (int r = 0; r < 2; r++) {
        l->ref = r;
        fill(g[r], np, seed, 4);       /* backward accumulates into g */
        memset(din[r], 0x7f, sizeof(float) * ni);
        l->ops->forward(l, p, out[r], in, B, ws);
        l->ops->backward(l, p, g[r], first ? NULL : din[r], dout, in, out[r], B, ws);
    }
    l->ref = 0;
    EXPECT(same_bits(out[0], out[1], no), "%s: forward differs at %zu", what,
           first_diff(out[0], out[1], no));
    if (!first)
        EXPECT(same_bits(din[0], din[1], ni), "%s: din differs at %zu", what,
               first_diff(din[0], din[1], ni));
    EXPECT(same_bits(g[0], g[1], np), "%s: gradient differs at %zu", what,
           first_diff(g[0], g[1], np));
    for (int r = 0; r < 2; r++) { free(out[r]); free(din[r]); free(g[r]); }
    free(p); free(in); free(dout); free(ws);
}

static void test_relu(void)
{
    for (int d = 1; d <= 37; d += 3) {
        layer *l = layer_relu(d);
        char what[64];
        snprintf(what, sizeof what, "relu d=%d", d);
        compare_layer(what, l, 3, 0, (uint64_t)d);
        layer_free(l);
    }
}

static void test_dense(void)
{
    const int shapes[][3] = { { 20, 64, 64 }, { 7, 13, 5 }, { 33, 9, 17 }, { 64, 2, 3 } };
    for (size_t i = 0; i < sizeof shapes / sizeof shapes[0]; i++) {
        layer *l = layer_dense(shapes[i][0], shapes[i][1]);
        char what[64];
        snprintf(what, sizeof what, "dense %dx%d", shapes[i][0], shapes[i][1]);
        compare_layer(what, l, shapes[i][2], 0, 10 + i);
        layer_free(l);
    }
}

static void test_conv(void)
{
    /* C, H, W, OC, k, stride, pad, B, first */
    const int cs[][9] = {
        { 3, 28, 28, 16, 3, 1, 1, 5, 1 },     /* the benchmark's first layer */
        { 16, 14, 14, 32, 3, 1, 1, 4, 0 },    /* and its second */
        { 2, 7, 9, 3, 3, 1, 1, 3, 0 },        /* odd sizes, OC not a multiple of 8 */
        { 3, 9, 8, 12, 3, 2, 1, 2, 0 },       /* stride 2 */
        { 2, 8, 7, 9, 5, 1, 2, 2, 0 },        /* 5 x 5, pad 2 */
        { 1, 6, 6, 8, 5, 1, 3, 2, 0 },        /* pad larger than needed: empty runs */
        { 4, 5, 6, 8, 1, 1, 0, 3, 0 },        /* 1 x 1 */
        { 2, 10, 11, 8, 4, 3, 2, 2, 0 },      /* even kernel, stride 3 */
        { 3, 3, 3, 2, 3, 1, 0, 2, 0 },        /* one output position */
        { 8, 32, 32, 16, 3, 1, 1, 40, 0 },    /* several chunks */
    };
    for (size_t i = 0; i < sizeof cs / sizeof cs[0]; i++) {
        const int *c = cs[i];
        layer *l = layer_conv(c[0], c[1], c[2], c[3], c[4], c[5], c[6]);
        EXPECT(l != NULL, "conv case %zu", i);
        if (!l) continue;
        layer_conv_set_dnnl(l, 0);      /* the im2col fast path (oneDNN: test_conv) */
        char what[96];
        snprintf(what, sizeof what, "conv C%d %dx%d OC%d k%d s%d p%d B%d", c[0], c[1],
                 c[2], c[3], c[4], c[5], c[6], c[7]);
        compare_layer(what, l, c[7], c[8], 20 + i);
        l->frozen = 1;
        snprintf(what, sizeof what, "frozen conv case %zu", i);
        compare_layer(what, l, c[7], 0, 40 + i);
        layer_free(l);
    }
}

static void test_maxpool(void)
{
    const int cs[][4] = { { 3, 8, 8, 2 }, { 2, 7, 9, 2 }, { 4, 28, 28, 2 }, { 1, 5, 4, 2 },
                          { 2, 9, 9, 3 } };
    for (size_t i = 0; i < sizeof cs / sizeof cs[0]; i++) {
        layer *l = layer_maxpool(cs[i][0], cs[i][1], cs[i][2], cs[i][3]);
        char what[64];
        snprintf(what, sizeof what, "maxpool C%d %dx%d k%d", cs[i][0], cs[i][1], cs[i][2],
                 cs[i][3]);
        compare_layer(what, l, 3, 0, 60 + i);
        layer_free(l);
    }
    /* ties: the first maximum in row-major order takes the gradient */
    layer *l = layer_maxpool(1, 2, 2, 2);
    const float in[4] = { 1.0f, 3.0f, 3.0f, 3.0f }, dout[1] = { 5.0f };
    float out[1], din[4];
    l->ops->forward(l, NULL, out, in, 1, NULL);
    l->ops->backward(l, NULL, NULL, din, dout, in, out, 1, NULL);
    EXPECT(out[0] == 3.0f && din[0] == 0.0f && din[1] == 5.0f && din[2] == 0.0f
           && din[3] == 0.0f, "tie: out %g din %g %g %g %g", out[0], din[0], din[1],
           din[2], din[3]);
    layer_free(l);
    /* the four-window (SSE) path: ties, NaN and zeros of both signs in each
     * window position, a -0 gradient; fast and reference bit for bit */
    const float nan = NAN;
    const float x4[2 * 10] = { 1, 3, nan, 1, 2, nan, -0.0f, 0.0f, 4, 4,
                               3, 3, 2, 3, nan, 1, 0.0f, -0.0f, 4, 5 };
    const float dy4[5] = { 5, -0.0f, 7, 9, -3 };
    float o4[2][5], d4[2][20];
    l = layer_maxpool(1, 2, 10, 2);
    for (int r = 0; r < 2; r++) {
        l->ref = r;
        l->ops->forward(l, NULL, o4[r], x4, 1, NULL);
        l->ops->backward(l, NULL, NULL, d4[r], dy4, x4, o4[r], 1, NULL);
    }
    EXPECT(same_bits(o4[0], o4[1], 5) && same_bits(d4[0], d4[1], 20),
           "maxpool four-window path: out %g %g %g %g, din[1] %g (reference %g %g %g %g, %g)",
           o4[0][0], o4[0][1], o4[0][2], o4[0][3], d4[0][1], o4[1][0], o4[1][1], o4[1][2],
           o4[1][3], d4[1][1]);
    layer_free(l);
}

/* the fused backward of a ReLU and the max pooling after it
 * (maxpool_relu_backward, which the model's backward walk runs) against the
 * two reference backwards one after the other, bit for bit, on plain rows
 * and on rows blocked by L (8, 16; the ReLU is elementwise, so any layout
 * is the same reference): inputs on a grid of quarters, so that windows tie
 * and many are all zero after the ReLU (their gradient must be +0), NaN
 * (the ReLU turns it into 0) and -0 among them, -0 gradients too */
static void relu_pool_same(const char *what, int C, int H, int W, int k, int L, int B,
                           uint64_t seed)
{
    layer *pool = layer_maxpool(C, H, W, k), *relu = pool ? layer_relu(pool->in_dim) : NULL;
    EXPECT(pool && relu, "%s: layers", what);
    if (!pool || !relu) { layer_free(pool); layer_free(relu); return; }
    const size_t ni = (size_t)B * pool->in_dim, no = (size_t)B * pool->out_dim;
    float *x = malloc(sizeof(float) * ni), *r = malloc(sizeof(float) * ni);
    float *y = malloc(sizeof(float) * no), *dy = malloc(sizeof(float) * no);
    float *dr = malloc(sizeof(float) * ni), *want = malloc(sizeof(float) * ni);
    float *got = malloc(sizeof(float) * ni);
    fill(x, ni, seed, 1);
    for (size_t i = 0; i < ni; i++) x[i] = roundf(4.0f * x[i]) / 4.0f;
    sprinkle(x, ni, 1);
    fill(dy, no, seed, 2);
    sprinkle(dy, no, 0);
    pool->blk_in = pool->blk_out = L;
    relu->ref = pool->ref = 1;   /* the reference: the two plain loops */
    if (L) pool->ref = 0;        /* (blocked rows have no reference loop of their own) */
    relu->ops->forward(relu, NULL, r, x, B, NULL);
    pool->ops->forward(pool, NULL, y, r, B, NULL);
    memset(dr, 0x7f, sizeof(float) * ni);
    pool->ops->backward(pool, NULL, NULL, dr, dy, r, y, B, NULL);
    relu->ops->backward(relu, NULL, NULL, want, dr, x, r, B, NULL);
    pool->ref = 0;
    memset(got, 0x7f, sizeof(float) * ni);
    maxpool_relu_backward(pool, got, dy, r, B);
    EXPECT(same_bits(got, want, ni), "%s: fused relu + maxpool backward differs at %zu (%g, "
           "want %g)", what, first_diff(got, want, ni), got[first_diff(got, want, ni) % ni],
           want[first_diff(got, want, ni) % ni]);
    size_t zero_windows = 0;   /* the case the fused mask decides */
    for (size_t i = 0; i < no; i++) zero_windows += y[i] == 0.0f && dy[i] != 0.0f;
    EXPECT(zero_windows > 0, "%s: no window is all zero after the ReLU", what);
    layer_free(pool); layer_free(relu);
    free(x); free(r); free(y); free(dy); free(dr); free(want); free(got);
}

static void test_maxpool_relu(void)
{
    /* C (a multiple of 16), H, W, k, B */
    const int cs[][5] = { { 16, 8, 8, 2, 3 }, { 16, 7, 9, 2, 2 }, { 16, 28, 28, 2, 2 },
                          { 32, 5, 4, 2, 2 }, { 16, 9, 9, 3, 2 }, { 16, 2, 10, 2, 1 } };
    const int blocks[3] = { 0, 8, 16 };
    for (size_t i = 0; i < sizeof cs / sizeof cs[0]; i++)
        for (int b = 0; b < 3; b++) {
            char what[96];
            snprintf(what, sizeof what, "relu+maxpool C%d %dx%d k%d L%d", cs[i][0], cs[i][1],
                     cs[i][2], cs[i][3], blocks[b]);
            relu_pool_same(what, cs[i][0], cs[i][1], cs[i][2], cs[i][3], blocks[b], cs[i][4],
                           80 + i);
        }
}

static void test_sgd(void)
{
    for (size_t n = 1; n <= 41; n += 4) {
        optim_cfg c = optim_defaults(OPTIM_SGD);
        c.lr = 0.05f; c.momentum = 0.9f; c.wd = 1e-3f;
        optim *o[2] = { optim_new(c, n), optim_new(c, n) };
        float *p[2] = { malloc(sizeof(float) * n), malloc(sizeof(float) * n) };
        float *g = malloc(sizeof(float) * n);
        o[1]->ref = 1;
        fill(p[0], n, n, 1);
        memcpy(p[1], p[0], sizeof(float) * n);
        for (int step = 0; step < 4; step++) {
            fill(g, n, n, 2 + (uint64_t)step);
            for (int r = 0; r < 2; r++) optim_step(o[r], p[r], g);
        }
        EXPECT(same_bits(p[0], p[1], n) && same_bits(o[0]->m, o[1]->m, n),
               "sgd n=%zu differs", n);
        for (int r = 0; r < 2; r++) { optim_free(o[r]); free(p[r]); }
        free(g);
    }
}

/* 3 training steps of m in fast and reference mode from the same start */
static void compare_steps(const char *what, model *m, int B)
{
    const size_t n = m->n_params;
    const int C = m->n_classes;
    float *p0 = malloc(sizeof(float) * n), *pr = malloc(sizeof(float) * n);
    float *x = malloc(sizeof(float) * (size_t)B * m->in_dim);
    float *g = malloc(sizeof(float) * n), *dz = malloc(sizeof(float) * (size_t)B * C);
    float *loss = malloc(sizeof(float) * B);
    int *y = malloc(sizeof(int) * B);
    model_ws *ws = model_ws_new(m, B);
    model_init(m, 9, 0);
    memcpy(p0, m->params, sizeof(float) * n);
    fill(x, (size_t)B * m->in_dim, 5, 1);
    for (int i = 0; i < B; i++) y[i] = i % C;
    optim_cfg c = optim_defaults(OPTIM_SGD);
    c.lr = 0.05f; c.momentum = 0.9f;
    for (int r = 1; r >= 0; r--) {   /* reference first, then fast */
        optim *o = optim_new(c, m->n_trainable);
        o->ref = r;
        model_set_reference(m, r);
        memcpy(m->params, p0, sizeof(float) * n);
        for (int s = 0; s < 3; s++) {
            memset(g, 0, sizeof(float) * n);
            const float *z = model_forward(m, ws, x, B);
            loss_xent(dz, loss, z, y, NULL, B, C, 1.0f / (float)B);
            model_backward(m, ws, g, dz, NULL, B, NULL);
            optim_step(o, m->params, g);
        }
        if (r) memcpy(pr, m->params, sizeof(float) * n);
        optim_free(o);
    }
    EXPECT(same_bits(m->params, pr, n), "%s: parameters differ at %zu after 3 steps",
           what, first_diff(m->params, pr, n));
    EXPECT(memcmp(m->params, p0, sizeof(float) * n) != 0, "%s: nothing trained", what);
    model_ws_free(ws);
    free(p0); free(pr); free(x); free(g); free(dz); free(loss); free(y);
}

static void test_steps(void)
{
    const int wa[2] = { 64, 64 }, wb[2] = { 512, 512 }, ch[2] = { 16, 32 };
    model *m = model_mlp(20, wa, 2, 2);
    compare_steps("mlp 20-64-64-2", m, 64);
    model_free(m);
    m = model_mlp(784, wb, 2, 2);
    compare_steps("mlp 784-512-512-2", m, 32);
    model_free(m);
    m = model_cnn(3, 28, 28, ch, 2, 3, 2, 1, 64, 2);
    for (int i = 0; m && i < m->n_layers; i++) layer_conv_set_dnnl(m->layers[i], 0);
    compare_steps("cnn 3x28x28", m, 16);
    model_free(m);
}

int main(void)
{
    test_relu();
    test_dense();
    test_conv();
    test_maxpool();
    test_maxpool_relu();
    test_sgd();
    test_steps();
    return TEST_END();
}
