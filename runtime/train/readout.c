/* readout.c - DEDIER's early readout in the training loop (see readout.h). */
#include "readout.h"
#include "dedier.h"
#include "loss.h"
#include "method.h"
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
    if (*in) r->in = **in;
    r->in.sample_w = r->w;
    /* the readout and the weights are not in the checkpoint format: a
     * dedier job interrupted restarts from its first epoch, never from a
     * checkpoint that would lack them (the same bits either way) */
    r->in.ckpt_load = NULL;
    r->in.ckpt_save = NULL;
    *in = &r->in;
    return 0;
fail:
    return -1;
}

int readout_shard(readout *r, int s, const model_ws *ws, const int *y, int b, int N,
                  dett_err *e)
{
    if (!r->on) return 0;
    if (s == 0) tree_reset(&r->tree);
    float *g = tree_next(&r->tree);
    if (b > 0) {
        CHECK(readout_room(r, b, e));
        /* the student's activations are read, never written: detached */
        const float *z = model_forward(r->rm, r->ws, ws->act[r->act], b);
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
    tree_free(&r->tree);
    dar_free(&r->red);
    optim_free(r->opt);
    memset(r, 0, sizeof *r);
}
