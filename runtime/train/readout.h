/* readout.h - DEDIER's early readout inside a job's training loop
 * (docs/dedier.md; the weight formula is kernels/dedier.h).
 *
 * For a method flagged MF_READOUT, a linear classifier (one dense layer,
 * initialised as torch.nn.Linear) reads the student's activations after
 * its `layer`-th ReLU (1: the first hidden layer) and learns the labels
 * with softmax cross-entropy, unweighted, on the same batches as the
 * student. The activations are detached: the readout's loss sends no
 * gradient into the student. Its gradient is accumulated per micro-shard
 * in its own tree and summed by the deterministic allreduce, and it steps
 * with its own optimiser of the job's settings (the authors' readout uses
 * the student's SGD lr, momentum and weight decay), so the readout is
 * bit-identical for every group size K, like fitnet's projector.
 *
 * After every epoch the readout classifies this rank's home training rows
 * (in chunks aligned to micro-shard starts, so each row's logits are the
 * same for every K) and the rows it gets wrong take DEDIER's weight; then
 * the readout and its optimiser state start afresh (the authors re-
 * initialise the readout before each of its training epochs). The weights
 * start at 1, so the first epoch is plain KD; they are the sample-weight
 * column of the row exchange, which the objective reads as w_i.
 *
 * In the checkpoint: readout_open wraps the caller's checkpoint hooks so
 * that the readout's parameters, its optimiser state and every training
 * row's weight travel in the checkpoint (train_state's x32, x64; layout in
 * readout_ckpt_sizes). An interrupted dedier job resumes from its last
 * checkpoint like any other and gives the same bits as an uninterrupted one.
 *
 * A readout is off (every call a no-op) for methods without MF_READOUT.
 * Ownership: everything is freed by readout_close (also after a failed
 * readout_open). Collective calls say so.
 */
#ifndef DETT_READOUT_H
#define DETT_READOUT_H
#include "allreduce.h"
#include "groupdata.h"
#include "jobspec.h"
#include "model.h"
#include "optim.h"
#include "train.h"

typedef struct {
    int on;                  /* 0: the job's method has no readout */
    int act;                 /* index into the student's model_ws act[] it reads */
    float alpha, beta;       /* DEDIER's exponent and scale */
    uint64_t seed;
    model *rm;               /* the readout: dense, width of act -> classes */
    model_ws *ws;            /* [cap] rows */
    int cap;
    float *dz, *loss;        /* [cap, C], [cap] */
    tree_acc tree;
    dar red;
    optim_cfg ocfg;
    optim *opt;
    float *w;                /* [home rows] the weights the student trains with */
    int64_t nh;
    int wrong;               /* this rank's rows the readout got wrong last epoch */
    train_inputs in;         /* the caller's inputs with sample_w = w */
    /* checkpoints: the caller's hooks (wrapped), the state in its layout */
    int (*ck_load)(void *ctx, train_state *s, dett_err *e);
    int (*ck_save)(void *ctx, const train_state *s, int forced, dett_err *e);
    void *ck_ctx;
    MPI_Comm comm;
    int64_t row0, n_all;     /* this rank's first home row; every rank's rows */
    float *ck32;             /* [nx32] */
    size_t nx32;
    double ck64[1];
    int *counts, *displs;    /* [group size] home rows per rank, their offsets */
} readout;

/* the checkpoint state of job's readout on student m with n_train
 * training rows: x32 floats (readout params [P] | optimiser m [T] | v [T] |
 * every training row's weight [n_train], in file order) and x64 doubles
 * (the optimiser's step count); 0 and 0 for a method without MF_READOUT
 * (or a layer the student lacks: readout_check refuses it). Returns 0, or
 * -1 with e set (no memory). */
int readout_ckpt_sizes(const job_spec *job, const model *m, int64_t n_train, size_t *x32,
                       size_t *x64, dett_err *e);

/* Sets r up for job (r zeroed first; off unless the method has
 * MF_READOUT) on student m, with ns local micro-shards; when on, *in is
 * replaced by a copy whose sample_w are the readout's weights (the job
 * must have no other weights) and whose checkpoint hooks (if any) wrap
 * the caller's to carry the readout's state. Collective over comm (the
 * ranks' home row counts). Returns 0, or -1 with e set (layer beyond the
 * student's hidden layers, other weights, no memory, MPI). */
int readout_open(readout *r, MPI_Comm comm, const job_spec *job, const groupdata *gd,
                 const model *m, int ns, const train_inputs **in, dett_err *e);

/* 0 if job's readout (if its method has one) can read student m, else -1
 * with e set (the layer is beyond m's hidden layers): `dett check` asks
 * this before any training. Not collective, no allocation. */
int readout_check(const job_spec *job, const model *m, dett_err *e);

/* One local micro-shard's readout step: its loss on the b rows (labels y)
 * whose student activations of layer r->act are act ([b, width], after the
 * student's forward: step_shard_act),
 * scaled by 1/N (N the step's rows), backward into the readout's tree
 * (s == 0 starts the step's tree). Call for every local shard, in order,
 * also with b == 0. Returns 0, or -1 with e set (no memory). */
int readout_shard(readout *r, int s, const float *act, const int *y, int b, int N,
                  dett_err *e);

/* after the step's shards: sums the readout's gradient over the group and
 * steps its optimiser. Collective over the job group. */
int readout_update(readout *r, dett_err *e);

/* After epoch ep: the readout reweights the home training rows it gets
 * wrong (student m as it now is), then starts afresh. Not collective.
 * Returns 0, or -1 with e set (no memory). */
int readout_epoch_end(readout *r, const groupdata *gd, const model *m, int ep, dett_err *e);

void readout_close(readout *r);

#endif
