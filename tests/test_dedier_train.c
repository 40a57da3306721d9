/* test_dedier_train.c - DEDIER's early readout in the training loop
 * (runtime/train/readout.h), one process:
 *  - readout_open: off for kd; for dedier it swaps in weights of 1, keeps
 *    the caller's teacher logits and wraps its checkpoint hooks; a layer beyond the student's hidden
 *    layers is refused in one line;
 *  - the readout trains (its parameters move, its accuracy on the training
 *    rows beats the majority class) and never touches the student;
 *  - after an epoch, the weights are exactly DEDIER's formula recomputed
 *    here in double from the readout's logits (misclassified rows only,
 *    others unchanged), then the readout restarts and rows it now gets right
 *    keep their weights;
 *  - checkpoints: a dedier job stopped in its second epoch and resumed from
 *    the checkpoint (kept in memory here; the readout's parameters,
 *    optimiser and weights travel in train_state's x32/x64) ends with the
 *    bits of an uninterrupted run;
 *  - through train_job: dedier with beta = 0 (every weight 1) is KD at the
 *    same T and alpha bit for bit (the readout changes nothing else), and
 *    with the default beta it is not (its weights reach the objective). */
#include "arch.h"
#include "check.h"
#include "fixture_groupdata.h"
#include "groupdata.h"
#include "method.h"
#include "readout.h"
#include "synth.h"
#include "train.h"
#include <math.h>
#include <stdlib.h>
#include <string.h>

static job_spec job_of(method_kind k, int epochs)
{
    static const int widths[] = { 16, 8 };
    return fixture_job("j_dedier", k, epochs, widths, 2);
}

/* DEDIER's weight of row i recomputed in double from readout logits z */
static double weight_by_formula(const float *z, int C, int y, double alpha, double beta,
                                double old)
{
    int pred = 0;
    for (int c = 1; c < C; c++) if (z[c] > z[pred]) pred = c;
    if (pred == y) return old;
    double s = 0.0, p[16];
    for (int c = 0; c < C; c++) s += exp((double)z[c]);
    for (int c = 0; c < C; c++) p[c] = exp((double)z[c]) / s;
    return exp(beta * pow(p[pred] - p[y], alpha));
}

/* checkpoint hooks readout_open wraps (never called in that part) */
static int fake_load(void *ctx, train_state *s, dett_err *e)
{
    (void)ctx; (void)s;
    return dett_fail(e, "a dedier job loaded a checkpoint");
}
static int fake_save(void *ctx, const train_state *s, int forced, dett_err *e)
{
    (void)ctx; (void)s; (void)forced;
    return dett_fail(e, "a dedier job saved a checkpoint");
}

/* a checkpoint in memory: what checkpoint.c would store, for one job */
typedef struct {
    int have, stop_at, steps;   /* a state is stored; stop after step stop_at */
    train_state at;             /* epoch, step, loss_sum */
    float *p, *om, *ov, *x32;
    double *x64, t;
    float q[DATASET_MAX_GROUPS];
} memck;

/* copies n floats (x NULL: none) */
static void cp32(float *to, const float *from, size_t n)
{
    if (to && from) memcpy(to, from, n * sizeof *to);
}

static int mem_save(void *ctx, const train_state *s, int forced, dett_err *e)
{
    memck *c = ctx;
    (void)forced;
    free(c->p); free(c->om); free(c->ov); free(c->x32); free(c->x64);
    c->p = malloc(sizeof(float) * s->m->n_params);
    c->om = malloc(sizeof(float) * s->opt->n);
    c->ov = malloc(sizeof(float) * s->opt->n);
    c->x32 = malloc(sizeof(float) * (s->nx32 + 1));
    c->x64 = malloc(sizeof(double) * (s->nx64 + 1));
    if (!c->p || !c->om || !c->ov || !c->x32 || !c->x64) return dett_fail(e, "no memory");
    cp32(c->p, s->m->params, s->m->n_params);
    cp32(c->om, s->opt->m, s->opt->n);
    cp32(c->ov, s->opt->v, s->opt->n);
    cp32(c->x32, s->x32, s->nx32);
    if (s->nx64) memcpy(c->x64, s->x64, s->nx64 * sizeof(double));
    memcpy(c->q, s->q, sizeof(float) * (size_t)s->G);
    c->t = (double)s->opt->t;
    c->at = *s;
    c->have = 1;
    return 0;
}

