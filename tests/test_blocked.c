/* test_blocked.c - the channel-blocked activation layout (kernels/blocked.h,
 * model.h "Layouts"). A CNN whose activations the layout plan keeps blocked
 * must give the bits of the same CNN run all plain: logits, features,
 * parameter gradients and the input gradient, on the oneDNN path (when the
 * build has it) and on the im2col path (MODEL_LAYOUT_FORCE: blocked rows
 * converted around im2col), with both blocks, 8 and 16, whatever the CPU
 * prefers (model_set_block). The model covers 2 x 2 max pooling on even and
 * odd sizes (rows and columns in no window), 3 x 3 max pooling, global
 * average pooling, and ReLU's zeros (ties in every pooling window). The
 * plan itself is checked, so that a plan that blocks nothing cannot pass,
 * and so are the cases it must leave plain (average pooling next,
 * model_keep_plain, reference mode). */
#include "blocked.h"
#include "check.h"
#include "conv_dnnl.h"
#include "layer.h"
#include "model.h"
#include "rng.h"
#include <math.h>
#include <stdlib.h>
#include <string.h>

/* input 3 x 14 x 14: conv 16 -> relu -> pool 2 (7 x 7) -> conv 16 -> relu
 * -> pool 2 (3 x 3, row and column 6 in no window) -> conv oc3 -> relu ->
 * pool 3 (1 x 1) -> gap -> dense 8 -> relu -> dense 3; avg: an average
 * pooling in place of the first max pooling */
static model *net(int avg, int dnnl, int oc3)
{
    model *m = model_new();
    int rc = !m;
    if (m) {
        rc |= model_add(m, layer_conv(3, 14, 14, 16, 3, 1, 1));
        rc |= model_add(m, layer_relu(16 * 14 * 14));
        rc |= model_add(m, avg ? layer_avgpool(16, 14, 14, 2) : layer_maxpool(16, 14, 14, 2));
        rc |= model_add(m, layer_conv(16, 7, 7, 16, 3, 1, 1));
        rc |= model_add(m, layer_relu(16 * 7 * 7));
        rc |= model_add(m, layer_maxpool(16, 7, 7, 2));
        rc |= model_add(m, layer_conv(16, 3, 3, oc3, 3, 1, 1));
        rc |= model_add(m, layer_relu(oc3 * 3 * 3));
        rc |= model_add(m, layer_maxpool(oc3, 3, 3, 3));
        rc |= model_add(m, layer_gap(oc3, 1, 1));
        rc |= model_add(m, layer_dense(oc3, 8));
        rc |= model_add(m, layer_relu(8));
        rc |= model_add(m, layer_dense(8, 3));
        rc |= model_finalize(m);
    }
    if (rc) { model_free(m); return NULL; }
    for (int i = 0; i < m->n_layers; i++) layer_conv_set_dnnl(m->layers[i], dnnl);
    model_init(m, 7, 0);
    return m;
}

/* a batch of B images whose values are multiples of 1/4: many equal
 * values, so pooling windows tie after the convolutions too */
static float *images(int B)
{
    const size_t n = (size_t)B * 3 * 14 * 14;
    float *x = malloc(sizeof(float) * n);
    for (size_t i = 0; x && i < n; i++)
        x[i] = (float)(int)(8.0f * rng_uniform(3, 1, i) - 4.0f) * 0.25f;
    return x;
}

typedef struct {
    float *z, *f, *g, *dx, *act2;
} run_out;

/* forward and backward of m on x (B rows) with fixed output and feature
 * gradients; the results copied out (caller frees) */
static int run(model *m, const float *x, int B, run_out *o)
{
    model_ws *w = model_ws_new(m, B);
    const size_t nz = (size_t)B * m->n_classes, nf = (size_t)B * m->feat_dim;
    const size_t nx = (size_t)B * m->in_dim, na = (size_t)B * m->layers[1]->out_dim;
    float *dz = malloc(sizeof(float) * nz), *df = malloc(sizeof(float) * nf);
    o->z = malloc(sizeof(float) * nz);
    o->f = malloc(sizeof(float) * nf);
    o->g = calloc(m->n_params, sizeof(float));
    o->dx = malloc(sizeof(float) * nx);
    o->act2 = malloc(sizeof(float) * na);
    if (!w || !dz || !df || !o->z || !o->f || !o->g || !o->dx || !o->act2) return -1;
    for (size_t i = 0; i < nz; i++) dz[i] = 2.0f * rng_uniform(5, 1, i) - 1.0f;
    for (size_t i = 0; i < nf; i++) df[i] = 2.0f * rng_uniform(5, 2, i) - 1.0f;
    memcpy(o->z, model_forward(m, w, x, B), sizeof(float) * nz);
    memcpy(o->f, model_features(m, w), sizeof(float) * nf);
    memcpy(o->act2, w->act[2], sizeof(float) * na);
    model_backward(m, w, o->g, dz, df, B, o->dx);
    free(dz); free(df);
    model_ws_free(w);
    return 0;
}

