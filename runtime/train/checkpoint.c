/* checkpoint.c - train_state <-> /checkpoints/<hash> (see checkpoint.h) */
#define _POSIX_C_SOURCE 200809L
#include "checkpoint.h"
#include "dataset.h"
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

enum { HEAD = 10 };   /* scalars at the start of f64 */

static double wall(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

void ckpt_sizes(int E, int G, size_t P, size_t T, size_t Pp, size_t Tp, size_t X32,
                size_t X64, int64_t *n32, int64_t *n64)
{
    *n32 = (int64_t)(2 * P + Pp + 2 * T + 2 * Tp + (size_t)G + X32);
    *n64 = HEAD + (int64_t)E * (1 + N_SPLITS * G + 3 * N_SPLITS) + (int64_t)X64;
}

void ckpt_ctx_init(ckpt_ctx *c, results *res, int job, MPI_Comm comm, double every)
{
    memset(c, 0, sizeof *c);
    c->res = res;
    c->job = job;
    c->comm = comm;
    c->every = every;
    c->last = wall();
}

static void sizes_of(const train_state *s, int64_t *n32, int64_t *n64)
{
    ckpt_sizes(s->res->epochs, s->G, s->m->n_params, s->opt->n, s->proj ? s->proj->n_params : 0,
               s->popt ? s->popt->n : 0, s->nx32, s->nx64, n32, n64);
}

/* moves n floats between the checkpoint (at *at) and x; v == NULL: zeros out / skipped in */
static void mv32(float *buf, int64_t *at, float *x, size_t n, int out)
{
    if (x && out) memcpy(buf + *at, x, n * sizeof *x);
    else if (out) memset(buf + *at, 0, n * sizeof *buf);
    else if (x) memcpy(x, buf + *at, n * sizeof *x);
    *at += (int64_t)n;
}

static void mv64(double *buf, int64_t *at, double *x, size_t n, int out)
{
    if (out) memcpy(buf + *at, x, n * sizeof *x);
    else memcpy(x, buf + *at, n * sizeof *x);
    *at += (int64_t)n;
}

/* packs (out) or unpacks s <-> f32/f64 in the layout of checkpoint.h */
static void pack(train_state *s, float *f32, double *f64, int out)
{
    train_result *r = s->res;
    const size_t E = (size_t)r->epochs, G = (size_t)s->G;
    int64_t a = 0, b = HEAD;
    mv32(f32, &a, s->m->params, s->m->n_params, out);
    if (s->proj) mv32(f32, &a, s->proj->params, s->proj->n_params, out);
    mv32(f32, &a, s->opt->m, s->opt->n, out);
    mv32(f32, &a, s->opt->v, s->opt->n, out);
    if (s->popt) {
        mv32(f32, &a, s->popt->m, s->popt->n, out);
        mv32(f32, &a, s->popt->v, s->popt->n, out);
    }
    mv32(f32, &a, r->params, s->m->n_params, out);
    mv32(f32, &a, s->q, G, out);
    mv32(f32, &a, s->x32, s->nx32, out);
    mv64(f64, &b, r->train_loss, E, out);
    mv64(f64, &b, r->acc, E * N_SPLITS * G, out);
    mv64(f64, &b, r->worst, E * N_SPLITS, out);
    mv64(f64, &b, r->avg, E * N_SPLITS, out);
    mv64(f64, &b, r->mean, E * N_SPLITS, out);
    if (s->nx64) mv64(f64, &b, s->x64, s->nx64, out);
    if (out) {
        double h[HEAD] = { s->epoch, (double)s->step, s->loss_sum, (double)s->opt->t,
                           s->popt ? (double)s->popt->t : 0.0, r->selected[0], r->selected[1],
                           r->selected[2], r->epochs_run, r->selected[3] };
        memcpy(f64, h, sizeof h);
    } else {
        s->epoch = (int)f64[0];
        s->step = (int64_t)f64[1];
        s->loss_sum = f64[2];
        s->opt->t = (long)f64[3];
        if (s->popt) s->popt->t = (long)f64[4];
        for (int k = 0; k < 3; k++) r->selected[k] = (int)f64[5 + k];
        r->epochs_run = (int)f64[8];
        r->selected[3] = (int)f64[9];
    }
}

int ckpt_load(void *ctx, train_state *s, dett_err *e)
{
    ckpt_ctx *c = ctx;
    int64_t n32, n64;
    int slot = -1, rc = 0;
    int32_t mark;
    sizes_of(s, &n32, &n64);
    float *f32 = malloc((size_t)n32 * sizeof *f32 + 1);
    double *f64 = malloc((size_t)n64 * sizeof *f64);
    if (!f32 || !f64) rc = dett_fail(e, "out of memory for a checkpoint");
    /* every rank of the group reads the same slot: nobody writes meanwhile */
    if (rc == 0) rc = results_ckpt_read(c->res, c->job, &slot, &mark, f32, f64, e);
    int bad = rc != 0, any = 0;
    if (MPI_Allreduce(&bad, &any, 1, MPI_INT, MPI_MAX, c->comm) != MPI_SUCCESS)
        rc = dett_fail(e, "MPI_Allreduce failed (checkpoint)");
    else if (any && rc == 0)
        rc = dett_fail(e, "another rank of the group could not read the checkpoint");
    if (rc == 0 && slot >= 0) {
        pack(s, f32, f64, 0);
        c->slot = 1 - slot;
        c->resumed = 1;
        c->epoch = c->from_epoch = s->epoch;
        c->step = c->from_step = s->step;
    }
    free(f32);
    free(f64);
    return rc ? -1 : slot >= 0;
}

int ckpt_save(void *ctx, const train_state *s, int forced, dett_err *e)
{
    ckpt_ctx *c = ctx;
    int grank, rc = 0;
    if (c->every < 0 && !forced) return 0;
    double now = wall();
    if (!forced && c->every > 0 && now - c->last < c->every) return 0;
    c->last = now;
    c->epoch = s->epoch;
    c->step = s->step;
    if (MPI_Comm_rank(c->comm, &grank) != MPI_SUCCESS)
        return dett_fail(e, "MPI_Comm_rank failed (checkpoint)");
    if (grank != 0) return 0;   /* the state is the same on every rank */
    int64_t n32, n64;
    sizes_of(s, &n32, &n64);
    float *f32 = malloc((size_t)n32 * sizeof *f32 + 1);
    double *f64 = malloc((size_t)n64 * sizeof *f64);
    if (!f32 || !f64) {
        rc = dett_fail(e, "out of memory for a checkpoint");
    } else {
        pack((train_state *)s, f32, f64, 1);   /* out: s is only read */
        int64_t pos = (int64_t)s->epoch * s->steps + s->step + 1;
        rc = results_ckpt_write(c->res, c->job, c->slot, (int32_t)(pos > INT32_MAX ? INT32_MAX : pos),
                                f32, f64, e);
        if (rc == 0) {
            c->slot = 1 - c->slot;
            c->saves++;
        }
    }
    free(f32);
    free(f64);
    return rc;
}
