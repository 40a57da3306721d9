/* train.c - one job's training loop (see train.h): per step, gather, forward,
 * the method's objective from its table row, backward, allreduce, update. */
#define _POSIX_C_SOURCE 200809L
#include "train.h"
#include "allreduce.h"
#include "loss.h"
#include "method.h"
#include "metrics.h"
#include "optim.h"
#include "optshard.h"
#include "readout.h"
#include "rng.h"
#include "rowx.h"
#include "sampler.h"
#include "step.h"
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* the columns a row carries through the row exchange (rowx.h), in order;
 * the optional ones are registered only when the job has them */
enum { COL_X, COL_Y, COL_A, COL_W, COL_TZ, COL_TF, N_COLS };

/* where the row exchange and the sampler live during one job */
typedef struct {
    sampler sp;
    rowx rx;
    int col[N_COLS];    /* rowx column of each COL_*, -1 if not registered */
} row_source;

#define ROWX_WINDOW 8   /* steps per exchange (docs/sampling.md) */

static double now_seconds(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

static void row_source_free(row_source *rs)
{
    sampler_free(&rs->sp);
    rowx_free(&rs->rx);
}

/* Sets up the epoch sampler and the row exchange of a job (sampler.h's
 * integration note): the columns are this rank's home rows (X, y, a and the
 * job's per-row inputs); the sampler's multiplicities (JTT's upsampling) or
 * group ids are gathered to every rank. Collective over comm. Returns 0,
 * or -1 with e set (a sampler refusal names the job). */
static int row_source_init(row_source *rs, MPI_Comm comm, const job_spec *job,
                           const groupdata *gd, const train_inputs *in, int C, int F,
                           dett_err *e)
{
    const int64_t n = gd->info.n[SPLIT_TRAIN], nh = gd->train.n;
    const int A = gd->info.n_attrs;
    rowx_column cols[N_COLS];
    int nc = 0, *home = NULL, *global = NULL;
    char why[256];
    memset(rs, 0, sizeof *rs);
    rs->sp.epoch = -1;
    for (int c = 0; c < N_COLS; c++) rs->col[c] = -1;
#define ADD_COL(id, ptr, bytes)                              \
    do {                                                     \
        rs->col[id] = nc;                                    \
        cols[nc++] = (rowx_column){ (ptr), (bytes) };        \
    } while (0)
    ADD_COL(COL_X, gd->train.X, sizeof(float) * (size_t)gd->info.d);
    ADD_COL(COL_Y, gd->train.y, sizeof(int32_t));
    ADD_COL(COL_A, gd->train.a, sizeof(int32_t));
    if (in && in->sample_w) ADD_COL(COL_W, in->sample_w, sizeof(float));
    if (in && in->t_logits) ADD_COL(COL_TZ, in->t_logits, sizeof(float) * (size_t)C);
    if (in && in->t_feats) ADD_COL(COL_TF, in->t_feats, sizeof(float) * (size_t)F);
#undef ADD_COL
    CHECK(rowx_init(&rs->rx, comm, n, gd->plan.M, gd->plan.B, ROWX_WINDOW, cols, nc, e));
    if (rs->rx.bound[rs->rx.r + 1] - rs->rx.bound[rs->rx.r] != nh) {
        dett_fail(e, "%s: this rank holds %lld training rows, the exchange expects %lld",
                  job->id, (long long)nh,
                  (long long)(rs->rx.bound[rs->rx.r + 1] - rs->rx.bound[rs->rx.r]));
        goto fail;
    }
    sampler_config cfg = { SAMPLER_ROWS, n, gd->plan.M, gd->plan.B, job->seed, NULL, NULL,
                           gd->info.n_groups };
    const int by_group = job->sampler != SAMPLER_KIND_ROWS;
    if (by_group || (in && in->sample_rep)) {
        home = malloc(sizeof(int) * (size_t)(nh ? nh : 1));
        global = malloc(sizeof(int) * (size_t)n);
        CHECK_ALLOC(e, home);
        CHECK_ALLOC(e, global);
        for (int64_t i = 0; i < nh; i++)
            home[i] = by_group ? gd->train.y[i] * A + gd->train.a[i] : in->sample_rep[i];
        CHECK(rowx_allgather_int(&rs->rx, home, global, e));
        if (by_group) cfg.group = global;
        else cfg.mult = global;
    }
    if (by_group && in && in->sample_rep) {
        dett_fail(e, "%s: sampler \"%s\" does not combine with JTT's upsampling "
                  "(resample = true)", job->id, sampler_names[job->sampler]);
        goto fail;
    }
    cfg.mode = job->sampler == SAMPLER_KIND_GROUPS ? SAMPLER_GROUPS
             : job->sampler == SAMPLER_KIND_GROUPS_EXACT ? SAMPLER_GROUPS_EXACT : SAMPLER_ROWS;
    if (sampler_init(&rs->sp, &cfg, why)) {
        dett_fail(e, "%s: sampler: %s", job->id, why);
        goto fail;
    }
    free(home); free(global);
    return 0;
fail:
    free(home); free(global);
    row_source_free(rs);
    return -1;
}

/* copies step `step`'s rows of micro-shard s (global index; local index
 * ls) into its rows of the rank's stack, from the records the exchange
 * fetched; the inputs only by pointer when the step takes them so (w->xr:
 * rowx_field's records stay put until the next rowx_fetch, after this
 * step's backward) */
static void shard_gather(step_work *st, int ls, const row_source *rs, const groupdata *gd,
                         int64_t step, int s, int C, int F)
{
    const int d = gd->info.d, A = gd->info.n_attrs;
    const rowx *x = &rs->rx;
    step_place(st, ls, sampler_shard_rows(&rs->sp, step, s, NULL));
    shard_work *w = &st->sw[ls];
    for (int i = 0; i < w->b; i++) {
        int32_t y, a;
        const float *xi = rowx_field(x, step, s, i, rs->col[COL_X]);
        if (w->xr) w->xr[i] = xi;
        else memcpy(w->x + (size_t)i * d, xi, sizeof(float) * d);
        memcpy(&y, rowx_field(x, step, s, i, rs->col[COL_Y]), sizeof y);
        memcpy(&a, rowx_field(x, step, s, i, rs->col[COL_A]), sizeof a);
        w->y[i] = y;
        w->grp[i] = y * A + a;
        if (rs->col[COL_W] >= 0) memcpy(&w->w[i], rowx_field(x, step, s, i, rs->col[COL_W]), sizeof(float));
        else w->w[i] = 1.0f;
        if (rs->col[COL_TZ] >= 0)
            memcpy(w->tz + (size_t)i * C, rowx_field(x, step, s, i, rs->col[COL_TZ]), sizeof(float) * C);
        if (rs->col[COL_TF] >= 0)
            memcpy(w->tf + (size_t)i * F, rowx_field(x, step, s, i, rs->col[COL_TF]), sizeof(float) * F);
    }
}

int train_eval(MPI_Comm comm, const model *m, const groupdata *gd, int split,
               int64_t *correct, int64_t *total, dett_err *e)
{
    const int G = gd->info.n_groups, A = gd->info.n_attrs, d = gd->info.d;
    const dataset_rows *r = &gd->eval[split];
    int64_t loc[2 * DATASET_MAX_GROUPS] = { 0 }, sum[2 * DATASET_MAX_GROUPS];
    int pred[EVAL_BLOCK];
    model_ws *ws = model_ws_new(m, EVAL_BLOCK);
    CHECK_ALLOC(e, ws);
    for (int64_t i0 = 0; i0 < r->n; i0 += EVAL_BLOCK) {
        int b = (int)(r->n - i0 < EVAL_BLOCK ? r->n - i0 : EVAL_BLOCK);
        const float *z = model_forward(m, ws, r->X + i0 * d, b);
        loss_argmax(pred, z, b, m->n_classes);
        for (int i = 0; i < b; i++) {
            int g = r->y[i0 + i] * A + r->a[i0 + i];
            loc[g] += pred[i] == r->y[i0 + i];
            loc[G + g] += 1;
        }
    }
    model_ws_free(ws);
    ws = NULL;
    CHECK_MPI(e, MPI_Allreduce(loc, sum, 2 * G, MPI_INT64_T, MPI_SUM, comm));
    memcpy(correct, sum, sizeof(int64_t) * G);
    memcpy(total, sum + G, sizeof(int64_t) * G);
    return 0;
fail:
    model_ws_free(ws);
    return -1;
}

/* ---- the steps of a training step ------------------------------------------ */

/* The group step of a method that reweights groups (group DRO): the whole
 * batch's per-group cross-entropy sums and counts (deterministic reduction
 * over shards and ranks) update q and the per-group weights gw. */
static int group_step(MPI_Comm comm, shard_work *sw, int ns, const method_def *def,
                      const job_spec *job, const model *m, const groupdata *gd, double *stats,
                      int nstat, double *tot, float *q, float *gw, dett_err *e)
{
    const int G = gd->info.n_groups;
    memset(stats, 0, sizeof(double) * (size_t)ns * nstat);
    for (int s = 0; s < ns; s++) {
        shard_work *w = &sw[s];
        if (w->b == 0) continue;
        loss_xent(NULL, w->loss, w->z, w->y, NULL, w->b, m->n_classes, 0);
        for (int i = 0; i < w->b; i++) {
            stats[(size_t)s * nstat + w->grp[i]] += w->loss[i];
            stats[(size_t)s * nstat + G + w->grp[i]] += 1.0;
        }
    }
    CHECK(dar_stats(comm, stats, ns, nstat, tot, e));
    def->group_step(gw, q, tot, tot + G, gd->info.group_count[SPLIT_TRAIN], G, job->method.arg);
    return 0;
fail:
    return -1;
}

/* objective: the method's loss and its gradients for shard w (from the
 * table); returns the shard's part of the step's objective */
static double shard_objective(shard_work *w, const method_def *def, const job_spec *job,
                              const model *m, const float *gw, int N, int F)
{
    if (w->b == 0) return 0.0;
    obj_in in = { w->b, m->n_classes, F, N, w->z, w->f,
                  w->tz, w->tf, w->y, w->grp, w->w, gw, job->method.arg };
    obj_out out = { w->loss, w->dz, w->df, w->tmp };
    return def->objective(&out, &in);
}

static int result_alloc(train_result *r, int epochs, int G, size_t n_params,
                        dett_err *e)
{
    memset(r, 0, sizeof *r);
    r->epochs = epochs;
    r->G = G;
    r->n_params = n_params;
    r->train_loss = calloc((size_t)epochs, sizeof(double));
    r->acc = calloc((size_t)epochs * N_SPLITS * G, sizeof(double));
    r->worst = calloc((size_t)epochs * N_SPLITS, sizeof(double));
    r->avg = calloc((size_t)epochs * N_SPLITS, sizeof(double));
    r->mean = calloc((size_t)epochs * N_SPLITS, sizeof(double));
    r->params = calloc(n_params ? n_params : 1, sizeof(float));
    CHECK_ALLOC(e, r->train_loss); CHECK_ALLOC(e, r->acc); CHECK_ALLOC(e, r->worst);
    CHECK_ALLOC(e, r->avg); CHECK_ALLOC(e, r->mean); CHECK_ALLOC(e, r->params);
    return 0;
fail:
    train_result_free(r);
    return -1;
}

void train_result_free(train_result *r)
{
    free(r->train_loss); free(r->acc); free(r->worst); free(r->avg);
    free(r->mean); free(r->params);
    memset(r, 0, sizeof *r);
}

/* evaluates val and test after an epoch and updates the selection */
static int end_of_epoch(MPI_Comm comm, const job_spec *job, const groupdata *gd,
                        const model *m, train_result *res, int ep, dett_err *e)
{
    const int G = gd->info.n_groups;
    int64_t corr[DATASET_MAX_GROUPS], tot[DATASET_MAX_GROUPS];
    for (int sp = SPLIT_VAL; sp <= SPLIT_TEST; sp++) {
        CHECK(train_eval(comm, m, gd, sp, corr, tot, e));
        size_t k = (size_t)ep * N_SPLITS + sp;
        metrics_groups(res->acc + k * G, &res->worst[k], &res->avg[k], &res->mean[k],
                       corr, tot, gd->info.group_count[SPLIT_TRAIN], G);
    }
    unsigned moved = train_select(res, ep, gd->info.group_count[SPLIT_VAL], gd->info.n_classes,
                                  gd->info.n_attrs);
    if (moved & (1u << job->select)) memcpy(res->params, m->params, sizeof(float) * m->n_params);
    return 0;
fail:
    return -1;
}

/* the value select_kind k maximises at epoch ep */
static double select_crit(const train_result *res, int k, int ep, const int64_t *val_count,
                          int C, int A)
{
    const size_t v = (size_t)ep * N_SPLITS + SPLIT_VAL, t = (size_t)ep * N_SPLITS + SPLIT_TEST;
    switch ((select_kind)k) {
    case SELECT_VAL_WORST: return res->worst[v];
    case SELECT_VAL_AVG: return res->avg[v];
    case SELECT_ORACLE: return res->worst[t];
    case SELECT_VAL_WORST_CLASS:
        return metrics_worst_class(res->acc + v * (size_t)res->G, val_count, C, A);
    case N_SELECTS: break;
    }
    return -1.0;
}

unsigned train_select(train_result *res, int ep, const int64_t *val_count, int C, int A)
{
    unsigned moved = 0;
    for (int k = 0; k < N_SELECTS; k++) {
        double best = ep == 0 ? -1.0 : select_crit(res, k, res->selected[k], val_count, C, A);
        if (select_crit(res, k, ep, val_count, C, A) > best) {
            res->selected[k] = ep;
            moved |= 1u << k;
        }
    }
    return moved;
}

/* in->ckpt_load into ck with the whole optimiser states (a sharded one is
 * restored into a blank of all n parameters, then keeps its chunk): 1
 * restored, 0 none, -1 failure. Collective (the hook is). */
static int ckpt_restore(const train_inputs *in, train_state *ck, optshard *os, optshard *pos,
                        dett_err *e)
{
    ck->opt = optshard_blank(os, e);
    ck->popt = ck->opt && pos ? optshard_blank(pos, e) : NULL;
    int got = -1;
    if (ck->opt && (!pos || ck->popt)) got = in->ckpt_load(in->ckpt_ctx, ck, e);
    if (got == 1) {
        optshard_take(os, ck->opt);
        if (pos) optshard_take(pos, ck->popt);
    } else {
        if (ck->opt) optshard_done(os, ck->opt);
        if (ck->popt) optshard_done(pos, ck->popt);
    }
    ck->opt = ck->popt = NULL;
    return got;
}

/* in->ckpt_save of ck with the whole optimiser states, gathered from the
 * group's chunks for the call (so every rank calls it whatever the hook
 * then decides). Collective. */
static int ckpt_store(const train_inputs *in, train_state *ck, int forced, optshard *os,
                      optshard *pos, dett_err *e)
{
    int rc = -1;
    ck->opt = optshard_full(os, e);
    ck->popt = NULL;
    if (ck->opt && (!pos || (ck->popt = optshard_full(pos, e))))
        rc = in->ckpt_save(in->ckpt_ctx, ck, forced, e);
    if (ck->opt) optshard_done(os, ck->opt);
    if (ck->popt) optshard_done(pos, ck->popt);
    ck->opt = ck->popt = NULL;
    return rc;
}

int train_job(MPI_Comm comm, const job_spec *job, const groupdata *gd,
              const train_inputs *in, model *m, train_result *res, dett_err *e)
{
    const shard_plan *p = &gd->plan;
    const int ns = p->s1 - p->s0, G = gd->info.n_groups, C = m->n_classes;
    const method_def *def = method_get(job->method.kind);
    model *proj = in ? in->proj : NULL;
    const int F = proj ? proj->n_classes : m->feat_dim;
    step_work st;
    row_source rs;
    optshard os = { 0 }, pos = { 0 };   /* the model's and the projector's steps */
    double *stats = NULL, tot[2 * DATASET_MAX_GROUPS + 1];
    float q[DATASET_MAX_GROUPS], gw[DATASET_MAX_GROUPS];   /* a group step's state, weights */
    const int nstat = 2 * G + 1;   /* group loss sums, group counts, objective */
    double t0 = now_seconds();
    readout ro;   /* DEDIER's early readout (readout.h); off for other methods */
    memset(&ro, 0, sizeof ro);

    memset(&rs, 0, sizeof rs);
    memset(&st, 0, sizeof st);
    CHECK(result_alloc(res, job->epochs, G, m->n_params, e));
    if (!def) {
        dett_fail(e, "%s: no method of kind %d", job->id, (int)job->method.kind);
        goto fail;
    }
    if ((def->flags & MF_TEACHER_FEATS) && (!in || !in->t_feats)) {
        dett_fail(e, "%s: method needs teacher features", job->id);
        goto fail;
    }
    if ((def->flags & MF_TEACHER_LOGITS) && (!in || !in->t_logits)) {
        dett_fail(e, "%s: %s needs teacher logits", job->id, def->name);
        goto fail;
    }
    if (!!(def->flags & MF_PROJECTOR) != (proj != NULL)) {
        dett_fail(e, "%s: %s %s a projector", job->id, def->name,
                  proj ? "does not take" : "needs");
        goto fail;
    }
    /* rows come from one seeded visit list per epoch (sampler.h), moved to
     * the shards that visit them by the row exchange (rowx.h) */
    /* hook: DEDIER's readout owns the weights the rows carry */
    CHECK(readout_open(&ro, comm, job, gd, m, ns, &in, e));
    if (ro.on) model_keep_plain(m, ro.act);   /* it reads act[ro.act] by element */
    CHECK(row_source_init(&rs, comm, job, gd, in, C, F, e));
    const int cap = sampler_max_shard_rows(&rs.sp);
    CHECK(step_work_init(&st, ns, cap, gd->info.d, m, proj, F, e));
    const int64_t steps = rs.sp.steps;
    res->steps = steps;
    res->visits = rs.sp.V;
    CHECK(optshard_init(&os, comm, job->optim, m->n_trainable, e));
    if (proj) CHECK(optshard_init(&pos, comm, job->optim, proj->n_trainable, e));
    stats = calloc((size_t)ns * nstat, sizeof(double));
    CHECK_ALLOC(e, stats);
    for (int g = 0; g < G; g++) q[g] = 1.0f / (float)G;

    /* a checkpoint: where to start (epoch ep0, step0 steps done) */
    train_state ck = { 0, 0, steps, 0.0, m, proj, NULL, NULL, q, G, res, NULL, 0, NULL, 0 };
    const int got = in && in->ckpt_load ? ckpt_restore(in, &ck, &os, proj ? &pos : NULL, e) : 0;
    if (got < 0) goto fail;
    const int ep0 = got ? ck.epoch : 0;
    const int64_t step0 = got ? ck.step : 0;
    for (int ep = ep0; ep < job->epochs; ep++) {
        double loss_sum = ep == ep0 ? ck.loss_sum : 0.0;
        if (sampler_epoch(&rs.sp, ep)) {
            dett_fail(e, "%s: sampler: epoch %d", job->id, ep);
            goto fail;
        }
        const int64_t first = ep == ep0 ? step0 : 0;
        for (int64_t step = first; step < steps; step++) {
            /* the window's rows arrive from the ranks that hold them (a
             * resumed epoch fetches from its first step: the same rows) */
            const double tf = now_seconds();
            if (step % ROWX_WINDOW == 0 || step == first)
                CHECK(rowx_fetch(&rs.rx, &rs.sp, step, e));
            if (in && in->on_visit)
                for (int s = 0; s < ns; s++) {
                    const int *rows;
                    int b = sampler_shard_rows(&rs.sp, step, p->s0 + s, &rows);
                    in->on_visit(in->hook_ctx, rows, b);
                }
            /* gather every local micro-shard into the rank's stack, forward */
            for (int s = 0; s < ns; s++) shard_gather(&st, s, &rs, gd, step, p->s0 + s, C, F);
            res->fetch_seconds += now_seconds() - tf;
            step_forward(&st, m, proj);
            /* the step's rows: B, or fewer in the last step (PyTorch's mean
             * over a partial batch) */
            const int Bt = sampler_step_rows(&rs.sp, step);
            /* a method that reweights groups sees the whole batch first */
            if (def->group_step)
                CHECK(group_step(comm, st.sw, ns, def, job, m, gd, stats, nstat, tot, q, gw, e));
            /* objective (the method's row) per shard, then backward: the
             * rank's tree sums of the shards' gradients */
            memset(stats, 0, sizeof(double) * (size_t)ns * nstat);
            for (int s = 0; s < ns; s++) {
                /* hook: the readout's step on the shard's detached activations */
                CHECK(readout_shard(&ro, s, ro.on ? step_shard_act(&st, m, s, ro.act) : NULL,
                                    st.sw[s].y, st.sw[s].b, Bt, e));
                stats[(size_t)s * nstat + 2 * G] =
                    shard_objective(&st.sw[s], def, job, m, def->group_step ? gw : NULL, Bt, F);
            }
            float *pg;
            float *grad = step_backward(&st, m, proj, (def->flags & MF_LOGIT_LOSS) != 0,
                                        (def->flags & MF_FEATURE_LOSS) != 0, &pg);
            /* the step's objective over the group; stop if it diverged */
            CHECK(dar_stats(comm, stats, ns, nstat, tot, e));
            loss_sum += tot[2 * G];
            if (!isfinite(tot[2 * G])) {
                res->failed = 1;
                snprintf(res->reason, sizeof res->reason,
                         "loss became %s at epoch %d step %lld",
                         isnan(tot[2 * G]) ? "NaN" : "Inf", ep + 1, (long long)step + 1);
                goto out;
            }
            /* sum the gradients over the group, update (sharded: optshard.h) */
            CHECK(optshard_step(&os, m->params, grad, e));
            if (proj) CHECK(optshard_step(&pos, proj->params, pg, e));
            CHECK(readout_update(&ro, e));   /* hook: the readout's allreduce and step */
            if (in && in->on_step) in->on_step(in->hook_ctx);
            if (in && in->should_stop && in->should_stop(in->hook_ctx)) {
                ck.epoch = ep, ck.step = step + 1, ck.loss_sum = loss_sum;
                if (in->ckpt_save) CHECK(ckpt_store(in, &ck, 1, &os, proj ? &pos : NULL, e));
                res->stopped = 1;
                goto out;
            }
        }
        res->train_loss[ep] = loss_sum / (double)steps;
        res->epochs_run = ep + 1;
        const double te = now_seconds();
        CHECK(end_of_epoch(comm, job, gd, m, res, ep, e));
        res->eval_seconds += now_seconds() - te;
        CHECK(readout_epoch_end(&ro, gd, m, ep, e));   /* hook: DEDIER's reweighting */
        if (in && in->on_epoch)
            in->on_epoch(in->hook_ctx, ep + 1, res->worst[(size_t)ep * N_SPLITS + SPLIT_VAL]);
        if (in && in->ckpt_save && ep + 1 < job->epochs) {
            ck.epoch = ep + 1, ck.step = 0, ck.loss_sum = 0.0;
            CHECK(ckpt_store(in, &ck, 0, &os, proj ? &pos : NULL, e));
        }
    }
out:
    res->seconds = now_seconds() - t0;
    step_work_free(&st);
    free(stats);
    row_source_free(&rs);
    optshard_free(&os); optshard_free(&pos);
    readout_close(&ro);
    return 0;
fail:
    step_work_free(&st);
    free(stats);
    row_source_free(&rs);
    optshard_free(&os); optshard_free(&pos);
    readout_close(&ro);
    return -1;
}