static void run_free(run_out *o)
{
    free(o->z); free(o->f); free(o->g); free(o->dx); free(o->act2);
}

/* the layers whose output the plan made blocked by L, as a string: 1
 * blocked by L, 0 plain, ? blocked by another block (wrong); layer i's
 * input layout must be layer i - 1's output layout (? again if not) */
static void plan_string(const model *m, char *s, int L)
{
    for (int i = 0; i < m->n_layers; i++) {
        const int b = m->layers[i]->blk_out;
        const int in_ok = m->layers[i]->blk_in == (i ? m->layers[i - 1]->blk_out : 0);
        s[i] = !in_ok ? '?' : b == L ? '1' : b == 0 ? '0' : '?';
    }
    s[m->n_layers] = 0;
}

/* mode (AUTO on oneDNN, FORCE on im2col) with block L against PLAIN, bit
 * for bit, on net(0, dnnl, oc3) */
static void same_bits(const char *what, int dnnl, int mode, int L, int oc3, int B,
                      const char *want_plan)
{
    model *a = net(0, dnnl, oc3), *p = net(0, dnnl, oc3);
    float *x = images(B);
    EXPECT(a && p && x, "%s: setup", what);
    if (!a || !p || !x) { model_free(a); model_free(p); free(x); return; }
    model_set_layout(a, mode);
    model_set_block(a, L);
    model_set_layout(p, MODEL_LAYOUT_PLAIN);
    run_out ra, rp;
    EXPECT(run(a, x, B, &ra) == 0 && run(p, x, B, &rp) == 0, "%s: run", what);
    char got[64], plain[64];
    plan_string(a, got, L);
    plan_string(p, plain, L);
    EXPECT(strcmp(got, want_plan) == 0, "%s L=%d oc3=%d: plan %s, want %s", what, L, oc3,
           got, want_plan);
    EXPECT(strspn(plain, "0") == strlen(plain), "%s: the plain model blocked %s", what, plain);
    const size_t nz = (size_t)B * a->n_classes, nf = (size_t)B * a->feat_dim;
    EXPECT(memcmp(ra.z, rp.z, sizeof(float) * nz) == 0, "%s L=%d B=%d: logits differ", what,
           L, B);
    EXPECT(memcmp(ra.f, rp.f, sizeof(float) * nf) == 0, "%s L=%d B=%d: features differ",
           what, L, B);
    EXPECT(memcmp(ra.g, rp.g, sizeof(float) * a->n_params) == 0,
           "%s L=%d B=%d: parameter gradients differ", what, L, B);
    EXPECT(memcmp(ra.dx, rp.dx, sizeof(float) * (size_t)B * a->in_dim) == 0,
           "%s L=%d B=%d: input gradients differ", what, L, B);
    /* the gradient is not trivially zero (ReLU and pooling pass some) */
    int nonzero = 0;
    for (size_t i = 0; i < a->n_params; i++) nonzero += ra.g[i] != 0.0f;
    EXPECT(nonzero > (int)(a->n_params / 4), "%s: only %d nonzero gradients", what, nonzero);
    run_free(&ra); run_free(&rp);
    model_free(a); model_free(p); free(x);
}