static int mem_load(void *ctx, train_state *s, dett_err *e)
{
    memck *c = ctx;
    (void)e;
    if (!c->have) return 0;
    if (s->nx32 != c->at.nx32 || s->nx64 != c->at.nx64) return dett_fail(e, "state sizes differ");
    cp32(s->m->params, c->p, s->m->n_params);
    cp32(s->opt->m, c->om, s->opt->n);
    cp32(s->opt->v, c->ov, s->opt->n);
    cp32(s->x32, c->x32, s->nx32);
    if (s->nx64) memcpy(s->x64, c->x64, s->nx64 * sizeof(double));
    memcpy(s->q, c->q, sizeof(float) * (size_t)s->G);
    s->opt->t = (long)c->t;
    s->epoch = c->at.epoch;
    s->step = c->at.step;
    s->loss_sum = c->at.loss_sum;
    return 1;
}

static int mem_stop(void *ctx)
{
    memck *c = ctx;
    return ++c->steps == c->stop_at;
}

/* a dedier job stopped at step stop_at (second epoch) and resumed from
 * the in-memory checkpoint ends as the uninterrupted job does */
static void test_resume(const groupdata *gd, const float *tz)
{
    dett_err e = { "" };
    job_spec j = job_of(METHOD_DEDIER, 3);
    train_result full, part, rest;
    model *a = arch_build(&j.arch, &gd->info, &e), *b = arch_build(&j.arch, &gd->info, &e);
    model_init(a, 5, 0);
    model_init(b, 5, 0);
    memck c = { .stop_at = 0 };
    train_inputs in = { .t_logits = tz, .ckpt_load = mem_load, .ckpt_save = mem_save,
                        .ckpt_ctx = &c, .should_stop = mem_stop, .hook_ctx = &c };
    EXPECT(train_job(MPI_COMM_WORLD, &j, gd, &in, a, &full, &e) == 0 && !full.failed &&
           !full.stopped, "uninterrupted: %s", e.msg);
    EXPECT(c.have && c.at.nx32 > (size_t)gd->train.n && c.at.nx64 == 1,
           "the readout's state is not in the checkpoint (%zu floats)", c.at.nx32);
    free(c.p); free(c.om); free(c.ov); free(c.x32); free(c.x64);
    memset(&c, 0, sizeof c);
    c.stop_at = (int)(full.steps + full.steps / 2);   /* inside the second epoch */
    EXPECT(train_job(MPI_COMM_WORLD, &j, gd, &in, b, &part, &e) == 0 && part.stopped &&
           c.have && c.at.epoch == 1, "stopped: %s (epoch %d)", e.msg, c.at.epoch);
    model_init(b, 99, 0);   /* the checkpoint must restore everything */
    c.stop_at = -1;
    EXPECT(train_job(MPI_COMM_WORLD, &j, gd, &in, b, &rest, &e) == 0 && !rest.stopped,
           "resumed: %s", e.msg);
    EXPECT(!memcmp(a->params, b->params, sizeof(float) * a->n_params) &&
           full.train_loss[2] == rest.train_loss[2],
           "a resumed dedier job differs from the uninterrupted one (loss %.9g vs %.9g)",
           full.train_loss[2], rest.train_loss[2]);
    free(c.p); free(c.om); free(c.ov); free(c.x32); free(c.x64);
    train_result_free(&full); train_result_free(&part); train_result_free(&rest);
    model_free(a); model_free(b);
}

