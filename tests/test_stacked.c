/* test_stacked.c - the stacked micro-shard step (kernels/stacked.h) against
 * the per-shard step it replaces, bit for bit:
 *  1. row-count independence of the dense layers (kernels/rsgemm.h), for
 *     every dense shape of the MLP benchmarks, the grid students, teachers
 *     and projectors: the forward (x W^T + b) and the input gradient (dY W)
 *     of B rows in one model call against the same rows in calls of r rows,
 *     every r = 1 .. B, in fast and reference (portable fmaf) modes. This
 *     is what lets a rank's stacked rows go through one call without
 *     changing bits with the rank count (OpenBLAS sgemm, used before, fails
 *     it for almost every r); STACKED_VERBOSE=1 prints the r that differ;
 *  2. model_forward + model_backward_shards over the stacked rows of
 *     ns shards, for ns = M / K with K = 1, 2, 4 (each "rank" its own
 *     stack, the ranks' results summed by the same tree), equal per-shard
 *     model_forward + model_backward into zeroed buffers summed by an
 *     explicit balanced tree: logits, parameter gradients and input
 *     gradients, for MLPs with logit and feature losses, a frozen head, a
 *     projector (one dense layer), uneven shard heights and shards without
 *     rows, in fast and reference modes; the scratch is zero again after
 *     every call;
 *  3. the input by row pointers (model_forward_rows, the training step's
 *     stacked mode): the pointers to the rows of a shuffled, unaligned copy
 *     of the input, in both the per-shard (model_backward) and the stacked
 *     (model_backward_shards) backward: the same logits, gradients and
 *     input gradients as the gathered rows, bit for bit. */
#include "check.h"
#include "model.h"
#include "rng.h"
#include "stacked.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* x[n] ~ U(-1, 1) keyed by (seed, stream) */
static void fill(float *x, size_t n, uint64_t seed, uint64_t stream)
{
    for (size_t i = 0; i < n; i++) x[i] = 2.0f * rng_uniform(seed, stream, i) - 1.0f;
}

/* index of the first float whose bits differ, or n */
static size_t first_diff(const float *a, const float *b, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (memcmp(a + i, b + i, sizeof(float))) return i;
    return n;
}

/* the balanced tree over count (a power of two) vectors of n floats in v,
 * written out plainly: ((v0 + v1) + (v2 + v3)) + ...; result in v[0..n) */
static void ref_tree(float *v, int count, size_t n)
{
    for (int stride = 1; stride < count; stride *= 2)
        for (int i = 0; i + stride < count; i += 2 * stride)
            for (size_t j = 0; j < n; j++) v[(size_t)i * n + j] += v[(size_t)(i + stride) * n + j];
}

/* ---- 1. row-count independence ------------------------------------------- */

/* one dense layer din -> dout: forward and (frozen layer) input gradient of
 * B rows in one call against calls of r rows, every r in 1..B (ref: the
 * layer's reference mode) */
static void check_rows(int din, int dout, int B, int ref)
{
    model *m = model_new();
    EXPECT(m && model_add(m, layer_dense(din, dout)) == 0 && model_finalize(m) == 0,
           "model %d-%d", din, dout);
    if (!m || !m->params) { model_free(m); return; }
    model_init(m, 3, 0);
    model_freeze_from(m, 0);   /* backward computes the input gradient only */
    model_set_reference(m, ref);
    float *x = malloc(sizeof(float) * (size_t)B * din);
    float *dy = malloc(sizeof(float) * (size_t)B * dout);
    float *z = malloc(sizeof(float) * (size_t)B * dout), *dx = malloc(sizeof(float) * (size_t)B * din);
    float *zp = malloc(sizeof(float) * (size_t)B * dout), *dxp = malloc(sizeof(float) * (size_t)B * din);
    model_ws *ws = model_ws_new(m, B);
    fill(x, (size_t)B * din, 11, (uint64_t)din);
    fill(dy, (size_t)B * dout, 12, (uint64_t)dout);
    memcpy(z, model_forward(m, ws, x, B), sizeof(float) * (size_t)B * dout);
    model_backward(m, ws, NULL, dy, NULL, B, dx);
    int bad_r = 0, n_bad = 0;
    for (int r = 1; r <= B; r++) {
        for (int i0 = 0; i0 < B; i0 += r) {
            int b = B - i0 < r ? B - i0 : r;
            memcpy(zp + (size_t)i0 * dout, model_forward(m, ws, x + (size_t)i0 * din, b),
                   sizeof(float) * (size_t)b * dout);
            model_backward(m, ws, NULL, dy + (size_t)i0 * dout, NULL, b, dxp + (size_t)i0 * din);
        }
        if (first_diff(z, zp, (size_t)B * dout) < (size_t)B * dout ||
            first_diff(dx, dxp, (size_t)B * din) < (size_t)B * din)
        {
            if (getenv("STACKED_VERBOSE")) printf("%d ", r);
            if (!bad_r) bad_r = r;
            n_bad++;
        }
    }
    if (getenv("STACKED_VERBOSE")) printf("\n");
    EXPECT(n_bad == 0, "dense %d -> %d, %d rows (ref %d): %d of %d row counts per call change "
           "bits, the first %d", din, dout, B, ref, n_bad, B, bad_r);
    free(x); free(dy); free(z); free(dx); free(zp); free(dxp);
    model_ws_free(ws);
    model_free(m);
}