/* the cases the plan must leave plain, with block L */
static void stays_plain(int dnnl, int mode, int L)
{
    char s[64];
    /* average pooling cannot read blocked rows: the first conv stays plain */
    model *m = net(1, dnnl, 16);
    float *x = images(2);
    model_set_layout(m, mode);
    model_set_block(m, L);
    model_ws *w = model_ws_new(m, 2);
    model_forward(m, w, x, 2);
    plan_string(m, s, L);
    EXPECT(strcmp(s, "0001111110000") == 0, "avgpool next: plan %s", s);
    model_ws_free(w);
    model_free(m);

    /* act[2] kept plain (a readout of the first ReLU): the first conv's
     * output is plain and act[2] equals the plain model's */
    model *k = net(0, dnnl, 16), *p = net(0, dnnl, 16);
    model_set_layout(k, mode);
    model_set_block(k, L);
    model_set_layout(p, MODEL_LAYOUT_PLAIN);
    model_keep_plain(k, 2);
    run_out rk, rp;
    EXPECT(run(k, x, 2, &rk) == 0 && run(p, x, 2, &rp) == 0, "keep_plain: run");
    plan_string(k, s, L);
    EXPECT(strcmp(s, "0001111110000") == 0, "keep_plain: plan %s", s);
    EXPECT(memcmp(rk.act2, rp.act2, sizeof(float) * 2 * k->layers[1]->out_dim) == 0,
           "keep_plain: act[2] differs from the plain model's");
    EXPECT(memcmp(rk.z, rp.z, sizeof(float) * 2 * k->n_classes) == 0,
           "keep_plain: logits differ");
    run_free(&rk); run_free(&rp);
    model_free(k); model_free(p);

    /* reference mode: everything plain */
    model *r = net(0, dnnl, 16);
    model_set_layout(r, mode);
    model_set_block(r, L);
    model_set_reference(r, 1);
    w = model_ws_new(r, 2);
    model_forward(r, w, x, 2);
    plan_string(r, s, L);
    EXPECT(strcmp(s, "0000000000000") == 0, "reference: plan %s", s);
    model_ws_free(w);
    model_free(r);
    free(x);
}

/* the row conversions with block L are inverse permutations with the
 * documented index */
static void conversions(int L)
{
    const int C = 32, HW = 5;
    float a[32 * 5], b[32 * 5], c[32 * 5];
    for (int i = 0; i < C * HW; i++) a[i] = (float)i;
    blk_from_plain(b, a, C, HW, L);
    blk_to_plain(c, b, C, HW, L);
    EXPECT(memcmp(a, c, sizeof a) == 0, "L=%d: blk_to_plain(blk_from_plain(x)) != x", L);
    int bad = 0;
    for (int ch = 0; ch < C; ch++)
        for (int q = 0; q < HW; q++)
            bad += b[((ch / L) * HW + q) * L + ch % L] != a[ch * HW + q];
    EXPECT(bad == 0, "%d elements off the nChw%dc index", bad, L);
}

/* values with ties, signed zeros and NaN, in that pattern's order */
static float tricky(size_t i)
{
    static const float v[] = { 0.0f, -0.0f, 1.0f, 1.0f, -2.0f, 0.5f, -0.0f, 0.0f, 3.0f, -1.0f, 0.5f };
    if (i % 37 == 5) return NAN;
    return v[(i * 7 + i / 11) % (sizeof v / sizeof v[0])];
}

/* a pooling layer l run on blocked rows (blk_in = blk_out = L) and on
 * plain rows: the same outputs and input gradients, after conversion */
static void pool_layer_same(const char *what, layer *l, int B, int L)
{
    const size_t nin = (size_t)B * l->in_dim, nout = (size_t)B * l->out_dim;
    const int HWi = l->H * l->W, HWo = l->OH * l->OW;
    const int plain_out = l->kind == LAYER_GAP;   /* gap writes plain [B, C] */
    float *x = malloc(sizeof(float) * nin), *xb = malloc(sizeof(float) * nin);
    float *y = malloc(sizeof(float) * nout), *yb = malloc(sizeof(float) * nout);
    float *dy = malloc(sizeof(float) * nout), *dyb = malloc(sizeof(float) * nout);
    float *dx = malloc(sizeof(float) * nin), *dxb = malloc(sizeof(float) * nin);
    float *t = malloc(sizeof(float) * (nin > nout ? nin : nout));
    for (size_t i = 0; i < nin; i++) x[i] = tricky(i);
    for (size_t i = 0; i < nout; i++) dy[i] = i % 13 == 6 ? -0.0f : (float)(i % 13) - 6.0f;
    for (int b = 0; b < B; b++) {
        blk_from_plain(xb + (size_t)b * l->in_dim, x + (size_t)b * l->in_dim, l->C, HWi, L);
        if (plain_out) continue;
        blk_from_plain(dyb + (size_t)b * l->out_dim, dy + (size_t)b * l->out_dim, l->OC, HWo,
                       L);
    }
    if (plain_out) memcpy(dyb, dy, sizeof(float) * nout);
    l->blk_in = l->blk_out = 0;
    l->ops->forward(l, NULL, y, x, B, NULL);
    l->ops->backward(l, NULL, NULL, dx, dy, x, y, B, NULL);
    l->blk_in = L;
    l->blk_out = plain_out ? 0 : L;
    l->ops->forward(l, NULL, yb, xb, B, NULL);
    l->ops->backward(l, NULL, NULL, dxb, dyb, xb, yb, B, NULL);
    for (int b = 0; b < B && !plain_out; b++) {
        blk_to_plain(t, yb + (size_t)b * l->out_dim, l->OC, HWo, L);
        memcpy(yb + (size_t)b * l->out_dim, t, sizeof(float) * l->out_dim);
    }
    for (int b = 0; b < B; b++) {
        blk_to_plain(t, dxb + (size_t)b * l->in_dim, l->C, HWi, L);
        memcpy(dxb + (size_t)b * l->in_dim, t, sizeof(float) * l->in_dim);
    }
    EXPECT(memcmp(y, yb, sizeof(float) * nout) == 0, "%s L=%d: outputs differ", what, L);
    EXPECT(memcmp(dx, dxb, sizeof(float) * nin) == 0, "%s L=%d: input gradients differ", what,
           L);
    free(x); free(xb); free(y); free(yb); free(dy); free(dyb); free(dx); free(dxb); free(t);
    layer_free(l);
}

