/* readout.c - DEDIER's early readout in the training loop (see readout.h). */
#include "readout.h"
#include "dedier.h"
#include "loss.h"
#include "method.h"
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#define READOUT_CHUNK 256         /* rows per forward when reweighting */
#define READOUT_STREAM 3000       /* rng streams of the readout's inits */

/* index into act[] of the output of m's k-th ReLU (k >= 1) before the
 * head, or -1 if m has fewer */
static int relu_act(const model *m, int k)
{
    for (int i = 0; i + 1 < m->n_layers; i++)
        if (m->layers[i]->kind == LAYER_RELU && --k == 0) return i + 1;
    return -1;
}

int readout_check(const job_spec *job, const model *m, dett_err *e)
{
    const method_def *def = method_get(job->method.kind);
    if (!def || !(def->flags & MF_READOUT)) return 0;
    const int layer = (int)job->method.arg[4];
    if (relu_act(m, layer) < 0)
        return dett_fail(e, "%s: %s reads layer %d but the student has fewer hidden layers",
                         job->id, def->name, layer);
    return 0;
}

/* the readout's parameters and optimiser state for epoch ep (-1: the
 * first), from the job's seed */
static int readout_fresh(readout *r, int ep, dett_err *e)
{
    model_init(r->rm, r->seed, READOUT_STREAM + (uint64_t)(ep + 1));
    optim_free(r->opt);
    r->opt = optim_new(r->ocfg, r->rm->n_trainable);
    CHECK_ALLOC(e, r->opt);
    return 0;
fail:
    return -1;
}

/* room for b rows in the step buffers */
static int readout_room(readout *r, int b, dett_err *e)
{
    if (b <= r->cap) return 0;
    const int C = r->rm->n_classes;
    model_ws_free(r->ws);
    free(r->dz); free(r->loss);
    r->ws = model_ws_new(r->rm, b);
    r->dz = malloc(sizeof(float) * (size_t)b * C);
    r->loss = malloc(sizeof(float) * (size_t)b);
    r->cap = 0;
    CHECK_ALLOC(e, r->ws); CHECK_ALLOC(e, r->dz); CHECK_ALLOC(e, r->loss);
    r->cap = b;
    return 0;
fail:
    return -1;
}

int readout_ckpt_sizes(const job_spec *job, const model *m, int64_t n_train, size_t *x32,
                       size_t *x64, dett_err *e)
{
    const method_def *def = method_get(job->method.kind);
    *x32 = *x64 = 0;
    if (!def || !(def->flags & MF_READOUT)) return 0;
    const int act = relu_act(m, (int)job->method.arg[4]);
    if (act < 0) return 0;
    model *rm = model_mlp(m->layers[act - 1]->out_dim, NULL, 0, m->n_classes);
    if (!rm) return dett_fail(e, "out of memory (readout checkpoint sizes)");
    *x32 = rm->n_params + 2 * rm->n_trainable + (size_t)n_train;
    *x64 = 1;
    model_free(rm);
    return 0;
}

/* moves n floats between the checkpoint state (at *at) and x (NULL: zeros
 * out, skipped in) */
static void ck_move(float *ck, size_t *at, float *x, size_t n, int out)
{
    if (out && x) memcpy(ck + *at, x, n * sizeof *x);
    else if (out) memset(ck + *at, 0, n * sizeof *ck);
    else if (x) memcpy(x, ck + *at, n * sizeof *x);
    *at += n;
}

/* the readout's parameters and optimiser state <-> r->ck32/ck64 (out: into
 * the checkpoint). The weights are the caller's: they differ per rank. */
static size_t ck_model(readout *r, int out)
{
    size_t at = 0;
    ck_move(r->ck32, &at, r->rm->params, r->rm->n_params, out);
    ck_move(r->ck32, &at, r->opt->m, r->opt->n, out);
    ck_move(r->ck32, &at, r->opt->v, r->opt->n, out);
    if (out) r->ck64[0] = (double)r->opt->t;
    else r->opt->t = (long)r->ck64[0];
    return at;
}

