/* jobrun.c - one grid job end to end on one job group (see jobrun.h). */
#define _POSIX_C_SOURCE 200809L
#include "jobrun.h"
#include "checkpoint.h"
#include "agree.h"
#include "arch.h"
#include "cka.h"
#include "dfr_job.h"
#include "init_teacher.h"
#include "linalg.h"
#include "loss.h"
#include "method.h"
#include "readout.h"
#include "rowmem.h"
#include "teacher_ext.h"
#include "train.h"
#include "transplant.h"
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define FORWARD_CHUNK 256

static double now_seconds(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

/* DETT_PHASES=1: rank 0 of each group prints one line per job to stderr
 * with the seconds of its phases (bench/ and docs/performance.md's table) */
static void print_phases(const jobrun_ctx *c, int j, int grank, const double *t,
                         const train_result *r)
{
    const char *v = getenv("DETT_PHASES");
    if (!v || !*v || strcmp(v, "0") == 0 || grank != 0) return;
    fprintf(stderr, "dett: phases: %s data %.3f inputs %.3f build %.3f train %.3f "
            "(fetch %.3f eval %.3f) after %.3f total %.3f\n", c->jobs->jobs[j].id,
            t[1] - t[0], t[2] - t[1], t[3] - t[2], t[4] - t[3], r->fetch_seconds,
            r->eval_seconds, t[5] - t[4], t[5] - t[0]);
    fflush(stderr);
}

model *jobrun_build_teacher(const job_list *jobs, int j, const dataset_info *info,
                            dett_err *e)
{
    int t = jobs->jobs[j].teacher;
    if (t < 0) return NULL;
    /* a teacher is the model its own job trained: a plain classifier, an
     * external file's head, or (a student of a chain) a transplant whose
     * head and feature space are its own teacher's, built the same way one
     * level up; teachers come before their students, so this ends */
    model *tt = jobrun_build_teacher(jobs, t, info, e);
    if (jobs->jobs[t].teacher >= 0 && !tt) return NULL;
    model *m = jobrun_build_model(jobs, t, info, tt, e);
    model_free(tt);
    return m;
}

model *jobrun_build_model(const job_list *jobs, int j, const dataset_info *info,
                          const model *teacher, dett_err *e)
{
    const job_spec *job = &jobs->jobs[j];
    if (job->teacher_file[0]) return teacher_ext_model(job->teacher_file, info, e);
    model *m = arch_build(&job->arch, info, e);
    if (!m) return NULL;
    model_init(m, job->seed, 0);
    if (method_get(job->method.kind)->flags & MF_TRANSPLANT) {
        if (!teacher) {
            model_free(m);
            dett_fail(e, "%s: %s needs a teacher", job->id, method_name(job->method.kind));
            return NULL;
        }
        m = model_transplant(m, teacher, job->seed, 1000);
        if (!m) dett_fail(e, "%s: cannot transplant the teacher's head", job->id);
    }
    return m;
}

/* logits [rows, C] and features [rows, F] of m on this rank's train rows,
 * in chunks aligned to micro-shard starts, so each row is computed in the
 * same chunk whatever the group size (bit-identical across K) */
static int forward_local(const model *m, const groupdata *gd, float *logits, float *feats,
                         dett_err *e)
{
    const shard_plan *p = &gd->plan;
    const int d = gd->info.d, C = m->n_classes, F = m->feat_dim;
    model_ws *ws = model_ws_new(m, FORWARD_CHUNK);
    if (!ws) return dett_fail(e, "out of memory (forward workspace)");
    int64_t base = shard_row0(p, p->s0);
    for (int s = p->s0; s < p->s1; s++) {
        int64_t lo = shard_row0(p, s) - base, hi = lo + shard_rows(p, s);
        for (int64_t i = lo; i < hi; i += FORWARD_CHUNK) {
            int b = (int)(hi - i < FORWARD_CHUNK ? hi - i : FORWARD_CHUNK);
            const float *z = model_forward(m, ws, gd->train.X + i * d, b);
            if (logits) memcpy(logits + i * C, z, sizeof(float) * (size_t)b * C);
            if (feats) memcpy(feats + i * F, model_features(m, ws), sizeof(float) * (size_t)b * F);
        }
    }
    model_ws_free(ws);
    return 0;
}

/* per-row cross-entropy and correctness of logits [n, C] */
static void row_loss(float *loss, int *correct, const float *z, const int32_t *y, int64_t n, int C)
{
    for (int64_t i = 0; i < n; i++) {
        int yi = y[i], pred;
        loss_xent(NULL, &loss[i], z + i * C, &yi, NULL, 1, C, 0.0f);
        loss_argmax(&pred, z + i * C, 1, C);
        correct[i] = pred == yi;
    }
}

/* the inputs a job's training needs from its dependencies */
typedef struct {
    model *teacher, *ident, *proj;
    float *t_logits, *t_feats, *sample_w;
    int *sample_rep;
    int t_external;        /* the teacher is a file (teacher_ext.h) */
    int t_cached;          /* t_logits, t_feats belong to the teacher cache */
    float *t_test_feats;   /* its features of this rank's test rows, or NULL */
} job_inputs;

static void job_inputs_free(job_inputs *x)
{
    model_free(x->teacher); model_free(x->ident); model_free(x->proj);
    if (!x->t_cached) { free(x->t_logits); free(x->t_feats); }
    free(x->sample_w); free(x->sample_rep);
    free(x->t_test_feats);
    memset(x, 0, sizeof *x);
}

/* empties the teacher cache */
static void tcache_clear(jobrun_ctx *c)
{
    free(c->tc_logits); free(c->tc_feats); free(c->tc_test_feats);
    c->tc_logits = c->tc_feats = c->tc_test_feats = NULL;
    c->tc_job = 0;
}

/* 1 if the cache holds teacher job t's outputs on the rows loaded now */
static int tcache_has(const jobrun_ctx *c, int t)
{
    return c->tc_job == t + 1 && c->tc_gen == c->data_gen;
}

/* The teacher's logits and features on this rank's train rows for a
 * student of internal teacher job t: computed once per (teacher, loaded
 * data) and kept for the next student (the same bits: a forward of the
 * same parameters on the same rows in the same chunks). DETT_TEACHER_CACHE=0
 * recomputes them for every job (bench/ and the cache's test). */
static int teacher_outputs(jobrun_ctx *c, int t, const model *teacher, job_inputs *x,
                           dett_err *e)
{
    const groupdata *gd = &c->data;
    const int64_t n = gd->train.n;
    const char *v = getenv("DETT_TEACHER_CACHE");
    const int use = !(v && strcmp(v, "0") == 0);
    if (use && tcache_has(c, t)) {
        x->t_logits = c->tc_logits;
        x->t_feats = c->tc_feats;
        x->t_cached = 1;
        return 0;
    }
    x->t_logits = rowmem_alloc(sizeof(float) * (size_t)(n ? n : 1) * teacher->n_classes);
    x->t_feats = rowmem_alloc(sizeof(float) * (size_t)(n ? n : 1) * teacher->feat_dim);
    CHECK_ALLOC(e, x->t_logits);
    CHECK_ALLOC(e, x->t_feats);
    CHECK(forward_local(teacher, gd, x->t_logits, x->t_feats, e));
    if (use) {   /* the cache takes them over */
        tcache_clear(c);
        c->tc_logits = x->t_logits;
        c->tc_feats = x->t_feats;
        c->tc_job = t + 1;
        c->tc_gen = c->data_gen;
        x->t_cached = 1;
    }
    return 0;
fail:
    return -1;
}

/* teacher outputs, identification errors and sample weights for job j */
static int prepare_inputs(jobrun_ctx *c, int j, job_inputs *x, dett_err *e)
{
    const job_spec *job = &c->jobs->jobs[j];
    const groupdata *gd = &c->data;
    const int64_t n = gd->train.n, G = gd->info.n_groups;
    const int C = gd->info.n_classes, A = gd->info.n_attrs;
    const weighting_spec *w = &job->method.weighting;
    const int weighted = (method_get(job->method.kind)->flags & MF_SAMPLE_WEIGHTS) != 0;
    float *t_loss = NULL, *i_loss = NULL;
    int *t_ok = NULL, *i_ok = NULL;
    uint8_t *err = NULL;

    if (job->teacher >= 0) {
        x->teacher = jobrun_build_teacher(c->jobs, j, &gd->info, e);
        if (!x->teacher) goto fail;
        const job_spec *tj = &c->jobs->jobs[job->teacher];
        x->t_external = tj->teacher_file[0] != '\0';
        if (x->t_external)
            CHECK(teacher_ext_inputs(tj->teacher_file, gd, x->teacher, &x->t_logits,
                                     &x->t_feats, &x->t_test_feats, e));
    }
    if (job->teacher >= 0 && !x->t_external) {
        CHECK(results_read_artifact_params(c->res, job->teacher, x->teacher->params, e));
        /* a student that only starts from its teacher's weights (init) does
         * not read its outputs */
        if (!method_needs_teacher(method_get(job->method.kind))) goto weights;
        CHECK(teacher_outputs(c, job->teacher, x->teacher, x, e));
    }
weights:
    if (weighted && w->kind != WEIGHT_NONE) {
        x->sample_w = malloc(sizeof(float) * (size_t)(n ? n : 1));
        CHECK_ALLOC(e, x->sample_w);
    }
    if (weighted && w->kind == WEIGHT_JTT) {
        if (job->ident < 0) {
            dett_fail(e, "%s: a jtt weighting needs an identification job", job->id);
            goto fail;
        }
        err = malloc(n ? (size_t)n : 1);
        CHECK_ALLOC(e, err);
        CHECK(results_read_error_set(c->res, job->ident, gd->train.row0, n, err, e));
        if (w->resample) {   /* JTT's upsampling: error rows visited round(up) times */
            x->sample_rep = malloc(sizeof(int) * (size_t)(n ? n : 1));
            CHECK_ALLOC(e, x->sample_rep);
            free(x->sample_w);
            x->sample_w = NULL;
            for (int64_t i = 0; i < n; i++)
                x->sample_rep[i] = err[i] ? (int)lroundf(w->up) : 1;
        } else {
            for (int64_t i = 0; i < n; i++) x->sample_w[i] = err[i] ? w->up : 1.0f;
        }
    } else if (weighted && w->kind == WEIGHT_GROUP_BALANCED) {
        /* oracle: each group weighs as much as the others, mean weight 1 */
        for (int64_t i = 0; i < n; i++) {
            int g = gd->train.y[i] * A + gd->train.a[i];
            double ng = (double)gd->info.group_count[SPLIT_TRAIN][g];
            x->sample_w[i] = (float)((double)gd->info.n[SPLIT_TRAIN] / ((double)G * ng));
        }
    } else if (weighted && w->kind == WEIGHT_LUA) {
        float *zl = malloc(sizeof(float) * (size_t)(n ? n : 1) * C);
        t_loss = malloc(sizeof(float) * (size_t)(n ? n : 1));
        i_loss = malloc(sizeof(float) * (size_t)(n ? n : 1));
        t_ok = calloc((size_t)(n ? n : 1), sizeof(int));
        i_ok = calloc((size_t)(n ? n : 1), sizeof(int));
        if (!zl || !t_loss || !i_loss || !t_ok || !i_ok) { free(zl); CHECK_ALLOC(e, NULL); }
        memset(t_loss, 0, sizeof(float) * (size_t)(n ? n : 1));
        memset(i_loss, 0, sizeof(float) * (size_t)(n ? n : 1));
        if (x->t_logits) row_loss(t_loss, t_ok, x->t_logits, gd->train.y, n, C);
        if (job->ident >= 0) {
            x->ident = arch_build(&c->jobs->jobs[job->ident].arch, &gd->info, e);
            if (!x->ident) { free(zl); goto fail; }
            if (results_read_artifact_params(c->res, job->ident, x->ident->params, e) ||
                forward_local(x->ident, gd, zl, NULL, e)) { free(zl); goto fail; }
            row_loss(i_loss, i_ok, zl, gd->train.y, n, C);
        }
        free(zl);
        for (int64_t i = 0; i < n; i++) {
            weight_signals s = { i_loss[i], t_loss[i], i_ok[i], t_ok[i], gd->train.y[i] };
            if (!c->weight || c->weight(c->weight_ctx, w->lua_fn, &s, &x->sample_w[i], e))
                goto fail;
        }
    }
    free(t_loss); free(i_loss); free(t_ok); free(i_ok); free(err);
    return 0;
fail:
    free(t_loss); free(i_loss); free(t_ok); free(i_ok); free(err);
    return -1;
}

int jobrun_ident_flags(const int64_t *count, int G, int A, int64_t n)
{
    long long c[DATASET_MAX_GROUPS];
    for (int g = 0; g < G && g < DATASET_MAX_GROUPS; g++) c[g] = (long long)count[g];
    return rf_ident_flags(c, G, A, (long long)n);
}

void jobrun_ident_flags_text(int flags, char *buf, size_t len)
{
    static const char *const names[] = RF_IDENT_FLAG_NAMES;
    size_t at = 0;
    if (len) buf[0] = '\0';
    for (int i = 0; i < RF_N_IDENT_FLAGS; i++) {
        if (!(flags & (1 << i)) || at >= len) continue;
        int k = snprintf(buf + at, len - at, "%s%s", at ? ", " : "", names[i]);
        if (k < 0) return;
        at += (size_t)k;
    }
}

/* after an ident job: its error set on this rank's rows, written by each
 * rank; its size per training group (summed over the group's ranks),
 * written by rank 0, into *size and *flags (every rank); a degenerate set
 * is warned about on stderr */
static int write_error_set(jobrun_ctx *c, int j, const model *m, int grank, int64_t *size,
                           int *flags, dett_err *e)
{
    const groupdata *gd = &c->data;
    const int64_t n = gd->train.n;
    const int C = m->n_classes, G = gd->info.n_groups, A = gd->info.n_attrs;
    float *z = malloc(sizeof(float) * (size_t)(n ? n : 1) * C);
    uint8_t *err = malloc(n ? (size_t)n : 1);
    int64_t loc[DATASET_MAX_GROUPS] = { 0 }, cnt[DATASET_MAX_GROUPS];
    int pred;
    CHECK_ALLOC(e, z);
    CHECK_ALLOC(e, err);
    CHECK(forward_local(m, gd, z, NULL, e));
    for (int64_t i = 0; i < n; i++) {
        loss_argmax(&pred, z + i * C, 1, C);
        err[i] = pred != gd->train.y[i];
        loc[gd->train.y[i] * A + gd->train.a[i]] += err[i];
    }
    CHECK(results_write_error_set(c->res, j, gd->train.row0, n, err, e));
    CHECK_MPI(e, MPI_Allreduce(loc, cnt, G, MPI_INT64_T, MPI_SUM, c->comm));
    *size = 0;
    for (int g = 0; g < G; g++) *size += cnt[g];
    *flags = jobrun_ident_flags(cnt, G, A, gd->info.n[SPLIT_TRAIN]);
    if (grank == 0) {
        CHECK(results_write_error_groups(c->res, j, cnt, e));
        if (*flags) {
            char why[128];
            jobrun_ident_flags_text(*flags, why, sizeof why);
            fprintf(stderr, "dett: warning: %s: %s: identification error set is degenerate "
                    "(%s): %lld of %lld training rows\n", c->jobs->jobs[j].where,
                    c->jobs->jobs[j].id, why, (long long)*size,
                    (long long)gd->info.n[SPLIT_TRAIN]);
            fflush(stderr);
        }
    }
    free(z); free(err);
    return 0;
fail:
    free(z); free(err);
    return -1;
}

/* the curves in the results file's layout: [E, 2(, G)] for (val, test),
 * from train_result's [E, N_SPLITS(, G)] */
static int write_curves(jobrun_ctx *c, int j, const train_result *r, const float *params,
                        dett_err *e)
{
    const int E = r->epochs_run, G = r->G;
    double *acc = malloc(sizeof(double) * ((size_t)E * 2 * G + 1));
    double *w = malloc(sizeof(double) * ((size_t)E * 2 + 1));
    double *a = malloc(sizeof(double) * ((size_t)E * 2 + 1));
    double *m = malloc(sizeof(double) * ((size_t)E * 2 + 1));
    int rc = -1;
    if (!acc || !w || !a || !m) { dett_fail(e, "out of memory"); goto done; }
    for (int ep = 0; ep < E; ep++)
        for (int k = 0; k < 2; k++) {
            size_t src = (size_t)ep * N_SPLITS + SPLIT_VAL + k, dst = (size_t)ep * 2 + k;
            w[dst] = r->worst[src];
            a[dst] = r->avg[src];
            m[dst] = r->mean[src];
            memcpy(acc + dst * G, r->acc + src * G, sizeof(double) * G);
        }
    int32_t sel[N_SELECTS];
    for (int k = 0; k < N_SELECTS; k++) sel[k] = r->selected[k];
    rc = results_write_job(c->res, j, E, r->train_loss, acc, w, a, m, sel, params, e);
done:
    free(acc); free(w); free(a); free(m);
    return rc;
}

/* features [n, F] of m (or of proj applied to m's features) on rows x */
static int forward_feats(const model *m, const model *proj, const float *x, int64_t n, int d,
                         float *out, dett_err *e)
{
    model_ws *ws = model_ws_new(m, EVAL_BLOCK), *pws = proj ? model_ws_new(proj, EVAL_BLOCK) : NULL;
    if (!ws || (proj && !pws)) {
        model_ws_free(ws);
        model_ws_free(pws);
        return dett_fail(e, "out of memory (diagnostics)");
    }
    const int F = proj ? proj->n_classes : m->feat_dim;
    for (int64_t i0 = 0; i0 < n; i0 += EVAL_BLOCK) {
        int b = (int)(n - i0 < EVAL_BLOCK ? n - i0 : EVAL_BLOCK);
        model_forward(m, ws, x + i0 * d, b);
        const float *f = model_features(m, ws);
        if (proj) f = model_forward(proj, pws, f, b);
        memcpy(out + i0 * F, f, sizeof(float) * (size_t)b * F);
    }
    model_ws_free(ws);
    model_ws_free(pws);
    return 0;
}

/* DETT_TEST_FAIL_DIAGNOSTICS=R: world rank R puts an inf into its first
 * student feature before the CKA, the non-finite feature that must fail
 * the job and not the grid */
static void maybe_poison_feats(float *sf, int64_t n)
{
    const char *v = getenv("DETT_TEST_FAIL_DIAGNOSTICS");
    int wrank = -1;
    if (!v || n <= 0 || MPI_Comm_rank(MPI_COMM_WORLD, &wrank) != MPI_SUCCESS) return;
    if (wrank == atoi(v)) sf[0] = INFINITY;
}

/* per-group linear CKA and feature MSE between the teacher's features and
 * the student's (projected) ones on the test rows: simkd and dett at the
 * selected epoch, fitnet at the last (its projector is not snapshotted).
 * Returns 0 done, 1 when the diagnostics failed (on any rank: the group
 * agrees; the job is then failed with e's message), -1 when writing them
 * to the results file failed (fatal) */
static int diagnostics(jobrun_ctx *c, int j, model *m, const job_inputs *x,
                       const train_result *res, int grank, dett_err *e)
{
    const groupdata *gd = &c->data;
    const dataset_rows *t = &gd->eval[SPLIT_TEST];
    const int G = gd->info.n_groups, A = gd->info.n_attrs, F = x->teacher->feat_dim;
    const int64_t n = t->n;
    double cka[DATASET_MAX_GROUPS], mse[DATASET_MAX_GROUPS];
    float *tf = malloc(sizeof(float) * (size_t)(n ? n : 1) * F);
    float *sf = malloc(sizeof(float) * (size_t)(n ? n : 1) * F);
    int32_t *g = malloc(sizeof(int32_t) * (size_t)(n ? n : 1));
    int rc = 1, st = 0;
    if (!tf || !sf || !g) st = dett_fail(e, "out of memory (diagnostics)");
    if (!st) {
        for (int64_t i = 0; i < n; i++) g[i] = t->y[i] * A + t->a[i];
        if (!x->proj) memcpy(m->params, res->params, sizeof(float) * m->n_params);
        if (x->t_external) {   /* the file's test features, if it has them */
            if (!x->t_test_feats) { rc = 0; goto done; }   /* the same file on every rank */
            memcpy(tf, x->t_test_feats, sizeof(float) * (size_t)n * F);
        }
        if (!x->t_external && x->t_cached && c->tc_test_feats) {   /* the cache's */
            memcpy(tf, c->tc_test_feats, sizeof(float) * (size_t)n * F);
        } else if (!x->t_external) {
            st = forward_feats(x->teacher, NULL, t->X, n, gd->info.d, tf, e);
            /* kept for the teacher's next student (no memory: recomputed then) */
            if (!st && x->t_cached && tcache_has(c, c->jobs->jobs[j].teacher)) {
                c->tc_test_feats = malloc(sizeof(float) * (size_t)(n ? n : 1) * F);
                if (c->tc_test_feats) memcpy(c->tc_test_feats, tf, sizeof(float) * (size_t)n * F);
            }
        }
        if (!st) st = forward_feats(m, x->proj, t->X, n, gd->info.d, sf, e);
        if (!st) maybe_poison_feats(sf, n);
    }
    /* every rank reaches the CKA's collectives, or none does */
    if (agree_ranked(c->comm, st, e) ||
        cka_per_group(c->comm, tf, sf, F, g, n, G, cka, mse, NULL, e))
        goto done;
    rc = grank == 0 && results_write_diagnostics(c->res, j, cka, mse, e) ? -1 : 0;
done:
    free(tf); free(sf); free(g);
    return rc;
}

int jobrun_has_diagnostics(const job_spec *job)
{
    const method_def *def = method_get(job->method.kind);
    return def && (def->flags & MF_DIAGNOSTICS) && linalg_have_scalapack();
}

static void hook_step(void *ctx)
{
    jobrun_ctx *c = ctx;
    if (c->hooks.on_step) c->hooks.on_step(c->hooks.ctx);
}

static int hook_stop(void *ctx)
{
    jobrun_ctx *c = ctx;
    return c->hooks.should_stop ? c->hooks.should_stop(c->hooks.ctx) : 0;
}

/* fitnet's projector: student features -> teacher features */
static model *build_proj(const model *m, const model *teacher)
{
    return model_mlp(m->feat_dim, NULL, 0, teacher->feat_dim);
}

int jobrun_ckpt_sizes(const job_list *jobs, int j, const model *m, const model *t, int G,
                      int64_t n_train, int64_t *n32, int64_t *n64, dett_err *e)
{
    const job_spec *job = &jobs->jobs[j];
    const method_def *def = method_get(job->method.kind);
    model *p = NULL;
    if (def && (def->flags & MF_PROJECTOR)) {
        if (!t) return dett_fail(e, "%s: a projector needs a teacher", job->id);
        if (!(p = build_proj(m, t))) return dett_fail(e, "out of memory for a projector");
    }
    size_t x32 = 0, x64 = 0;   /* DEDIER's readout */
    if (readout_ckpt_sizes(job, m, n_train, &x32, &x64, e)) {
        model_free(p);
        return -1;
    }
    ckpt_sizes(job->epochs, G, m->n_params, m->n_trainable, p ? p->n_params : 0,
               p ? p->n_trainable : 0, x32, x64, n32, n64);
    model_free(p);
    return 0;
}

static void hook_epoch(void *ctx, int epoch, double val_worst)
{
    jobrun_ctx *c = ctx;
    if (c->hooks.on_epoch) c->hooks.on_epoch(c->hooks.ctx, c->current, epoch, val_worst);
}

static void hook_visit(void *ctx, const int *rows, int n)
{
    jobrun_ctx *c = ctx;
    c->hooks.on_visit(c->hooks.ctx, c->current, rows, n);
}

int jobrun(jobrun_ctx *c, int j, results_row *row, double *test_worst, double *test_avg,
           dett_err *e)
{
    const job_spec *job = &c->jobs->jobs[j];
    const method_def *def = method_get(job->method.kind);
    job_inputs x = { 0 };
    train_result res = { 0 };
    dfr_select_report drep = { 0 };   /* dfr{} jobs: DFR's choices */
    dfr_refit refit = { 0 };          /* and the refit model's accuracies */
    model *m = NULL;
    int grank, gsize;
    double tp[6];   /* phase boundaries: start, data, inputs, model, training, end */
    tp[0] = tp[1] = tp[2] = tp[3] = tp[4] = now_seconds();
    CHECK_MPI(e, MPI_Comm_rank(c->comm, &grank));
    CHECK_MPI(e, MPI_Comm_size(c->comm, &gsize));

    /* 1. the data (kept across jobs on the same file) */
    if (c->have_data && strcmp(c->data.path, job->data) == 0) {
        CHECK(groupdata_plan(&c->data, job->batch, e));
    } else {
        if (c->have_data) groupdata_free(&c->data);
        c->have_data = 0;
        tcache_clear(c);
        c->data_gen++;
        CHECK(groupdata_load(&c->data, job->data, c->comm, c->M, job->batch, e));
        c->have_data = 1;
    }
    tp[1] = tp[2] = tp[3] = tp[4] = now_seconds();
    /* an external teacher's job trains nothing: its head is evaluated on
     * the file's val and test features */
    if (job->teacher_file[0]) {
        if (teacher_ext_job(c->comm, job, &c->data, &res, e)) {
            res.failed = 1;
            snprintf(res.reason, sizeof res.reason, "%.*s", (int)sizeof res.reason - 1, e->msg);
        }
        goto record;
    }
    /* 2. what the dependencies hand on: teacher outputs, sample weights
     *    from the identification job or a weighting. What fails on this
     *    job's own rows (a weighting function on a real signal, a
     *    dependency's artifact) fails the job, not the grid; the group
     *    agrees first, since the failure may be on one rank's rows only */
    if (agree(c->comm, prepare_inputs(c, j, &x, e), e)) {
        res.failed = 1;
        snprintf(res.reason, sizeof res.reason, "%.*s", (int)sizeof res.reason - 1, e->msg);
        goto record;
    }
    tp[2] = tp[3] = tp[4] = now_seconds();
    /* 3. the model (a transplant takes the teacher's head) and a projector */
    m = jobrun_build_model(c->jobs, j, &c->data.info, x.teacher, e);
    if (!m) goto fail;
    if (job->init == INIT_TEACHER) {   /* its first layers from the teacher's weights */
        if (!x.teacher) {
            dett_fail(e, "%s: init = \"teacher\" without a teacher", job->id);
            goto fail;
        }
        init_teacher_copy(m, x.teacher);
    }
    if (def->flags & MF_PROJECTOR) {
        x.proj = build_proj(m, x.teacher);
        CHECK_ALLOC(e, x.proj);
        model_init(x.proj, job->seed, 1000);
    }
    ckpt_ctx ck;
    ckpt_ctx_init(&ck, c->res, j, c->comm, c->ckpt_every);
    train_inputs in = { .sample_w = x.sample_w, .sample_rep = x.sample_rep,
                        .t_logits = x.t_logits, .t_feats = x.t_feats, .proj = x.proj,
                        .on_step = hook_step, .on_epoch = hook_epoch, .hook_ctx = c,
                        .on_visit = c->hooks.on_visit ? hook_visit : NULL };
    if (c->ckpt_every >= 0 && results_has_ckpt(c->res, j)) {
        in.ckpt_load = ckpt_load;
        in.ckpt_save = ckpt_save;
        in.ckpt_ctx = &ck;
    }
    in.should_stop = hook_stop;
    tp[3] = tp[4] = now_seconds();
    /* 4. training, then a method's refit */
    c->current = j;
    CHECK(train_job(c->comm, job, &c->data, &in, m, &res, e));
    c->ckpt_resumed = ck.resumed;
    c->ckpt_epoch = ck.resumed ? ck.from_epoch : ck.epoch;
    c->ckpt_step = ck.resumed ? ck.from_step : ck.step;
    if ((def->flags & MF_DFR_REFIT) && !res.failed && !res.stopped)
        CHECK(dfr_job_refit(c->comm, job, &c->data, m, &res, &drep, &refit, e));
    tp[4] = now_seconds();

    /* 5. the writes: status row (by the caller), error set, diagnostics,
     *    curves, the model handed on */
record:
    memset(row, 0, sizeof *row);
    snprintf(row->id, sizeof row->id, "%.15s", job->id);
    snprintf(row->kind, sizeof row->kind, "%s", job_kind_names[job->kind]);
    snprintf(row->hash, sizeof row->hash, "%s", job->hash);
    row->status = res.failed ? JOB_FAILED : res.stopped ? JOB_PENDING : JOB_DONE;
    snprintf(row->error, sizeof row->error, "%s", res.failed ? res.reason : "");
    if (res.stopped)
        snprintf(row->error, sizeof row->error, "stopped at epoch %d step %lld; its checkpoint "
                 "resumes it", ck.epoch + 1, (long long)ck.step);
    row->wall_seconds = res.seconds;
    row->ranks = gsize;
    row->epochs_run = res.epochs_run;
    *test_worst = *test_avg = 0.0;
    if (res.epochs_run > 0) {
        size_t k = (size_t)res.selected[job->select] * N_SPLITS + SPLIT_TEST;
        *test_worst = res.worst[k];
        *test_avg = res.avg[k];
        if (refit.G > 0) {   /* a dfr{} job reports its refit */
            *test_worst = refit.worst[1];
            *test_avg = refit.avg[1];
        }
    }

    if (res.stopped) {
        /* nothing more: the checkpoint holds the state */
    } else if (!res.failed) {
        if (job->kind == JOB_IDENT) {
            int64_t size = 0;
            int flags = 0;
            CHECK(write_error_set(c, j, m, grank, &size, &flags, e));
            /* the progress line shows the error set, not test accuracies */
            *test_worst = (double)size;
            *test_avg = 2.0 * flags + (double)size / (double)c->data.info.n[SPLIT_TRAIN];
        }
        int diag_failed = 0;
        if (jobrun_has_diagnostics(job)) {
            /* a failing diagnostic (a non-finite feature) fails this job,
             * not the grid; only a failed write is fatal */
            int d = diagnostics(c, j, m, &x, &res, grank, e);
            if (d < 0) goto fail;
            if (d > 0) {
                diag_failed = 1;
                row->status = JOB_FAILED;
                snprintf(row->error, sizeof row->error, "diagnostics: %.*s",
                         (int)sizeof row->error - 14, e->msg);
            }
        }
        if ((def->flags & MF_DFR_REFIT) && grank == 0) {
            double scores[RF_DFR_N_LAMBDAS * 3], choice[RF_DFR_N_CHOICE];
            dfr_job_record(&drep, scores, choice);
            results_refit rr = { refit.acc, refit.worst, refit.avg, refit.mean };
            CHECK(results_write_dfr(c->res, j, scores, choice, &rr, e));
        }
        if (grank == 0) {
            CHECK(write_curves(c, j, &res, res.params, e));
            /* teachers hand on their selected model; identification models
             * their state after T epochs, as JTT does (a failed job none) */
            if (diag_failed)
                ;
            else if (job->kind == JOB_TRAIN)
                CHECK(results_write_artifact_params(c->res, j, res.params, e));
            else if (job->kind == JOB_IDENT)
                CHECK(results_write_artifact_params(c->res, j, m->params, e));
        }
    } else if (grank == 0 && res.epochs_run > 0) {
        CHECK(write_curves(c, j, &res, res.params, e));
    }
    tp[5] = now_seconds();
    print_phases(c, j, grank, tp, &res);
    train_result_free(&res);
    job_inputs_free(&x);
    model_free(m);
    return 0;
fail:
    train_result_free(&res);
    job_inputs_free(&x);
    model_free(m);
    return -1;
}

void jobrun_free(jobrun_ctx *c)
{
    if (c->have_data) groupdata_free(&c->data);
    c->have_data = 0;
    tcache_clear(c);
}
