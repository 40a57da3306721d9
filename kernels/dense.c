/* dense.c - fully connected layer and ReLU.
 * Each elementwise loop has a plain reference form (run when l->ref) and a
 * fast form from vec.h with the same arithmetic, bit for bit. */
#include "conv_dnnl.h"
#include "layer.h"
#include "rng.h"
#include "vec.h"
#include <cblas.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

/* out[B, dout] = in[B, din] W^T + b */
static void dense_forward(const layer *l, const float *p, float *out,
                          const float *in, int B, float *ws)
{
    (void)ws;
    const int din = l->din, dout = l->dout;
    const float *W = p + l->off, *b = W + (size_t)din * dout;
    for (int i = 0; i < B; i++) memcpy(out + (size_t)i * dout, b, sizeof(float) * dout);
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, B, dout, din,
                1.0f, in, din, W, din, 1.0f, out, dout);
}

/* dW += dout^T in; db += sum_rows dout; din = dout W */
static void dense_backward(const layer *l, const float *p, float *g, float *din,
                           const float *dout, const float *in, const float *out,
                           int B, float *ws)
{
    (void)out; (void)ws;
    const int di = l->din, dO = l->dout;
    const float *W = p + l->off;
    if (!l->frozen) {
        float *gW = g + l->off, *gb = gW + (size_t)di * dO;
        cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, dO, di, B,
                    1.0f, dout, dO, in, di, 1.0f, gW, di);
        for (int i = 0; i < B; i++) {
            const float *r = dout + (size_t)i * dO;
            if (l->ref)
                for (int j = 0; j < dO; j++) gb[j] += r[j];
            else
                vec_acc(gb, r, (size_t)dO);
        }
    }
    if (din)
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, B, di, dO,
                    1.0f, dout, dO, W, di, 0.0f, din, di);
}

static void dense_init(const layer *l, float *p, uint64_t seed, uint64_t stream)
{
    float bound = 1.0f / sqrtf((float)l->din);
    for (size_t i = 0; i < l->n_params; i++)
        p[l->off + i] = (2.0f * rng_uniform(seed, stream, i) - 1.0f) * bound;
}

static size_t no_ws(const layer *l, int B) { (void)l; (void)B; return 0; }

static const layer_ops dense_ops = { "dense", dense_forward, dense_backward,
                                     dense_init, no_ws };

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