/* ---- 2. stacked backward against the per-shard tree ----------------------- */

typedef struct {
    const char *name;
    model *m;
    int logit, feat;     /* which losses reach the model */
    int want_dx;         /* input gradient too (a projector) */
} net;

/* the input rows x[0 .. n) by pointer (model_forward_rows): xr[i] points
 * at a copy of row i in pool, the copies in reverse order at a stride of
 * d + 1 floats (unaligned, not contiguous); pool holds n (d + 1) + 1 */
static const float *const *rows_of(const float **xr, float *pool, const float *x, int n, int d)
{
    for (int i = 0; i < n; i++) {
        float *c = pool + 1 + (size_t)(n - 1 - i) * (size_t)(d + 1);
        memcpy(c, x + (size_t)i * d, sizeof(float) * (size_t)d);
        xr[i] = c;
    }
    return xr;
}

/* model_forward of b rows at x, or (rows = 1 and m takes it) the same rows
 * by pointer through model_forward_rows; xr, pool as rows_of */
static const float *forward(const model *m, model_ws *ws, const float *x, int b, int rows,
                            const float **xr, float *pool)
{
    if (!rows || !model_rows_input(m)) return model_forward(m, ws, x, b);
    return model_forward_rows(m, ws, rows_of(xr, pool, x, b, m->in_dim), b);
}

/* per-shard reference: each shard's forward and backward alone into a zeroed
 * gradient, the M gradients tree-summed; dx and logits z rows per shard;
 * rows: the forward by row pointers */
static void per_shard(const net *t, const float *x, const float *dz, const float *df,
                      const int *off, int M, float *g, float *dx, float *z, int rows)
{
    const model *m = t->m;
    const size_t P = m->n_trainable;
    float *parts = calloc((size_t)M * (P ? P : 1), sizeof(float));
    model_ws *ws = model_ws_new(m, off[M] > 0 ? off[M] : 1);
    const float **xr = malloc(sizeof(float *) * (size_t)(off[M] + 1));
    float *pool = malloc(sizeof(float) * ((size_t)(off[M] + 1) * (size_t)(m->in_dim + 1) + 1));
    for (int s = 0; s < M; s++) {
        int r0 = off[s], b = off[s + 1] - r0;
        if (b == 0) continue;
        memcpy(z + (size_t)r0 * m->n_classes,
               forward(m, ws, x + (size_t)r0 * m->in_dim, b, rows, xr, pool),
               sizeof(float) * (size_t)b * m->n_classes);
        model_backward(m, ws, parts + (size_t)s * P, t->logit ? dz + (size_t)r0 * m->n_classes : NULL,
                       t->feat ? df + (size_t)r0 * m->feat_dim : NULL, b,
                       t->want_dx ? dx + (size_t)r0 * m->in_dim : NULL);
    }
    ref_tree(parts, M, P);
    memcpy(g, parts, sizeof(float) * P);
    free(parts); free(xr); free(pool);
    model_ws_free(ws);
}

/* K "ranks", each holding M / K consecutive shards: one stacked forward and
 * model_backward_shards each, the K partials tree-summed; rows: the forward
 * by row pointers */
