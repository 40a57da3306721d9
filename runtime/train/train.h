/* train.h - train one job on one job group and evaluate it every epoch.
 *
 * The loop, per step: every local micro-shard takes its rows of the global
 * batch (the epoch's seeded visit list of runtime/train/sampler.h, the rows
 * brought from the ranks that hold them by rowx.h: uniform, JTT-upsampled
 * or group-balanced per job->sampler, whatever the file's row order, K or
 * M; an epoch is ceil(visits / B) steps, the last one possibly partial) and
 * runs forward; the method turns logits (and features) into
 * per-sample gradients, after a deterministic reduction of the batch
 * statistics it needs (group DRO's per-group losses); every shard runs
 * backward into the local gradient tree; the group sums the trees with the
 * deterministic allreduce; the optimiser steps. After every epoch val and
 * test are evaluated (each rank its blocks, integer counts summed).
 * Collective over the group's communicator.
 */
#ifndef DETT_TRAIN_H
#define DETT_TRAIN_H
#include "groupdata.h"
#include "jobspec.h"
#include "model.h"
#include "optim.h"

typedef struct {
    int epochs, epochs_run, G;
    double *train_loss;          /* [epochs] the method's mean objective */
    double *acc;                 /* [epochs][N_SPLITS][G]; the train slot is unused */
    double *worst, *avg, *mean;  /* [epochs][N_SPLITS] */
    int selected[N_SELECTS];     /* epoch chosen by each select_kind */
    float *params;               /* model parameters at the job's selected epoch */
    size_t n_params;
    int failed;                  /* 1: diverged (reason says where) */
    int stopped;                 /* 1: stopped on request (should_stop) after a
                                    checkpoint; the result is incomplete */
    char reason[256];
    double seconds;              /* wall time of the training loop */
    double eval_seconds;         /* of which: evaluation after each epoch */
    double fetch_seconds;        /* of which: the row exchange and gathers */
    int64_t steps;               /* steps per epoch: ceil(visits / B) */
    int64_t visits;              /* rows visited per epoch (sampler.h's V) */
} train_result;

/* where training stands, for a checkpoint (runtime/train/checkpoint.h):
 * `step` steps of epoch `epoch` are done (step == 0: the epoch has not
 * begun), their objectives summing to loss_sum; the rest is the state those
 * steps left. The row order of every later step is a function of (seed,
 * epoch), so this is all a resumed run needs to give the same bits. */
typedef struct {
    int epoch;
    int64_t step, steps;         /* steps: per epoch */
    double loss_sum;
    model *m, *proj;             /* proj may be NULL */
    optim *opt, *popt;           /* popt may be NULL */
    float *q;                    /* [G] group DRO weights */
    int G;
    train_result *res;           /* curves up to epoch, selection, snapshot */
    /* a training hook's own state, appended to the checkpoint (DEDIER's
     * readout: readout.h fills them in its checkpoint hooks); NULL, 0: none */
    float *x32;
    size_t nx32;
    double *x64;
    size_t nx64;
} train_state;

/* what a job gets from the jobs it depends on, all for this rank's train rows */
typedef struct {
    const float *sample_w;       /* [rows] loss weights (jtt, dett), NULL = 1 */
    const int *sample_rep;       /* [rows] visits per epoch (JTT's upsampling by
                                    resampling), NULL = 1 each */
    const float *t_logits;       /* [rows, C] teacher logits (kd), or NULL */
    const float *t_feats;        /* [rows, D] teacher features (fitnet, simkd, dett) */
    model *proj;                 /* fitnet's projector (trained alongside), or NULL */
    void (*on_step)(void *ctx);  /* called after every step (the scheduler polls), or NULL */
    void (*on_epoch)(void *ctx, int epoch, double val_worst);   /* after each epoch, or NULL */
    void *hook_ctx;
    /* before each step, per local micro-shard: the global training rows
     * it visits (tests count visits through it), or NULL */
    void (*on_visit)(void *ctx, const int *rows, int n);
    /* checkpoints, each NULL for none; collective over the job group.
     * ckpt_load: before the first step, restores s from the last checkpoint
     * (1), or finds none (0), -1 on failure. ckpt_save: after every epoch
     * (forced 0: it may skip it, by time) and when stopping (forced 1).
     * should_stop: after every step, 1 on every rank of the group when the
     * group must stop (it then saves and returns with res->stopped). */
    int (*ckpt_load)(void *ctx, train_state *s, dett_err *e);
    int (*ckpt_save)(void *ctx, const train_state *s, int forced, dett_err *e);
    int (*should_stop)(void *ctx);
    void *ckpt_ctx;
} train_inputs;

/* trains m (built and initialised by the caller) for job->epochs epochs;
 * res is filled (free with train_result_free). Returns -1 only on a
 * system failure (MPI, memory); divergence sets res->failed instead. */
int train_job(MPI_Comm comm, const job_spec *job, const groupdata *gd,
              const train_inputs *in, model *m, train_result *res, dett_err *e);
void train_result_free(train_result *r);

/* per-group correct counts of m on a split, summed over comm (collective) */
int train_eval(MPI_Comm comm, const model *m, const groupdata *gd, int split,
               int64_t *correct, int64_t *total, dett_err *e);

/* moves each select_kind's choice to epoch ep when ep scores higher than
 * the epoch it holds (ep == 0 always sets; earlier epochs win ties), from
 * res's val/test curves at both epochs; val_count[G] are the val rows per
 * group, G = C classes x A attributes. Returns the bit mask (1 << kind) of
 * the kinds that now choose ep. */
unsigned train_select(train_result *res, int ep, const int64_t *val_count, int C, int A);

#endif