/* train_inputs.ckpt_save around the caller's: every rank's weights are
 * gathered into group rank 0's state (in file order), then the caller's
 * hook saves it with the rest. Collective over the job group (as every
 * ckpt_save call is). */
static int readout_ckpt_save(void *ctx, const train_state *s, int forced, dett_err *e)
{
    readout *r = ctx;
    size_t at = ck_model(r, 1);
    if (MPI_Gatherv(r->w, (int)r->nh, MPI_FLOAT, r->ck32 + at, r->counts, r->displs, MPI_FLOAT,
                    0, r->comm) != MPI_SUCCESS)
        return dett_fail(e, "MPI_Gatherv failed (the readout's weights for a checkpoint)");
    train_state t = *s;
    t.x32 = r->ck32;
    t.nx32 = r->nx32;
    t.x64 = r->ck64;
    t.nx64 = 1;
    return r->ck_save(r->ck_ctx, &t, forced, e);
}

/* train_inputs.ckpt_load around the caller's: a restored state sets the
 * readout and this rank's weights (every rank reads the whole state) */
static int readout_ckpt_load(void *ctx, train_state *s, dett_err *e)
{
    readout *r = ctx;
    s->x32 = r->ck32;
    s->nx32 = r->nx32;
    s->x64 = r->ck64;
    s->nx64 = 1;
    int got = r->ck_load(r->ck_ctx, s, e);
    if (got == 1) {
        size_t at = ck_model(r, 0);
        memcpy(r->w, r->ck32 + at + r->row0, (size_t)r->nh * sizeof *r->w);
    }
    return got;
}

/* the ranks' home row counts and offsets for the checkpoint's gather, and
 * room for the state. Collective over comm. */
static int readout_ckpt_open(readout *r, MPI_Comm comm, const groupdata *gd, dett_err *e)
{
    int size = 0;
    int64_t mine[2] = { gd->train.row0, gd->train.n };
    r->comm = comm;
    r->row0 = gd->train.row0;
    r->n_all = gd->info.n[SPLIT_TRAIN];
    if (r->n_all > INT_MAX) return dett_fail(e, "%lld training rows: at most %d with a readout "
                                             "checkpoint", (long long)r->n_all, INT_MAX);
    if (MPI_Comm_size(comm, &size) != MPI_SUCCESS)
        return dett_fail(e, "MPI_Comm_size failed (readout)");
    int64_t *all = malloc(sizeof *all * 2 * (size_t)size);
    r->counts = malloc(sizeof *r->counts * (size_t)size);
    r->displs = malloc(sizeof *r->displs * (size_t)size);
    r->nx32 = r->rm->n_params + 2 * r->rm->n_trainable + (size_t)r->n_all;
    r->ck32 = malloc(sizeof *r->ck32 * r->nx32);
    if (!all || !r->counts || !r->displs || !r->ck32) {
        free(all);
        return dett_fail(e, "out of memory (readout checkpoint)");
    }
    if (MPI_Allgather(mine, 2, MPI_INT64_T, all, 2, MPI_INT64_T, comm) != MPI_SUCCESS) {
        free(all);
        return dett_fail(e, "MPI_Allgather failed (readout)");
    }
    for (int k = 0; k < size; k++) {
        r->displs[k] = (int)all[2 * k];
        r->counts[k] = (int)all[2 * k + 1];
    }
    free(all);
    return 0;
}