/* with block 0 (the default) the plan uses blk_preferred(): 16 only with
 * oneDNN on an AVX-512 CPU; without oneDNN, checked on FORCE */
static void default_block(int dnnl)
{
    const int L = blk_preferred();
    printf("blk_preferred() = %d\n", L);
    int avx512 = 0;   /* oneDNN's avx512_core, where its convolutions take 16 */
#if (defined(__x86_64__) || defined(__i386__)) && defined(__GNUC__)
    avx512 = __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw")
          && __builtin_cpu_supports("avx512vl") && __builtin_cpu_supports("avx512dq");
#endif
    const int want = conv_dnnl_built() && avx512 ? 16 : 8;
    EXPECT(L == want, "blk_preferred() = %d, want %d", L, want);
    model *m = net(0, dnnl, 16);
    float *x = images(1);
    model_set_layout(m, dnnl ? MODEL_LAYOUT_AUTO : MODEL_LAYOUT_FORCE);
    model_ws *w = model_ws_new(m, 1);
    model_forward(m, w, x, 1);
    char s[64];
    plan_string(m, s, L);
    EXPECT(strcmp(s, "1111111110000") == 0, "default block: plan %s", s);
    model_ws_free(w);
    model_free(m);
    free(x);
}

/* everything above with block L */
static void check_block(int L)
{
    conversions(L);
    pool_layer_same("max 2x2, 6x6", layer_maxpool(16, 6, 6, 2), 3, L);
    pool_layer_same("max 2x2, 7x5", layer_maxpool(2 * L, 7, 5, 2), 2, L);
    pool_layer_same("max 3x3, 7x7", layer_maxpool(L, 7, 7, 3), 2, L);
    pool_layer_same("gap 5x3", layer_gap(2 * L, 5, 3), 3, L);
    /* conv, relu, pool, conv, relu, pool, conv, relu, pool3, gap, ...; a
     * third conv of 8 channels stays plain with block 16 */
    const char *blocked = "1111111110000";
    const char *oc8 = L == 8 ? blocked : "1111110000000";
    static const int Bs[] = { 1, 3, 5 };
    if (conv_dnnl_built()) {
        for (int i = 0; i < 3; i++)
            same_bits("oneDNN auto", 1, MODEL_LAYOUT_AUTO, L, 16, Bs[i], blocked);
        same_bits("oneDNN auto", 1, MODEL_LAYOUT_AUTO, L, 8, 3, oc8);
        stays_plain(1, MODEL_LAYOUT_AUTO, L);
    }
    /* im2col convolutions: AUTO keeps them plain, FORCE blocks around them */
    same_bits("im2col auto", 0, MODEL_LAYOUT_AUTO, L, 16, 3, "0000000000000");
    for (int i = 0; i < 3; i++)
        same_bits("im2col forced", 0, MODEL_LAYOUT_FORCE, L, 16, Bs[i], blocked);
    same_bits("im2col forced", 0, MODEL_LAYOUT_FORCE, L, 8, 5, oc8);
    stays_plain(0, MODEL_LAYOUT_FORCE, L);
}

int main(void)
{
    if (!conv_dnnl_built()) printf("no oneDNN in this build: the im2col path only\n");
    default_block(conv_dnnl_built());
    check_block(8);
    check_block(16);
    return TEST_END();
}
