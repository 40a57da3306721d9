/* optshard.h - a model's optimiser step over a job group, sharded (ZeRO-1).
 *
 * Every rank holds the whole parameter vector and, after backward, its
 * partial gradient (the tree sum of its micro-shards). The unsharded step
 * sums the gradient on every rank (dar_allreduce) and every rank steps all
 * n parameters. The sharded step reduce-scatters the gradient instead, so
 * rank j gets the group's total only for its contiguous chunk
 * [j n / K, (j + 1) n / K) (allreduce.h's sharded form), steps that chunk
 * with optimiser state for that chunk alone, and allgathers the updated
 * parameters. The optimisers (kernels/optim.h) are elementwise and the
 * reduce-scatter sums every element by the allreduce's tree, so both give
 * the same bits at every K; the sharded one does 1/K of the optimiser's
 * work and keeps 1/K of its state.
 *
 * Sharded when the group has more than one rank, unless DETT_SHARDED_OPT=0
 * (1 forces the default; another value is an error); rank 0's choice is
 * used by all. Checkpoints hold the whole state: optshard_full gathers it,
 * optshard_take puts a restored one back.
 */
#ifndef DETT_OPTSHARD_H
#define DETT_OPTSHARD_H
#include "allreduce.h"
#include "err.h"
#include "optim.h"
#include <mpi.h>

typedef struct {
    dar red;           /* the gradient's sum over the group */
    optim *opt;        /* state for parameters [lo, hi) */
    size_t n, lo, hi;  /* n: parameters stepped (the trainable prefix) */
    int sharded;       /* 0: [lo, hi) = [0, n) on every rank */
} optshard;

/* Collective over comm. Returns 0, or -1 with e set (group size not a
 * power of two, a bad DETT_SHARDED_OPT, no memory, MPI); s is freed then. */
int optshard_init(optshard *s, MPI_Comm comm, optim_cfg cfg, size_t n, dett_err *e);
void optshard_free(optshard *s);

/* one step of params[0..n) from this rank's partial gradient grad[0..n)
 * (overwritten); params are the same on every rank after it. Collective. */
int optshard_step(optshard *s, float *params, float *grad, dett_err *e);

/* the whole optimiser state (n parameters, the step count) on every rank:
 * s->opt itself when not sharded, else a new optim gathered from every
 * rank's chunk. Release it with optshard_done. Collective. NULL on
 * failure (on every rank when one has no memory), with e set. */
optim *optshard_full(optshard *s, dett_err *e);
void optshard_done(optshard *s, optim *full);
/* an optim of n parameters to restore a checkpoint into (s->opt when not
 * sharded), then optshard_take copies this rank's chunk of it and its step
 * count into s and releases it (optshard_done releases it unused).
 * Collective (the ranks agree on the allocation); NULL with e set when a
 * rank has no memory. */
optim *optshard_blank(optshard *s, dett_err *e);
void optshard_take(optshard *s, optim *full);

#endif
