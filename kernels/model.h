/* model.h - a sequential model: layers over one parameter slab.
 *
 * The last layer is the head (a dense layer producing logits); its input is
 * the model's "features" (penultimate activations), where feature losses
 * (FitNet, SimKD, DeTT) attach. Frozen layers (a transplanted teacher head)
 * must form a tail of the model: parameters [0, n_trainable) are trained,
 * [n_trainable, n_params) are not, so optimisers and allreduces work on a
 * prefix of the slab.
 *
 * Ownership: model_free frees the layers it was given and its slab.
 * Activations live in a model_ws (one per concurrent batch), not in the model,
 * so one model can run several micro-shards before any backward.
 */
#ifndef DETT_MODEL_H
#define DETT_MODEL_H
#include "layer.h"

typedef struct {
    int n_layers, cap;
    layer **layers;          /* owned */
    size_t n_params;         /* slab length in floats */
    size_t n_trainable;      /* trained prefix of the slab */
    float *params;           /* owned slab, n_params floats */
    int in_dim;              /* elements per input row */
    int n_classes;           /* out_dim of the head */
    int feat_dim;            /* in_dim of the head */
    int layout;              /* MODEL_LAYOUT_*: which activations may be
                                channel-blocked (below) */
    int blk;                 /* their block: 0 the CPU's, or 8, 16 (below) */
} model;

/* Layouts. Between two oneDNN convolutions (or a convolution and the global
 * average pooling) the activations stay in oneDNN's channel-blocked layout
 * (blocked.h) through ReLU and max pooling instead of being reordered to
 * [C, H, W] and back at every layer; the result bits are the same either
 * way. model_forward plans this before it runs (layer.h blk_in, blk_out):
 * a convolution's output is blocked when its channels are a multiple of
 * the block (by default blk_preferred(), the one oneDNN's convolutions use
 * on this CPU: 16 on AVX-512, else 8), it runs through oneDNN (not ref,
 * not im2col), and every layer up to the next such convolution or global
 * average pooling is a ReLU or a max pooling whose output is not kept
 * plain. The input, the features and
 * the logits are always plain; so is any act[i] passed to model_keep_plain. */
enum { MODEL_LAYOUT_PLAIN = 0,   /* every activation plain */
       MODEL_LAYOUT_AUTO = 1,    /* the default: blocked where it saves reorders */
       MODEL_LAYOUT_FORCE = 2 }; /* blocked also around im2col convolutions,
                                    same block (tests: the im2col path's
                                    conversions) */
/* sets m's layout mode (MODEL_LAYOUT_*) */
void model_set_layout(model *m, int mode);
/* sets the block of m's blocked activations: 8 or 16, or 0 (the default)
 * for blk_preferred(); tests use it to run both blocks on any CPU (a block
 * oneDNN does not use on this CPU costs reorders, never bits) */
void model_set_block(model *m, int blk);
/* keeps act[i] (the output of layer i - 1, 1 <= i <= n_layers) plain, for a
 * caller that reads it by element (DEDIER's readout) */
void model_keep_plain(model *m, int i);

typedef struct {
    int Bmax;
    int n_layers;    /* act has n_layers + 1 entries */
    float **act;     /* act[0]: the input (not owned; NULL after
                        model_forward_rows); act[i+1]: out of layer i,
                        except a convolution's followed by a ReLU
                        (neither ref, the convolution's output not kept
                        plain): that convolution applies the ReLU as it
                        writes act[i+2] and act[i+1] is not written */
    const float *const *xrows;   /* model_forward_rows: the input's row
                                    pointers (not owned), else NULL */
    float *d[2];     /* ping-pong buffers for backward */
    float *ws;       /* layer workspace */
} model_ws;

/* an empty model; NULL on allocation failure */
model *model_new(void);
/* appends l, taking ownership (freed even on failure); 0 ok, -1 if l is NULL,
 * the widths do not chain, or memory runs out */
int model_add(model *m, layer *l);
/* assigns slab offsets and allocates the zeroed slab; 0 ok, -1 on failure */
int model_finalize(model *m);
/* every layer's parameters from (seed, stream = layer index + stream0) */
void model_init(model *m, uint64_t seed, uint64_t stream0);
/* freezes layers [first, n_layers): they must be the tail */
void model_freeze_from(model *m, int first);
void model_free(model *m);
/* on = 1: every layer runs its plain reference loops (layer.h `ref`), the
 * code the fast paths are tested against; on = 0 (the default): fast paths */
void model_set_reference(model *m, int on);

/* MLP: in -> (dense, relu) per width -> dense(n_classes); finalized, not
 * initialised. NULL on failure. */
model *model_mlp(int in_dim, const int *widths, int n_widths, int n_classes);

model_ws *model_ws_new(const model *m, int Bmax);
void model_ws_free(model_ws *w);

/* logits[B, n_classes] of x[B, in_dim]; the pointer is into w (don't free) */
const float *model_forward(const model *m, model_ws *w, const float *x, int B);
/* 1 if m can take its input by row pointers (model_forward_rows): its
 * first layer is dense and is not the head (the features are not the
 * input); else 0 */
int model_rows_input(const model *m);
/* model_forward with the input given by row pointers: row r of the input is
 * xrows[r][0 .. in_dim); rows may repeat. Nothing is copied: the first
 * (dense) layer reads the rows in place (rsgemm_rows_ptr), with the bits of
 * model_forward on the gathered rows. The pointers (the array and the rows)
 * must stay valid until the backward, which reads the first layer's input
 * through them (model_backward, model_backward_shards: the same bits as
 * after model_forward). act[0] is NULL until the next model_forward. m must
 * be model_rows_input. */
const float *model_forward_rows(const model *m, model_ws *w, const float *const *xrows, int B);
/* features[B, feat_dim] of the last forward (into w) */
const float *model_features(const model *m, const model_ws *w);
/* g[0..n_params) += d loss/d params for the last forward on w.
 * dlogits [B, n_classes] may be NULL (no loss on the logits: the head is
 * skipped); dfeat [B, feat_dim] may be NULL (no feature loss).
 * dx [B, in_dim], if not NULL, receives d loss/d input (for a model that
 * feeds on another's output, such as FitNet's projector). */
void model_backward(const model *m, model_ws *w, float *g,
                    const float *dlogits, const float *dfeat, int B, float *dx);

/* one layer's backward step, as layer_ops.backward plus the caller's ctx */
typedef void (*layer_backward_fn)(const layer *l, const float *p, float *g, float *din,
                                  const float *dout, const float *in, const float *out,
                                  int B, float *ws, void *ctx);
/* model_backward with every layer's step done by bwd (model_backward itself
 * passes each layer's own ops->backward): the same walk from the head down,
 * the same joining of dfeat into the features' gradient. Layers the walk
 * skips (the head without dlogits; everything without dlogits and dfeat)
 * are not passed to bwd, nor is a ReLU followed by a max pooling layer
 * (neither in reference mode): the walk runs that pair, which has no
 * parameters, in one pass (maxpool_relu_backward, layer.h; the same bits
 * as the two backwards one after the other). */
void model_backward_by(const model *m, model_ws *w, float *g, const float *dlogits,
                       const float *dfeat, int B, float *dx, layer_backward_fn bwd,
                       void *ctx);

#endif
