/* checkpoint.h - a running job's state into and out of the results file.
 *
 * A checkpoint (train.h's train_state) is two flat arrays stored in
 * /checkpoints/<hash> (runtime/io/results.h, results_ckpt_*), laid out as
 *   f32: params [P] | projector params [Pp] | optimiser m [T] | v [T] |
 *        projector optimiser m [Tp] | v [Tp] | selected snapshot [P] | q [G] |
 *        a hook's state [X32]
 *   f64: epoch, step, loss_sum, opt.t, popt.t, selected[0..2], epochs_run,
 *        selected[3] |
 *        train_loss [E] | acc [E, 3, G] | worst, avg, mean [E, 3] each |
 *        a hook's state [X64]
 * (T, Tp: the trainable prefixes the optimisers update; X32, X64: train_state's
 * x32 and x64, DEDIER's readout (readout.h), 0 for every other method). The RNG needs no
 * state: every row order is drawn from (seed, epoch). Group rank 0 writes,
 * alternately into the two slots, at most every `every` seconds after an
 * epoch (0: every epoch) and always when stopping; every rank of the group
 * reads the same slot on resume.
 */
#ifndef DETT_CHECKPOINT_H
#define DETT_CHECKPOINT_H
#include "results.h"
#include "train.h"
#include <mpi.h>

/* the sizes of a job's checkpoint arrays: E epochs of training, G groups, P
 * params of which T trainable, a projector of Pp params (Tp trainable), a
 * hook's state of X32 floats and X64 doubles */
void ckpt_sizes(int E, int G, size_t P, size_t T, size_t Pp, size_t Tp, size_t X32,
                size_t X64, int64_t *n32, int64_t *n64);

typedef struct {
    results *res;
    int job;             /* index in the results' job list */
    MPI_Comm comm;       /* the job group */
    double every;        /* seconds between checkpoints; 0: every epoch; < 0: never */
    double last;         /* wall clock of the last save (or of the start) */
    int slot;            /* the slot to write next */
    int resumed;         /* 1: ckpt_load restored a state */
    int saves;           /* checkpoints written by this process */
    int epoch;           /* position of the last save or restore (messages) */
    int64_t step;
    int from_epoch;      /* position restored by ckpt_load */
    int64_t from_step;
} ckpt_ctx;

/* a context for job (every: --checkpoint-every) */
void ckpt_ctx_init(ckpt_ctx *c, results *res, int job, MPI_Comm comm, double every);
/* train_inputs hooks (ctx: a ckpt_ctx) */
int ckpt_load(void *ctx, train_state *s, dett_err *e);
int ckpt_save(void *ctx, const train_state *s, int forced, dett_err *e);

#endif