int main(int argc, char **argv)
{
    MPI_Init(&argc, &argv);
    dett_err e = { "" };
    synth_opts so = synth_defaults();
    so.n_train = 1200;
    so.p_maj = 0.95f;
    groupdata gd;
    EXPECT(fixture_groupdata(&gd, "dedier_test.h5", &so, 8, 64, &e) == 0, "data: %s", e.msg);
    const int64_t n = gd.train.n;
    const int C = gd.info.n_classes, d = gd.info.d, ns = gd.plan.s1 - gd.plan.s0;

    /* a teacher (an untrained wider net is enough for KD's inputs) */
    job_spec tj = job_of(METHOD_ERM, 1);
    tj.arch.n_widths = 1;
    tj.arch.widths[0] = 32;
    model *teacher = arch_build(&tj.arch, &gd.info, &e);
    model_init(teacher, 9, 0);
    float *tz = malloc(sizeof(float) * (size_t)n * C);
    model_ws *tw = model_ws_new(teacher, 1);
    for (int64_t i = 0; i < n; i++)
        memcpy(tz + i * C, model_forward(teacher, tw, gd.train.X + i * d, 1), sizeof(float) * C);
    model_ws_free(tw);

    /* readout_open */
    job_spec dj = job_of(METHOD_DEDIER, 3);
    method_set(&dj.method, "layer", 2);
    method_set(&dj.method, "alpha", 0.5);
    method_set(&dj.method, "beta", 2);
    model *m = arch_build(&dj.arch, &gd.info, &e);
    model_init(m, dj.seed, 0);
    train_inputs base = { .t_logits = tz, .ckpt_load = fake_load, .ckpt_save = fake_save };
    const train_inputs *in = &base;
    readout r;
    job_spec kj = job_of(METHOD_KD, 3);
    EXPECT(readout_open(&r, MPI_COMM_WORLD, &kj, &gd, m, ns, &in, &e) == 0 && !r.on && in == &base,
           "kd has no readout");
    readout_close(&r);
    job_spec bad = dj;
    method_set(&bad.method, "layer", 3);
    EXPECT(readout_open(&r, MPI_COMM_WORLD, &bad, &gd, m, ns, &in, &e) == -1 &&
           strstr(e.msg, "layer 3") && !strchr(e.msg, '\n'), "layer 3 of mlp{16,8}: %s", e.msg);
    readout_close(&r);
    EXPECT(readout_open(&r, MPI_COMM_WORLD, &dj, &gd, m, ns, &in, &e) == 0 && r.on, "open: %s", e.msg);
    EXPECT(in != &base && in->t_logits == tz && in->sample_w == r.w && r.nh == n &&
           r.act == 4, "dedier's inputs (act %d)", r.act);
    EXPECT(in->ckpt_load && in->ckpt_save && in->ckpt_load != fake_load && in->ckpt_ctx == &r,
           "a readout job's checkpoint hooks are not wrapped");
    int ones = 1;
    for (int64_t i = 0; i < n; i++) ones &= r.w[i] == 1.0f;
    EXPECT(ones, "weights start at 1");

    /* train the readout by hand: 4 passes of 64-row steps in shard 0 */
    float *m0 = malloc(sizeof(float) * m->n_params), *r0 = malloc(sizeof(float) * r.rm->n_params);
    memcpy(m0, m->params, sizeof(float) * m->n_params);
    memcpy(r0, r.rm->params, sizeof(float) * r.rm->n_params);
    model_ws *ws = model_ws_new(m, 64);
    int ybuf[64];
    for (int pass = 0; pass < 4; pass++)
        for (int64_t i0 = 0; i0 < n; i0 += 64) {
            int b = (int)(n - i0 < 64 ? n - i0 : 64);
            model_forward(m, ws, gd.train.X + i0 * d, b);
            for (int k = 0; k < b; k++) ybuf[k] = gd.train.y[i0 + k];
            for (int s = 0; s < ns; s++)
                EXPECT(readout_shard(&r, s, ws->act[r.act], ybuf, s == 0 ? b : 0, b, &e) == 0, "%s", e.msg);
            EXPECT(readout_update(&r, &e) == 0, "update: %s", e.msg);
        }
    EXPECT(!memcmp(m0, m->params, sizeof(float) * m->n_params), "the readout changed the student");
    EXPECT(memcmp(r0, r.rm->params, sizeof(float) * r.rm->n_params) != 0, "the readout did not train");

    /* the weights after the epoch, recomputed here (one row at a time) */
    double *want = malloc(sizeof(double) * n);
    int64_t right = 0, maj = 0, cls[16] = { 0 };
    model_ws *rw = model_ws_new(r.rm, 1), *w1 = model_ws_new(m, 1);
    for (int64_t i = 0; i < n; i++) {
        model_forward(m, w1, gd.train.X + i * d, 1);
        const float *z = model_forward(r.rm, rw, w1->act[r.act], 1);
        want[i] = weight_by_formula(z, C, gd.train.y[i], 0.5, 2.0, 1.0);
        right += want[i] == 1.0;
        cls[gd.train.y[i]]++;
    }
    for (int c = 0; c < C; c++) maj = cls[c] > maj ? cls[c] : maj;
    printf("readout after 4 passes: %lld of %lld right (majority class %lld)\n", (long long)right,
           (long long)n, (long long)maj);
    EXPECT(right > maj && right < n, "readout accuracy %lld / %lld (majority %lld)",
           (long long)right, (long long)n, (long long)maj);
    memcpy(r0, r.rm->params, sizeof(float) * r.rm->n_params);
    EXPECT(readout_epoch_end(&r, &gd, m, 0, &e) == 0, "epoch end: %s", e.msg);
    double worst = 0.0;
    for (int64_t i = 0; i < n; i++) worst = fmax(worst, fabs(r.w[i] - want[i]) / want[i]);
    EXPECT(worst < 1e-5 && r.wrong == n - right, "weights differ from the formula by %g (%d "
           "wrong, want %lld)", worst, r.wrong, (long long)(n - right));
    EXPECT(memcmp(r0, r.rm->params, sizeof(float) * r.rm->n_params) != 0, "the readout restarted");
    /* the fresh readout's mistakes replace weights; its right rows keep theirs */
    float *w_prev = malloc(sizeof(float) * n);
    memcpy(w_prev, r.w, sizeof(float) * n);
    EXPECT(readout_epoch_end(&r, &gd, m, 1, &e) == 0, "epoch end 2: %s", e.msg);
    int64_t kept = 0;
    for (int64_t i = 0; i < n; i++) kept += r.w[i] == w_prev[i] && w_prev[i] != 1.0f;
    EXPECT(kept > 0, "no row kept an earlier weight");
    model_ws_free(rw); model_ws_free(w1); model_ws_free(ws);
    readout_close(&r);
    free(w_prev); free(want); free(m0); free(r0);
    model_free(m);

    /* through train_job: beta = 0 is KD exactly; the default beta is not */
    train_result kr, zr, dr;
    kj = job_of(METHOD_KD, 3);
    method_set(&kj.method, "T", 3);
    method_set(&kj.method, "alpha", 1);
    job_spec zj = job_of(METHOD_DEDIER, 3);
    method_set(&zj.method, "beta", 0);
    job_spec dflt = job_of(METHOD_DEDIER, 3);
    model *km = arch_build(&kj.arch, &gd.info, &e), *zm = arch_build(&zj.arch, &gd.info, &e),
          *dm = arch_build(&dflt.arch, &gd.info, &e);
    model_init(km, 5, 0); model_init(zm, 5, 0); model_init(dm, 5, 0);
    train_inputs tin = { .t_logits = tz };
    EXPECT(train_job(MPI_COMM_WORLD, &kj, &gd, &tin, km, &kr, &e) == 0 && !kr.failed, "kd: %s", e.msg);
    EXPECT(train_job(MPI_COMM_WORLD, &zj, &gd, &tin, zm, &zr, &e) == 0 && !zr.failed, "dedier beta 0: %s", e.msg);
    EXPECT(train_job(MPI_COMM_WORLD, &dflt, &gd, &tin, dm, &dr, &e) == 0 && !dr.failed, "dedier: %s", e.msg);
    EXPECT(!memcmp(km->params, zm->params, sizeof(float) * km->n_params) &&
           kr.train_loss[2] == zr.train_loss[2], "dedier(beta = 0) differs from kd(T = 3, alpha = 1)");
    EXPECT(memcmp(km->params, dm->params, sizeof(float) * km->n_params) != 0 &&
           dr.train_loss[2] != kr.train_loss[2], "dedier's weights changed nothing");
    printf("train loss epoch 3: kd %.6f, dedier beta 0 %.6f, dedier %.6f\n", kr.train_loss[2],
           zr.train_loss[2], dr.train_loss[2]);
    train_result_free(&kr); train_result_free(&zr); train_result_free(&dr);
    test_resume(&gd, tz);
    model_free(km); model_free(zm); model_free(dm); model_free(teacher);
    free(tz);
    groupdata_free(&gd);
    int rc = TEST_END();
    MPI_Finalize();
    return rc;
}
