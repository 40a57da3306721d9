/* stacked.h - forward and backward over the stacked rows of several
 * micro-shards, with the bits of one call per shard.
 *
 * A rank's ns micro-shards of a step are laid one after the other in one
 * model_ws (shard s: rows [off[s], off[s + 1])). The results are those of
 * ns separate model_forward / model_backward calls, one per shard, each
 * backward into its own zeroed gradient, the gradients summed by the
 * balanced binary tree over shard index (runtime/dist/allreduce.h's
 * tree_acc): ((g0 + g1) + (g2 + g3)) + ... per element. So they do not
 * depend on how many shards a rank holds (K = 1, 2, 4 ranks).
 *
 * How: dense layers compute with the row-stable GEMM (rsgemm.h): every
 * output element is one fma chain in a fixed order, so a row's bits do not
 * depend on how many rows a call has or where the row sits. The forward and
 * the input gradient therefore run once over all stacked rows (the weights
 * packed once per step), with each row's bits those of its own shard's
 * call. Each dense weight gradient is built in one pass by
 * rsgemm_wgrad_tree: per output tile, each shard's row sum in registers,
 * the shards combined by the binary counter of the tree, written once (no
 * whole-size per-shard buffers). Bias sums use a small counter of dout-wide
 * partials on the scratch; ReLU and the joining of feature gradients run
 * once over all rows (elementwise).
 *
 * Only models made of dense and ReLU layers (MLPs, projectors) are handled:
 * model_stackable says so; other models (convolutions) keep the per-shard
 * model_backward. Pure computation; no state.
 */
#ifndef DETT_STACKED_H
#define DETT_STACKED_H
#include "model.h"
#include <stddef.h>

/* 1 if every layer of m is dense or ReLU (the functions below take it),
 * else 0 */
int model_stackable(const model *m);

/* floats of scratch model_backward_shards needs for ns shards of m; the
 * scratch must be allocated zeroed (calloc) and is left zero by every call */
size_t stacked_scratch_floats(const model *m, int ns);

/* The forward of stacked shards is model_forward over all B = off[ns]
 * rows: dense layers are row-stable (rsgemm.h), so each row has its own
 * shard's bits whatever call it is in. model_forward_rows (model.h) takes
 * the rows by pointer instead (the training step: no gather of the inputs);
 * model_backward_shards then reads the first layer's input through them. */

/* Backward of the last model_forward on w over B = off[ns] stacked rows.
 * g[0 .. n_trainable) is WRITTEN (not accumulated): each trainable layer's
 * slice receives the tree sum over the ns shards (ns a power of two) of the
 * shard's own gradient; slices of trainable layers the walk skips (the head
 * when dlogits is NULL) are set to zero. dlogits [B, n_classes], dfeat
 * [B, feat_dim] and dx [B, in_dim] as in model_backward. A shard with no
 * rows contributes nothing (as the tree's exact zeros). scratch: as
 * stacked_scratch_floats(m, ns). m must be model_stackable. */
void model_backward_shards(const model *m, model_ws *w, float *g, const float *dlogits,
                           const float *dfeat, const int *off, int ns, float *dx,
                           float *scratch);

#endif
