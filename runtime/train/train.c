/* train.c - one job's training loop (see train.h): per step, gather, forward,
 * the method's objective from its table row, backward, allreduce, update. */
#define _POSIX_C_SOURCE 200809L
#include "train.h"
#include "allreduce.h"
#include "loss.h"
#include "method.h"
#include "metrics.h"
#include "optim.h"
#include "readout.h"
#include "rng.h"
#include "rowx.h"
#include "sampler.h"
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* one local micro-shard's buffers for one step */
typedef struct {
    int b;              /* rows this step (0 .. cap) */
    int cap;            /* rows any step can give it: ceil(B / M) */
    float *x;           /* [cap, d] inputs */
    int *y, *grp;       /* [cap] label, group */
    float *w;           /* [cap] per-sample loss weight */
    float *loss;        /* [cap] per-sample loss */
    float *tmp;         /* [cap] the objective's scratch */
    float *dz;          /* [cap, C] d loss / d logits */
    float *df;          /* [cap, F] d loss / d features (or projector output) */
    float *dfs;         /* [cap, Fs] fitnet: d loss / d student features */
    float *tz, *tf;     /* [cap, C], [cap, F] teacher logits and features */
    model_ws *ws, *pws; /* model and projector activations */
} shard_work;

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

static void shard_work_free(shard_work *s)
{
    free(s->x); free(s->y); free(s->grp);
    free(s->w); free(s->loss); free(s->tmp); free(s->dz); free(s->df); free(s->dfs);
    free(s->tz); free(s->tf);
    model_ws_free(s->ws);
    model_ws_free(s->pws);
}