int readout_open(readout *r, MPI_Comm comm, const job_spec *job, const groupdata *gd,
                 const model *m, int ns, const train_inputs **in, dett_err *e)
{
    const method_def *def = method_get(job->method.kind);
    memset(r, 0, sizeof *r);
    if (!def || !(def->flags & MF_READOUT)) return 0;
    r->on = 1;
    const int layer = (int)job->method.arg[4];
    r->alpha = job->method.arg[2];
    r->beta = job->method.arg[3];
    r->seed = job->seed;
    r->ocfg = job->optim;
    CHECK(readout_check(job, m, e));
    r->act = relu_act(m, layer);
    if (*in && ((*in)->sample_w || (*in)->sample_rep))
        return dett_fail(e, "%s: %s makes its own sample weights; the job has others",
                         job->id, def->name);
    const int H = m->layers[r->act - 1]->out_dim;
    r->rm = model_mlp(H, NULL, 0, m->n_classes);
    CHECK_ALLOC(e, r->rm);
    r->nh = gd->train.n;
    r->w = malloc(sizeof(float) * (size_t)(r->nh ? r->nh : 1));
    CHECK_ALLOC(e, r->w);
    for (int64_t i = 0; i < r->nh; i++) r->w[i] = 1.0f;
    CHECK(tree_init(&r->tree, r->rm->n_trainable, ns, e));
    CHECK(dar_init(&r->red, comm, r->rm->n_trainable, DAR_AUTO, e));
    CHECK(readout_fresh(r, -1, e));
    CHECK(readout_ckpt_open(r, comm, gd, e));
    if (*in) r->in = **in;
    r->in.sample_w = r->w;
    /* the checkpoint carries the readout and the weights: the caller's
     * hooks, wrapped */
    r->ck_load = r->in.ckpt_load;
    r->ck_save = r->in.ckpt_save;
    r->ck_ctx = r->in.ckpt_ctx;
    r->in.ckpt_load = r->ck_load ? readout_ckpt_load : NULL;
    r->in.ckpt_save = r->ck_save ? readout_ckpt_save : NULL;
    r->in.ckpt_ctx = r;
    *in = &r->in;
    return 0;
fail:
    return -1;
}

int readout_shard(readout *r, int s, const float *act, const int *y, int b, int N,
                  dett_err *e)
{
    if (!r->on) return 0;
    if (s == 0) tree_reset(&r->tree);
    float *g = tree_next(&r->tree);
    if (b > 0) {
        CHECK(readout_room(r, b, e));
        /* the student's activations are read, never written: detached */
        const float *z = model_forward(r->rm, r->ws, act, b);
        loss_xent(r->dz, r->loss, z, y, NULL, b, r->rm->n_classes, 1.0f / (float)N);
        model_backward(r->rm, r->ws, g, r->dz, NULL, b, NULL);
    }
    tree_push(&r->tree);
    return 0;
fail:
    return -1;
}

int readout_update(readout *r, dett_err *e)
{
    if (!r->on) return 0;
    float *g = tree_result(&r->tree);
    CHECK(dar_allreduce(&r->red, g, e));
    optim_step(r->opt, r->rm->params, g);
    return 0;
fail:
    return -1;
}

int readout_epoch_end(readout *r, const groupdata *gd, const model *m, int ep, dett_err *e)
{
    if (!r->on) return 0;
    const shard_plan *p = &gd->plan;
    const int d = gd->info.d, C = m->n_classes;
    int y[READOUT_CHUNK];
    model_ws *sws = model_ws_new(m, READOUT_CHUNK);
    CHECK_ALLOC(e, sws);
    CHECK(readout_room(r, READOUT_CHUNK, e));
    r->wrong = 0;
    const int64_t base = shard_row0(p, p->s0);
    for (int s = p->s0; s < p->s1; s++) {
        int64_t lo = shard_row0(p, s) - base, hi = lo + shard_rows(p, s);
        for (int64_t i = lo; i < hi; i += READOUT_CHUNK) {
            int b = (int)(hi - i < READOUT_CHUNK ? hi - i : READOUT_CHUNK);
            model_forward(m, sws, gd->train.X + i * d, b);
            const float *z = model_forward(r->rm, r->ws, sws->act[r->act], b);
            for (int k = 0; k < b; k++) y[k] = gd->train.y[i + k];
            r->wrong += dedier_reweight(r->w + i, z, y, b, C, r->alpha, r->beta);
        }
    }
    model_ws_free(sws);
    return readout_fresh(r, ep, e);
fail:
    model_ws_free(sws);
    return -1;
}

void readout_close(readout *r)
{
    model_free(r->rm);
    model_ws_free(r->ws);
    free(r->dz); free(r->loss); free(r->w);
    free(r->ck32); free(r->counts); free(r->displs);
    tree_free(&r->tree);
    dar_free(&r->red);
    optim_free(r->opt);
    memset(r, 0, sizeof *r);
}
