/* layer.h - the layers of a model, behind a three-function vtable.
 *
 * Shape letters used throughout kernels/:
 *   B  rows in a batch          D  features per row (dense layers)
 *   C  channels  H, W  height and width (images stored [B, C, H, W])
 *
 * A layer owns no parameters: it knows its offset `off` and count `n_params`
 * in its model's parameter slab; forward reads params at p + off and backward
 * accumulates into g + off, so any gradient buffer with the slab's layout can
 * receive them (one per micro-shard, see runtime/dist/allreduce.h).
 * in_dim/out_dim are per-row element counts. Layers are created by the
 * layer_* constructors below and freed with layer_free().
 */
#ifndef DETT_LAYER_H
#define DETT_LAYER_H
#include <stddef.h>
#include <stdint.h>

typedef struct layer layer;

typedef struct {
    const char *name;
    /* out[B, out_dim] <- f(in[B, in_dim]; p). ws: workspace of ws_floats(B). */
    void (*forward)(const layer *l, const float *p, float *out, const float *in,
                    int B, float *ws);
    /* din[B, in_dim] <- df/din^T dout (skipped when din is NULL);
     * g[off..] += df/dp^T dout unless l->frozen. in/out as in forward. */
    void (*backward)(const layer *l, const float *p, float *g, float *din,
                     const float *dout, const float *in, const float *out,
                     int B, float *ws);
    /* p[off..off+n_params) <- initial values keyed by (seed, stream) */
    void (*init)(const layer *l, float *p, uint64_t seed, uint64_t stream);
    /* workspace floats needed for a batch of B rows (0 if none) */
    size_t (*ws_floats)(const layer *l, int B);
} layer_ops;

typedef enum { LAYER_DENSE, LAYER_RELU, LAYER_CONV, LAYER_MAXPOOL,
               LAYER_AVGPOOL, LAYER_GAP } layer_kind;

struct layer {
    const layer_ops *ops;
    layer_kind kind;
    int in_dim, out_dim;     /* per-row element counts */
    size_t off, n_params;    /* slice of the model's parameter slab */
    int frozen;              /* 1: backward adds nothing to g */
    int ref;                 /* 1: run the plain reference loops instead of
                                the fast paths (tests compare the two; see
                                model_set_reference) */
    /* geometry: dense uses din/dout; image layers use the rest */
    int din, dout;
    int C, H, W;             /* input image */
    int OC, OH, OW;          /* output image */
    int k, stride, pad;      /* kernel / pool window */
    struct conv_dnnl *dnnl;  /* conv: the oneDNN path's state (conv_dnnl.h),
                                owned; NULL: im2col + sgemm */
    int blk_in, blk_out;     /* layout of the in and out rows: 0 plain, 8 or
                                16 channel-blocked by that many (blocked.h);
                                written by the model's layout plan
                                (model.h), read by the image layers */
    int keep_plain;          /* 1: out stays plain (model_keep_plain) */
    int relu_out;            /* conv: 1 when the forward also applies the
                                ReLU that follows it (oneDNN's post-op, or
                                im2col's bias pass), writing the ReLU's
                                output; written by the model's layout plan,
                                whose walk then skips that ReLU (model.h) */
};

/* y = x W^T + b, W [dout, din] row-major (PyTorch layout), then b [dout].
 * Init: U(-1/sqrt(din), 1/sqrt(din)) for W and b, as torch.nn.Linear. */
layer *layer_dense(int din, int dout);
/* a dense layer's forward and backward with its input given by row
 * pointers: row r is xrows[r][0 .. din) (model_forward_rows). The products
 * are rsgemm_rows_ptr and rsgemm_wgrad_tree_ptr, so the bits are those of
 * the layer's own forward and backward on the gathered rows. */
void dense_forward_rows(const layer *l, const float *p, float *out, const float *const *xrows,
                        int B, float *ws);
void dense_backward_rows(const layer *l, const float *p, float *g, float *din,
                         const float *dout, const float *const *xrows, int B, float *ws);
/* f(x) = max{0, x}, elementwise over d values per row */
layer *layer_relu(int d);
/* 2-D convolution, [B,C,H,W] -> [B,OC,OH,OW], weights [OC, C, k, k] then
 * bias [OC]. Defined in conv.c. Computed with oneDNN when the build has it
 * (DETT_WITH_DNNL) and it takes the geometry, else (and with ref) im2col +
 * sgemm; the two give different bits, each deterministic (conv_dnnl.h). */
layer *layer_conv(int C, int H, int W, int OC, int k, int stride, int pad);
/* conv layer l: oneDNN path on (on != 0, if available) or off; returns 1 if
 * it is on after the call. Not a conv layer: returns 0, nothing changed. */
int layer_conv_set_dnnl(layer *l, int on);
/* k x k pooling with stride k (max or average), [B,C,H,W] -> [B,C,H/k,W/k] */
layer *layer_maxpool(int C, int H, int W, int k);
layer *layer_avgpool(int C, int H, int W, int k);
/* the backward of a ReLU and the max pooling layer pool after it, in one
 * pass (the model's backward walk fuses the pair): din[B, pool->in_dim] =
 * the gradient at the ReLU's input, from dout (at pool's output) and in
 * (pool's input, the ReLU's output). The bits of the ReLU's backward after
 * pool's, without the gradient between them. */
void maxpool_relu_backward(const layer *pool, float *din, const float *dout, const float *in,
                           int B);
/* global average pooling [B,C,H,W] -> [B,C] */
layer *layer_gap(int C, int H, int W);
/* Every constructor returns NULL on a bad argument or out of memory
 * (model_add accepts NULL and fails). */
/* frees a layer from any constructor above; NULL is fine */
void layer_free(layer *l);

#endif