/* allocates a shard's buffers for `cap` rows of the job's shapes */
static int shard_work_init(shard_work *s, const groupdata *gd, int cap, const model *m,
                           const model *proj, int tfeat_dim, dett_err *e)
{
    const int b = cap, d = gd->info.d, C = m->n_classes;
    const int F = proj ? proj->n_classes : m->feat_dim;
    memset(s, 0, sizeof *s);
    s->cap = b;
    s->x = malloc(sizeof(float) * (size_t)b * d);
    s->y = malloc(sizeof(int) * b);
    s->grp = malloc(sizeof(int) * b);
    s->w = malloc(sizeof(float) * b);
    s->loss = malloc(sizeof(float) * b);
    s->tmp = malloc(sizeof(float) * b);
    s->dz = malloc(sizeof(float) * (size_t)b * C);
    s->df = malloc(sizeof(float) * (size_t)b * F);
    s->tz = malloc(sizeof(float) * (size_t)b * C);
    s->tf = malloc(sizeof(float) * (size_t)b * (tfeat_dim > 0 ? tfeat_dim : 1));
    s->ws = model_ws_new(m, b);
    CHECK_ALLOC(e, s->x);
    CHECK_ALLOC(e, s->y); CHECK_ALLOC(e, s->grp); CHECK_ALLOC(e, s->w);
    CHECK_ALLOC(e, s->loss); CHECK_ALLOC(e, s->tmp); CHECK_ALLOC(e, s->dz); CHECK_ALLOC(e, s->df);
    CHECK_ALLOC(e, s->tz); CHECK_ALLOC(e, s->tf); CHECK_ALLOC(e, s->ws);
    if (proj) {
        s->pws = model_ws_new(proj, b);
        s->dfs = malloc(sizeof(float) * (size_t)b * m->feat_dim);
        CHECK_ALLOC(e, s->pws);
        CHECK_ALLOC(e, s->dfs);
    }
    return 0;
fail:
    shard_work_free(s);
    return -1;
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

/* copies step `step`'s rows of micro-shard s (global index) into its batch
 * buffers, from the records the exchange fetched */
static void shard_gather(shard_work *w, const row_source *rs, const groupdata *gd,
                         int64_t step, int s, int C, int F)
{
    const int d = gd->info.d, A = gd->info.n_attrs;
    const rowx *x = &rs->rx;
    w->b = sampler_shard_rows(&rs->sp, step, s, NULL);
    for (int i = 0; i < w->b; i++) {
        int32_t y, a;
        memcpy(w->x + (size_t)i * d, rowx_field(x, step, s, i, rs->col[COL_X]), sizeof(float) * d);
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

/* forward: logits and features of shard w's rows (and fitnet's projector) */
static void shard_forward(shard_work *w, const model *m, const model *proj)
{
    if (w->b == 0) return;
    model_forward(m, w->ws, w->x, w->b);
    if (proj) model_forward(proj, w->pws, model_features(m, w->ws), w->b);
}

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
        loss_xent(NULL, w->loss, w->ws->act[m->n_layers], w->y, NULL, w->b, m->n_classes, 0);
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
                              const model *m, const model *proj, const float *gw, int N, int F)
{
    if (w->b == 0) return 0.0;
    obj_in in = { w->b, m->n_classes, F, N, w->ws->act[m->n_layers],
                  proj ? w->pws->act[w->pws->n_layers] : model_features(m, w->ws),
                  w->tz, w->tf, w->y, w->grp, w->w, gw, job->method.arg };
    obj_out out = { w->loss, w->dz, w->df, w->tmp };
    return def->objective(&out, &in);
}

/* backward: the objective's gradients into the local gradient trees; a
 * projector's input gradient joins the student's features */
static void shard_backward(shard_work *w, const method_def *def, const model *m,
                           const model *proj, tree_acc *tree, tree_acc *ptree)
{
    const float *dz = (def->flags & MF_LOGIT_LOSS) ? w->dz : NULL;
    const float *df = (def->flags & MF_FEATURE_LOSS) ? w->df : NULL;
    if (w->b == 0) {   /* a shard without rows in a short last step: exact zeros */
        if (proj) {
            tree_next(ptree);
            tree_push(ptree);
        }
        tree_next(tree);
        tree_push(tree);
        return;
    }
    if (proj) {
        model_backward(proj, w->pws, tree_next(ptree), df, NULL, w->b, w->dfs);
        tree_push(ptree);
        df = w->dfs;
    }
    model_backward(m, w->ws, tree_next(tree), dz, df, w->b, NULL);
    tree_push(tree);
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

int train_job(MPI_Comm comm, const job_spec *job, const groupdata *gd,
              const train_inputs *in, model *m, train_result *res, dett_err *e)
{
    const shard_plan *p = &gd->plan;
    const int ns = p->s1 - p->s0, G = gd->info.n_groups, C = m->n_classes;
    const method_def *def = method_get(job->method.kind);
    model *proj = in ? in->proj : NULL;
    const int F = proj ? proj->n_classes : m->feat_dim;
    shard_work *sw = calloc((size_t)ns, sizeof *sw);
    row_source rs;
    tree_acc tree = { 0 }, ptree = { 0 };
    dar red = { 0 }, pred = { 0 };
    optim *opt = NULL, *popt = NULL;
    double *stats = NULL, tot[2 * DATASET_MAX_GROUPS + 1];
    float q[DATASET_MAX_GROUPS], gw[DATASET_MAX_GROUPS];   /* a group step's state, weights */
    const int nstat = 2 * G + 1;   /* group loss sums, group counts, objective */
    double t0 = now_seconds();
    readout ro;   /* DEDIER's early readout (readout.h); off for other methods */
    memset(&ro, 0, sizeof ro);

    memset(&rs, 0, sizeof rs);
    CHECK_ALLOC(e, sw);
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
    CHECK(row_source_init(&rs, comm, job, gd, in, C, F, e));
    const int cap = sampler_max_shard_rows(&rs.sp);
    for (int s = 0; s < ns; s++)
        CHECK(shard_work_init(&sw[s], gd, cap, m, proj, F, e));
    const int64_t steps = rs.sp.steps;
    res->steps = steps;
    res->visits = rs.sp.V;
    CHECK(tree_init(&tree, m->n_trainable, ns, e));
    CHECK(dar_init(&red, comm, m->n_trainable, DAR_AUTO, e));
    opt = optim_new(job->optim, m->n_trainable);
    CHECK_ALLOC(e, opt);
    if (proj) {
        CHECK(tree_init(&ptree, proj->n_trainable, ns, e));
        CHECK(dar_init(&pred, comm, proj->n_trainable, DAR_AUTO, e));
        popt = optim_new(job->optim, proj->n_trainable);
        CHECK_ALLOC(e, popt);
    }
    stats = calloc((size_t)ns * nstat, sizeof(double));
    CHECK_ALLOC(e, stats);
    for (int g = 0; g < G; g++) q[g] = 1.0f / (float)G;

    /* a checkpoint: where to start (epoch ep0, step0 steps done) */
    train_state st = { 0, 0, steps, 0.0, m, proj, opt, popt, q, G, res };
    int got = in && in->ckpt_load ? in->ckpt_load(in->ckpt_ctx, &st, e) : 0;
    if (got < 0) goto fail;
    const int ep0 = got ? st.epoch : 0;
    const int64_t step0 = got ? st.step : 0;
    for (int ep = ep0; ep < job->epochs; ep++) {
        double loss_sum = ep == ep0 ? st.loss_sum : 0.0;
        if (sampler_epoch(&rs.sp, ep)) {
            dett_fail(e, "%s: sampler: epoch %d", job->id, ep);
            goto fail;
        }
        const int64_t first = ep == ep0 ? step0 : 0;
        for (int64_t step = first; step < steps; step++) {
            /* the window's rows arrive from the ranks that hold them (a
             * resumed epoch fetches from its first step: the same rows) */
            if (step % ROWX_WINDOW == 0 || step == first)
                CHECK(rowx_fetch(&rs.rx, &rs.sp, step, e));
            if (in && in->on_visit)
                for (int s = 0; s < ns; s++) {
                    const int *rows;
                    int b = sampler_shard_rows(&rs.sp, step, p->s0 + s, &rows);
                    in->on_visit(in->hook_ctx, rows, b);
                }
            /* gather and forward every local micro-shard */
            for (int s = 0; s < ns; s++) {
                shard_gather(&sw[s], &rs, gd, step, p->s0 + s, C, F);
                shard_forward(&sw[s], m, proj);
            }
            /* the step's rows: B, or fewer in the last step (PyTorch's mean
             * over a partial batch) */
            const int Bt = sampler_step_rows(&rs.sp, step);
            /* a method that reweights groups sees the whole batch first */
            if (def->group_step)
                CHECK(group_step(comm, sw, ns, def, job, m, gd, stats, nstat, tot, q, gw, e));
            /* objective (the method's row), backward into the local trees */
            tree_reset(&tree);
            if (proj) tree_reset(&ptree);
            memset(stats, 0, sizeof(double) * (size_t)ns * nstat);
            for (int s = 0; s < ns; s++) {
                /* hook: the readout's step on the shard's detached activations */
                CHECK(readout_shard(&ro, s, sw[s].ws, sw[s].y, sw[s].b, Bt, e));
                stats[(size_t)s * nstat + 2 * G] =
                    shard_objective(&sw[s], def, job, m, proj, def->group_step ? gw : NULL,
                                    Bt, F);
                shard_backward(&sw[s], def, m, proj, &tree, &ptree);
            }
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
            /* allreduce the gradients, update */
            float *grad = tree_result(&tree);
            CHECK(dar_allreduce(&red, grad, e));
            optim_step(opt, m->params, grad);
            if (proj) {
                float *pg = tree_result(&ptree);
                CHECK(dar_allreduce(&pred, pg, e));
                optim_step(popt, proj->params, pg);
            }
            CHECK(readout_update(&ro, e));   /* hook: the readout's allreduce and step */
            if (in && in->on_step) in->on_step(in->hook_ctx);
            if (in && in->should_stop && in->should_stop(in->hook_ctx)) {
                st.epoch = ep, st.step = step + 1, st.loss_sum = loss_sum;
                if (in->ckpt_save) CHECK(in->ckpt_save(in->ckpt_ctx, &st, 1, e));
                res->stopped = 1;
                goto out;
            }
        }
        res->train_loss[ep] = loss_sum / (double)steps;
        res->epochs_run = ep + 1;
        CHECK(end_of_epoch(comm, job, gd, m, res, ep, e));
        CHECK(readout_epoch_end(&ro, gd, m, ep, e));   /* hook: DEDIER's reweighting */
        if (in && in->on_epoch)
            in->on_epoch(in->hook_ctx, ep + 1, res->worst[(size_t)ep * N_SPLITS + SPLIT_VAL]);
        if (in && in->ckpt_save && ep + 1 < job->epochs) {
            st.epoch = ep + 1, st.step = 0, st.loss_sum = 0.0;
            CHECK(in->ckpt_save(in->ckpt_ctx, &st, 0, e));
        }
    }
out:
    res->seconds = now_seconds() - t0;
    for (int s = 0; s < ns; s++) shard_work_free(&sw[s]);
    free(sw); free(stats);
    row_source_free(&rs);
    tree_free(&tree); tree_free(&ptree); dar_free(&red); dar_free(&pred);
    optim_free(opt); optim_free(popt);
    readout_close(&ro);
    return 0;
fail:
    if (sw)
        for (int s = 0; s < ns; s++) shard_work_free(&sw[s]);
    free(sw); free(stats);
    row_source_free(&rs);
    tree_free(&tree); tree_free(&ptree); dar_free(&red); dar_free(&pred);
    optim_free(opt); optim_free(popt);
    readout_close(&ro);
    return -1;
}

void train_print_table(const train_result *r, const dataset_info *info, int sel_kind)
{
    const int G = r->G, A = info->n_attrs;
    if (r->epochs_run == 0) { printf("no epoch finished\n"); return; }
    const int ep = r->selected[sel_kind];
    const double *va = r->acc + ((size_t)ep * N_SPLITS + SPLIT_VAL) * G;
    const double *ta = r->acc + ((size_t)ep * N_SPLITS + SPLIT_TEST) * G;
    printf("selected epoch %d of %d (%s)\n", ep + 1, r->epochs_run, select_names[sel_kind]);
    printf("%-26s %9s %9s %9s\n", "group (y, a)", "train n", "val acc", "test acc");
    for (int g = 0; g < G; g++) {
        char name[64];
        snprintf(name, sizeof name, "%d (%d, %d)", g, g / A, g % A);
        printf("%-26s %9lld %9.4f %9.4f\n", name,
               (long long)info->group_count[SPLIT_TRAIN][g], va[g], ta[g]);
    }
    size_t kv = (size_t)ep * N_SPLITS + SPLIT_VAL, kt = (size_t)ep * N_SPLITS + SPLIT_TEST;
    printf("%-26s %9s %9.4f %9.4f\n", "worst-group", "", r->worst[kv], r->worst[kt]);
    printf("%-26s %9s %9.4f %9.4f\n", "average (train-weighted)", "", r->avg[kv], r->avg[kt]);
    printf("%-26s %9s %9.4f %9.4f\n", "mean of groups", "", r->mean[kv], r->mean[kt]);
}
