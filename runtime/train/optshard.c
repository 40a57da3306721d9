/* optshard.c - the sharded optimiser step (see optshard.h). */
#include "optshard.h"
#include <stdlib.h>
#include <string.h>

/* the group's choice: sharded unless one rank or DETT_SHARDED_OPT=0; rank 0's
 * value, so that an environment that differs between ranks cannot make
 * them run different collectives */
static int choose_sharded(MPI_Comm comm, int K, dett_err *e)
{
    const char *env = getenv("DETT_SHARDED_OPT");   /* same bits either way */
    int on = K > 1, bad = 0;
    if (env && *env) {
        if (!strcmp(env, "0")) on = 0;
        else if (strcmp(env, "1")) bad = 1;
    }
    int v[2] = { on, bad };
    CHECK_MPI(e, MPI_Bcast(v, 2, MPI_INT, 0, comm));
    if (v[1]) return dett_fail(e, "DETT_SHARDED_OPT=%s: expected 0 or 1", env ? env : "");
    return v[0];
fail:
    return -1;
}

int optshard_init(optshard *s, MPI_Comm comm, optim_cfg cfg, size_t n, dett_err *e)
{
    memset(s, 0, sizeof *s);
    s->n = n;
    CHECK(dar_init(&s->red, comm, n, DAR_AUTO, e));
    s->sharded = choose_sharded(comm, s->red.size, e);
    if (s->sharded < 0) goto fail;
    s->lo = 0;
    s->hi = n;
    if (s->sharded) dar_chunk(&s->red, s->red.rank, &s->lo, &s->hi);
    s->opt = optim_new(cfg, s->hi - s->lo);
    CHECK_ALLOC(e, s->opt);
    return 0;
fail:
    optshard_free(s);
    return -1;
}

void optshard_free(optshard *s)
{
    dar_free(&s->red);
    optim_free(s->opt);
    memset(s, 0, sizeof *s);
}

int optshard_step(optshard *s, float *params, float *grad, dett_err *e)
{
    if (!s->sharded) {
        CHECK(dar_allreduce(&s->red, grad, e));
        optim_step(s->opt, params, grad);
        return 0;
    }
    CHECK(dar_reduce_scatter(&s->red, grad, e));
    optim_step(s->opt, params + s->lo, grad + s->lo);
    CHECK(dar_allgather(&s->red, params, e));
    return 0;
fail:
    return -1;
}

/* gathers every rank's chunk of one state vector (mine: this rank's) into
 * all[0..n) on every rank */
static int gather_state(optshard *s, const float *mine, float *all, dett_err *e)
{
    memcpy(all + s->lo, mine, sizeof(float) * (s->hi - s->lo));
    return dar_allgather(&s->red, all, e);
}

/* 1 if every rank of the group has ok set, 0 if one has not, -1 on an MPI
 * failure (e set) */
static int all_ok(optshard *s, int ok, dett_err *e)
{
    int all = 0;
    CHECK_MPI(e, MPI_Allreduce(&ok, &all, 1, MPI_INT, MPI_MIN, s->red.comm));
    return all;
fail:
    return -1;
}

optim *optshard_full(optshard *s, dett_err *e)
{
    if (!s->sharded) return s->opt;
    optim *full = optim_new(s->opt->cfg, s->n);
    int all = all_ok(s, full != NULL, e);   /* nobody enters the gather alone */
    if (all != 1) {
        if (all == 0) dett_fail(e, "out of memory (the optimiser's state for a checkpoint)");
        optim_free(full);
        return NULL;
    }
    full->t = s->opt->t;
    full->ref = s->opt->ref;
    if (gather_state(s, s->opt->m, full->m, e) ||
        (full->v && gather_state(s, s->opt->v, full->v, e))) {
        optim_free(full);
        return NULL;
    }
    return full;
}

void optshard_done(optshard *s, optim *full)
{
    if (full != s->opt) optim_free(full);
}

optim *optshard_blank(optshard *s, dett_err *e)
{
    optim *full = s->sharded ? optim_new(s->opt->cfg, s->n) : s->opt;
    int all = all_ok(s, full != NULL, e);   /* the restore that follows is collective */
    if (all != 1) {
        if (all == 0) dett_fail(e, "out of memory (the optimiser's state of a checkpoint)");
        if (full != s->opt) optim_free(full);
        return NULL;
    }
    return full;
}

void optshard_take(optshard *s, optim *full)
{
    if (full == s->opt) return;
    const size_t k = s->hi - s->lo;
    s->opt->t = full->t;
    memcpy(s->opt->m, full->m + s->lo, sizeof(float) * k);
    if (full->v) memcpy(s->opt->v, full->v + s->lo, sizeof(float) * k);
    optim_free(full);
}
