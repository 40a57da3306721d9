/* dense.c - fully connected layer (on the row-stable GEMM, rsgemm.h) and ReLU.
 * Each elementwise loop has a plain reference form (run when l->ref) and a
 * fast form from vec.h with the same arithmetic, bit for bit. */
#include "conv_dnnl.h"
#include "layer.h"
#include "rng.h"
#include "rsgemm.h"
#include "vec.h"
#include <math.h>
#include <stdlib.h>
#include <string.h>

/* the row-stable GEMM's path for l: the portable fmaf loops when l runs its
 * reference code (same bits as the SIMD path, tests/test_rsgemm.c) */
static rsgemm_path dense_path(const layer *l)
{
    return l->ref ? RSGEMM_PORTABLE : RSGEMM_AUTO;
}

/* out[B, dout] = in[B, din] W^T + b: per element one fma chain over din,
 * then + b (rsgemm.h), so a row's bits do not depend on B; ws holds W^T
 * packed */
static void dense_forward(const layer *l, const float *p, float *out,
                          const float *in, int B, float *ws)
{
    const int din = l->din, dout = l->dout;
    const float *W = p + l->off, *b = W + (size_t)din * dout;
    rsgemm_pack(ws, W, din, dout, 1, (size_t)din);
    rsgemm_rows(B, dout, din, in, (size_t)din, ws, b, out, (size_t)dout, dense_path(l));
}

void dense_forward_rows(const layer *l, const float *p, float *out, const float *const *xrows,
                        int B, float *ws)
{
    const int din = l->din, dout = l->dout;
    const float *W = p + l->off, *b = W + (size_t)din * dout;
    rsgemm_pack(ws, W, din, dout, 1, (size_t)din);
    rsgemm_rows_ptr(B, dout, din, xrows, ws, b, out, (size_t)dout, dense_path(l));
}

/* dW += dout^T in (rows in order, one fma chain per element); db += sum_rows
 * dout; din = dout W (one fma chain over dout per element); ws holds the
 * packed operands of one product at a time. in's rows at xrows[r] when
 * xrows is not NULL (dense_backward_rows), else in + r din. */
static void dense_backward_any(const layer *l, const float *p, float *g, float *din,
                               const float *dout, const float *in, const float *const *xrows,
                               int B, float *ws)
{
    const int di = l->din, dO = l->dout;
    const float *W = p + l->off;
    if (!l->frozen) {
        float *gW = g + l->off, *gb = gW + (size_t)di * dO;
        const int off[2] = { 0, B };
        if (xrows)
            rsgemm_wgrad_tree_ptr(dO, di, dout, (size_t)dO, xrows, off, 1, gW, (size_t)di, 1, ws,
                                  dense_path(l));
        else
            rsgemm_wgrad_tree(dO, di, dout, (size_t)dO, in, (size_t)di, off, 1, gW, (size_t)di,
                              1, ws, dense_path(l));
        for (int i = 0; i < B; i++) {
            const float *r = dout + (size_t)i * dO;
            if (l->ref)
                for (int j = 0; j < dO; j++) gb[j] += r[j];
            else
                vec_acc(gb, r, (size_t)dO);
        }
    }
    if (din) {
        rsgemm_pack(ws, W, dO, di, (size_t)di, 1);
        rsgemm_rows(B, di, dO, dout, (size_t)dO, ws, NULL, din, (size_t)di, dense_path(l));
    }
}

static void dense_backward(const layer *l, const float *p, float *g, float *din,
                           const float *dout, const float *in, const float *out,
                           int B, float *ws)
{
    (void)out;
    dense_backward_any(l, p, g, din, dout, in, NULL, B, ws);
}

void dense_backward_rows(const layer *l, const float *p, float *g, float *din,
                         const float *dout, const float *const *xrows, int B, float *ws)
{
    dense_backward_any(l, p, g, din, dout, NULL, xrows, B, ws);
}

static void dense_init(const layer *l, float *p, uint64_t seed, uint64_t stream)
{
    float bound = 1.0f / sqrtf((float)l->din);
    for (size_t i = 0; i < l->n_params; i++)
        p[l->off + i] = (2.0f * rng_uniform(seed, stream, i) - 1.0f) * bound;
}

static size_t no_ws(const layer *l, int B) { (void)l; (void)B; return 0; }

/* the packed operands: W^T for the forward, W for the input gradient,
 * dout and in for the weight gradient (one at a time) */
static size_t dense_ws(const layer *l, int B)
{
    size_t f = rsgemm_pack_floats(l->din, l->dout), b = rsgemm_pack_floats(l->dout, l->din);
    size_t w = rsgemm_wgrad_ws_floats(B, l->din);
    if (b > f) f = b;
    return w > f ? w : f;
}

static const layer_ops dense_ops = { "dense", dense_forward, dense_backward,
                                     dense_init, dense_ws };

layer *layer_dense(int din, int dout)
{
    layer *l = calloc(1, sizeof *l);
    if (!l) return NULL;
    l->ops = &dense_ops;
    l->kind = LAYER_DENSE;
    l->din = l->in_dim = din;
    l->dout = l->out_dim = dout;
    l->n_params = (size_t)din * dout + dout;
    return l;
}

/* f(x) = max{0, x} */
static void relu_forward(const layer *l, const float *p, float *out,
                         const float *in, int B, float *ws)
{
    (void)p; (void)ws;
    size_t n = (size_t)B * l->in_dim;
    if (!l->ref) { vec_relu(out, in, n); return; }
    for (size_t i = 0; i < n; i++) out[i] = in[i] > 0.0f ? in[i] : 0.0f;
}

/* din = dout * [out > 0] */
static void relu_backward(const layer *l, const float *p, float *g, float *din,
                          const float *dout, const float *in, const float *out,
                          int B, float *ws)
{
    (void)p; (void)g; (void)in; (void)ws;
    if (!din) return;
    size_t n = (size_t)B * l->in_dim;
    if (!l->ref) { vec_relu_back(din, dout, out, n); return; }
    for (size_t i = 0; i < n; i++) din[i] = out[i] > 0.0f ? dout[i] : 0.0f;
}

static void no_init(const layer *l, float *p, uint64_t seed, uint64_t stream)
{
    (void)l; (void)p; (void)seed; (void)stream;
}

static const layer_ops relu_ops = { "relu", relu_forward, relu_backward,
                                    no_init, no_ws };

layer *layer_relu(int d)
{
    layer *l = calloc(1, sizeof *l);
    if (!l) return NULL;
    l->ops = &relu_ops;
    l->kind = LAYER_RELU;
    l->in_dim = l->out_dim = d;
    return l;
}

void layer_free(layer *l)
{
    if (l) conv_dnnl_free(l->dnnl);
    free(l);
}