static void stacked(const net *t, const float *x, const float *dz, const float *df,
                    const int *off, int M, int K, float *g, float *dx, float *z, int rows)
{
    const model *m = t->m;
    const size_t P = m->n_trainable;
    const int ns = M / K;
    float *parts = malloc(sizeof(float) * (size_t)K * (P ? P : 1));
    const size_t nscr = stacked_scratch_floats(m, ns);
    float *scratch = calloc(nscr, sizeof(float));
    model_ws *ws = model_ws_new(m, off[M] > 0 ? off[M] : 1);
    const float **xr = malloc(sizeof(float *) * (size_t)(off[M] + 1));
    float *pool = malloc(sizeof(float) * ((size_t)(off[M] + 1) * (size_t)(m->in_dim + 1) + 1));
    for (int r = 0; r < K; r++) {
        int loff[64];
        const int s0 = r * ns, R0 = off[s0];
        for (int s = 0; s <= ns; s++) loff[s] = off[s0 + s] - R0;
        float *gr = parts + (size_t)r * P;
        for (size_t i = 0; i < P; i++) gr[i] = 12345.0f;   /* written, not accumulated */
        forward(m, ws, x + (size_t)R0 * m->in_dim, loff[ns], rows, xr, pool);
        memcpy(z + (size_t)R0 * m->n_classes, ws->act[m->n_layers],
               sizeof(float) * (size_t)loff[ns] * m->n_classes);
        model_backward_shards(m, ws, gr, t->logit ? dz + (size_t)R0 * m->n_classes : NULL,
                              t->feat ? df + (size_t)R0 * m->feat_dim : NULL, loff, ns,
                              t->want_dx ? dx + (size_t)R0 * m->in_dim : NULL, scratch);
    }
    size_t nz = 0;
    for (size_t i = 0; i < nscr; i++) nz += scratch[i] != 0.0f;
    EXPECT(nz == 0, "%s (K %d): %zu scratch floats left non-zero", t->name, K, nz);
    ref_tree(parts, K, P);
    memcpy(g, parts, sizeof(float) * P);
    free(parts); free(scratch); free(xr); free(pool);
    model_ws_free(ws);
}

/* every K in 1, 2, 4 against the per-shard tree for shard heights b[M] */
static void check_net(const net *t, const int *b, int M, int ref)
{
    const model *m = t->m;
    int off[65] = { 0 };
    for (int s = 0; s < M; s++) off[s + 1] = off[s] + b[s];
    const int R = off[M];
    const size_t P = m->n_trainable;
    float *x = malloc(sizeof(float) * (size_t)R * m->in_dim + 1);
    float *dz = malloc(sizeof(float) * (size_t)R * m->n_classes + 1);
    float *df = malloc(sizeof(float) * (size_t)R * m->feat_dim + 1);
    float *g0 = malloc(sizeof(float) * P), *g1 = malloc(sizeof(float) * P);
    float *dx0 = calloc((size_t)R * m->in_dim + 1, sizeof(float));
    float *dx1 = calloc((size_t)R * m->in_dim + 1, sizeof(float));
    float *z0 = calloc((size_t)R * m->n_classes + 1, sizeof(float));
    float *z1 = calloc((size_t)R * m->n_classes + 1, sizeof(float));
    fill(x, (size_t)R * m->in_dim, 21, 0);
    fill(dz, (size_t)R * m->n_classes, 22, 0);
    fill(df, (size_t)R * m->feat_dim, 23, 0);
    for (size_t i = 0; i < (size_t)R * m->n_classes; i += 5) dz[i] = -0.0f;   /* signed zeros */
    model_set_reference(t->m, ref);
    per_shard(t, x, dz, df, off, M, g0, dx0, z0, 0);
    /* K = 0: the per-shard step by row pointers; K = 1, 2, 4: stacked, on
     * the gathered rows (rows 0) and by row pointers (rows 1) */
    for (int K = 0; K <= 4 && K <= M; K = K ? 2 * K : 1)
        for (int rows = K == 0; rows <= 1; rows++) {
            memset(dx1, 0, sizeof(float) * ((size_t)R * m->in_dim + 1));
            if (K == 0) per_shard(t, x, dz, df, off, M, g1, dx1, z1, 1);
            else stacked(t, x, dz, df, off, M, K, g1, dx1, z1, rows);
            size_t nzl = (size_t)R * m->n_classes, dzl = first_diff(z0, z1, nzl);
            EXPECT(dzl == nzl, "%s (ref %d, K %d, rows %d): logits differ at %zu", t->name, ref,
                   K, rows, dzl);
            size_t d = first_diff(g0, g1, P);
            EXPECT(d == P, "%s (ref %d, K %d, rows %d, %d rows): gradient differs at %zu: %a vs "
                   "%a", t->name, ref, K, rows, R, d, d < P ? g0[d] : 0.0, d < P ? g1[d] : 0.0);
            if (t->want_dx) {
                size_t n = (size_t)R * m->in_dim;
                d = first_diff(dx0, dx1, n);
                EXPECT(d == n, "%s (ref %d, K %d, rows %d): input gradient differs at %zu",
                       t->name, ref, K, rows, d);
            }
        }
    model_set_reference(t->m, 0);
    free(x); free(dz); free(df); free(g0); free(g1); free(dx0); free(dx1); free(z0); free(z1);
}

