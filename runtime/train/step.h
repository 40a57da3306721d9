/* step.h - a rank's buffers for one training step and its forward and
 * backward passes (train.c runs the loop around them).
 *
 * The rank's ns micro-shards of a step are stacked: shard s's rows are rows
 * [off[s], off[s] + b_s) of one set of buffers (off[s] = b_0 + .. b_{s-1}),
 * and each shard_work is a view of its rows. Two ways to run them, with
 * the same bits (tests/test_stacked.c, bench_step --bits):
 *  - stacked (the default when every layer of the model, and of the
 *    projector, is dense or ReLU: kernels/stacked.h): model_forward
 *    and model_backward_shards over the stack: every dense layer runs once
 *    over all rows (the row-stable GEMM of kernels/rsgemm.h), and builds
 *    the tree sum of the shards' weight gradients tile by tile, without a
 *    zeroed whole-model gradient per shard;
 *  - per shard (convolutional models, or DETT_STEP=pershard): a forward and
 *    a model_backward per shard, each into its own buffer of the tree_acc
 *    (runtime/dist/allreduce.h).
 * In the stacked mode with a dense first layer (model_rows_input), the
 * inputs are not copied: each shard's xr holds pointers to its rows where
 * the row exchange left them (rowx_field: valid through the step), and the
 * first layer reads them in place (model_forward_rows; the same bits).
 * Either way a row's results do not depend on the rows it is computed with
 * (dense layers: one fma chain per element; convolutions: per shard, same
 * shapes on every rank count), and the gradient is the tree over shards,
 * so results are the same for K = 1, 2, 4.
 *
 * Ownership: step_work owns every buffer; step_work_free releases them.
 */
#ifndef DETT_STEP_H
#define DETT_STEP_H
#include "allreduce.h"
#include "err.h"
#include "model.h"

/* one local micro-shard's rows of a step: views of the stacked buffers */
typedef struct {
    int b;              /* rows this step (0 .. cap) */
    int off;            /* first row in the rank's stack */
    float *x;           /* [b, d] inputs, or NULL when xr is not */
    const float **xr;   /* [b] the inputs' row pointers, or NULL (step.h) */
    int *y, *grp;       /* [b] label, group */
    float *w;           /* [b] per-sample loss weight */
    float *loss;        /* [b] per-sample loss */
    float *tmp;         /* [b] the objective's scratch */
    float *dz;          /* [b, C] d loss / d logits */
    float *df;          /* [b, F] d loss / d features (or projector output) */
    float *dfs;         /* [b, Fs] fitnet: d loss / d student features */
    float *tz, *tf;     /* [b, C], [b, F] teacher logits and features */
    const float *z;     /* [b, C] logits, after step_forward */
    const float *f;     /* [b, F] features or projector output, after step_forward */
    model_ws *ws, *pws; /* per-shard mode: this shard's activations */
} shard_work;

typedef struct {
    int ns, cap;        /* local shards, rows a shard can have in a step */
    int stacked;        /* 1: one pass over the stack; 0: per shard */
    int xrows;          /* 1: the inputs by row pointers (xr), not copied */
    int d, C, F, Fs, TF;    /* widths: input, logits, F, student features, teacher features */
    shard_work *sw;     /* [ns] */
    int *off;           /* [ns + 1] */
    float *x, *w, *loss, *tmp, *dz, *df, *dfs, *tz, *tf;   /* [ns cap, width] */
    const float **xr;   /* xrows: [ns cap] row pointers (x is NULL) */
    int *y, *grp;
    model_ws *ws, *pws; /* stacked: activations of all rows */
    float *grad, *pgrad;        /* stacked: the rank's gradient sums */
    float *scratch, *pscratch;  /* stacked: model_backward_shards' scratch */
    tree_acc tree, ptree;       /* per shard: the gradient trees */
} step_work;

/* Allocates the buffers of ns shards of at most cap rows each for model m
 * (and projector proj, may be NULL) on rows of d inputs, teacher features of
 * width tfeat_dim. The mode: stacked when both models are model_stackable,
 * unless DETT_STEP=pershard ("stacked" or unset: the default; another value
 * is an error). Returns 0, or -1 with e set. */
int step_work_init(step_work *st, int ns, int cap, int d, const model *m, const model *proj,
                   int tfeat_dim, dett_err *e);
void step_work_free(step_work *st);

/* shard s (local index; call for s = 0, 1, .. in order) has b rows this
 * step: sets its views at the end of the stack so far. The caller then
 * fills the shard's x rows, or, when its xr is not NULL, points xr[i] at
 * row i (which must stay valid until step_backward returns). */
void step_place(step_work *st, int s, int b);

/* forward of every local shard's rows (logits, features, projector) */
void step_forward(step_work *st, const model *m, const model *proj);

/* the rows of activation i (0: input, i: out of layer i - 1) of local
 * shard s after step_forward, [b, width of act i]: shard s's view (e.g.
 * an early layer's activations for a method that reads them); i = 0 is
 * NULL when the inputs are taken by row pointers (st->xrows) */
const float *step_shard_act(const step_work *st, const model *m, int s, int i);

/* Backward of every local shard: dz (if use_dz) and df (if use_df) of the
 * shards' views, through the projector (if any) into the model. Returns
 * the rank's tree sum over its shards of the model's gradient
 * (n_trainable floats, owned by st, valid until the next step) and sets
 * *pgrad to the projector's (or NULL). */
float *step_backward(step_work *st, const model *m, const model *proj, int use_dz, int use_df,
                     float **pgrad);

#endif
