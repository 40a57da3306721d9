/* test_train_step.c - one training step of train_job against a reference
 * computed here from the kernels alone: a full batch (64 rows over 8
 * micro-shards, one step per epoch), SGD without momentum or decay, so the
 * parameters after the step are p0 - lr dJ/dp with J the method's objective
 * over the whole batch. Pins what the loop composes:
 *  - group DRO: q from the whole batch's per-group losses (not one
 *    micro-shard's, not one rank's), then the q-weighted loss;
 *  - ERM with sample weights: each row's weight reaches the objective;
 *  - the same with equal weights (the reference itself is right).
 * One process. */
#include "arch.h"
#include "check.h"
#include "fixture_groupdata.h"
#include "groupdata.h"
#include "loss.h"
#include "method.h"
#include "synth.h"
#include "train.h"
#include <math.h>
#include <stdlib.h>
#include <string.h>

enum { N = 64, M = 8 };

static job_spec job_of(method_kind k)
{
    static const int widths[] = { 6 };
    job_spec j = fixture_job("step", k, 1, widths, 1);
    j.optim.lr = 0.5f;
    j.optim.momentum = 0.0f;
    j.optim.wd = 0.0f;
    j.batch = N;
    return j;
}

/* max |train_job's p1 - reference p1| / max |p0 - reference p1| for job j
 * on gd with per-row weights w (NULL: 1) */
static double step_error(const job_spec *j, const groupdata *gd, const float *w)
{
    dett_err e = { "" };
    const method_def *def = method_get(j->method.kind);
    const int C = gd->info.n_classes, A = gd->info.n_attrs, G = gd->info.n_groups;
    model *m = arch_build(&j->arch, &gd->info, &e);
    EXPECT(m != NULL, "arch_build: %s", e.msg);
    if (!m) return INFINITY;
    model_init(m, j->seed, 0);
    float *p0 = malloc(sizeof(float) * m->n_params), *g = calloc(m->n_params, sizeof(float));
    memcpy(p0, m->params, sizeof(float) * m->n_params);

    /* the reference: the whole batch at once */
    model_ws *ws = model_ws_new(m, N);
    const float *z = model_forward(m, ws, gd->train.X, N);
    int y[N], grp[N];
    float one[N], loss[N], dz[N * 8], tmp[N], gw[8], q[8];
    double gsum[8] = { 0 }, gcnt[8] = { 0 };
    for (int i = 0; i < N; i++) {
        y[i] = gd->train.y[i];
        grp[i] = y[i] * A + gd->train.a[i];
        one[i] = w ? w[i] : 1.0f;
    }
    if (def->group_step) {
        loss_xent(NULL, loss, z, y, NULL, N, C, 0.0f);
        for (int i = 0; i < N; i++) { gsum[grp[i]] += loss[i]; gcnt[grp[i]] += 1.0; }
        for (int k = 0; k < G; k++) q[k] = 1.0f / (float)G;
        def->group_step(gw, q, gsum, gcnt, gd->info.group_count[SPLIT_TRAIN], G, j->method.arg);
    }
    obj_in in = { N, C, m->feat_dim, N, z, model_features(m, ws), NULL, NULL, y, grp, one,
                  def->group_step ? gw : NULL, j->method.arg };
    obj_out out = { loss, dz, NULL, tmp };
    def->objective(&out, &in);
    model_backward(m, ws, g, dz, NULL, N, NULL);
    model_ws_free(ws);

    /* train_job: one epoch of one step */
    train_result res = { 0 };
    train_inputs ti = { .sample_w = w };
    int rc = train_job(MPI_COMM_WORLD, j, gd, &ti, m, &res, &e);
    EXPECT(rc == 0 && !res.failed && res.epochs_run == 1, "train_job: %s %s", e.msg, res.reason);
    double diff = 0.0, move = 0.0;
    for (size_t k = 0; rc == 0 && k < m->n_trainable; k++) {
        double ref = (double)p0[k] - (double)j->optim.lr * g[k];
        diff = fmax(diff, fabs(res.params[k] - ref));
        move = fmax(move, fabs(p0[k] - ref));
    }
    train_result_free(&res);
    free(p0);
    free(g);
    model_free(m);
    return move > 0 ? diff / move : INFINITY;
}

int main(int argc, char **argv)
{
    MPI_Init(&argc, &argv);
    dett_err e = { "" };
    synth_opts so = synth_defaults();
    so.n_train = N;
    so.n_val = 40;
    so.n_test = 40;
    so.p_maj = 0.75f;
    groupdata gd;
    EXPECT(fixture_groupdata(&gd, "train_step.h5", &so, M, N, &e) == 0, "data: %s", e.msg);
    EXPECT(gd.train.n == N && gd.plan.steps == 1, "one step of %d rows", N);

    /* group DRO with eta 1: q moves far from uniform in one step */
    job_spec j = job_of(METHOD_GROUPDRO);
    j.method.eta = 1.0f;
    double err = step_error(&j, &gd, NULL);
    printf("groupdro step: relative error %.2e\n", err);
    EXPECT(err < 1e-4, "groupdro: train_job's step is not the whole batch's (%g)", err);

    /* ERM with weights 0.2 .. 5 and with none */
    float w[N];
    for (int i = 0; i < N; i++) w[i] = i % 3 == 0 ? 5.0f : 0.2f;
    j = job_of(METHOD_ERM);
    err = step_error(&j, &gd, w);
    printf("weighted erm step: relative error %.2e\n", err);
    EXPECT(err < 1e-4, "weighted erm: train_job's step ignores or misplaces the weights (%g)", err);
    err = step_error(&j, &gd, NULL);
    printf("erm step: relative error %.2e\n", err);
    EXPECT(err < 1e-4, "erm: train_job's step differs from the reference (%g)", err);

    groupdata_free(&gd);
    int rc = TEST_END();
    MPI_Finalize();
    return rc;
}