static model *mlp(int in, const int *w, int nw, int C, uint64_t seed)
{
    model *m = model_mlp(in, w, nw, C);
    if (m) model_init(m, seed, 0);
    return m;
}

int main(void)
{
    /* 1. every dense shape the benchmarks and the grid run (in -> out) */
    static const int shapes[][2] = {
        { 20, 64 }, { 64, 64 }, { 64, 2 },             /* bench (a) */
        { 784, 512 }, { 512, 512 }, { 512, 2 },        /* bench (b) */
        { 588, 256 }, { 256, 256 }, { 256, 2 },        /* grid teacher (3x14x14) */
        { 588, 16 }, { 16, 2 }, { 588, 64 },           /* grid students */
        { 588, 8 }, { 8, 2 }, { 2, 6 }, { 6, 2 },       /* small students, tests */
        { 16, 256 }, { 64, 256 }, { 8, 256 },          /* projectors to teacher features */
        { 100, 3 }, { 33, 17 },                        /* odd widths */
    };
    for (size_t i = 0; i < sizeof shapes / sizeof shapes[0]; i++) {
        check_rows(shapes[i][0], shapes[i][1], 64, 0);
        if (shapes[i][0] * shapes[i][1] <= 200000) check_rows(shapes[i][0], shapes[i][1], 128, 0);
        if (shapes[i][0] * shapes[i][1] <= 20000) check_rows(shapes[i][0], shapes[i][1], 64, 1);
    }
    check_rows(784, 512, 128, 0);

    /* 2. stacked backward against the per-shard tree */
    static const int w_a[] = { 64, 64 }, w_b[] = { 512, 512 }, w_s[] = { 16 }, w_t[] = { 256, 256 };
    static const int even8[8] = { 16, 16, 16, 16, 16, 16, 16, 16 };
    static const int short8[8] = { 3, 3, 2, 2, 2, 0, 0, 0 };     /* a short last step */
    static const int odd8[8] = { 9, 8, 8, 8, 8, 8, 8, 8 };
    static const int even16[16] = { 8, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8 };
    net nets[6];
    int nn = 0;
    nets[nn++] = (net){ "mlp 20-64-64-2", mlp(20, w_a, 2, 2, 1), 1, 0, 0 };
    nets[nn++] = (net){ "mlp 784-512-512-2", mlp(784, w_b, 2, 2, 2), 1, 0, 0 };
    nets[nn++] = (net){ "mlp 588-16-2, logits and features", mlp(588, w_s, 1, 2, 3), 1, 1, 0 };
    nets[nn] = (net){ "mlp 588-256-256-2, frozen head, features only", mlp(588, w_t, 2, 2, 4), 0, 1, 0 };
    if (nets[nn].m) model_freeze_from(nets[nn].m, nets[nn].m->n_layers - 1);
    nn++;
    nets[nn++] = (net){ "projector 16 -> 256 with dx", mlp(16, NULL, 0, 256, 5), 1, 0, 1 };
    nets[nn++] = (net){ "mlp 20-64-64-2 features only, dx", mlp(20, w_a, 2, 2, 6), 0, 1, 1 };
    for (int i = 0; i < nn; i++) {
        EXPECT(nets[i].m != NULL, "%s", nets[i].name);
        if (!nets[i].m) continue;
        EXPECT(model_stackable(nets[i].m), "%s is stackable", nets[i].name);
        for (int ref = 0; ref <= 1; ref++) {
            check_net(&nets[i], even8, 8, ref);
            check_net(&nets[i], short8, 8, ref);
            check_net(&nets[i], odd8, 8, ref);
        }
        check_net(&nets[i], even16, 16, 0);
        model_free(nets[i].m);
    }
    return TEST_END();
}
