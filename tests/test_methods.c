/* test_methods.c - the training methods end to end on the synthetic data,
 * through the same train_job the grids use (one process):
 *  - the group-DRO teacher and the DeTT student are far above ERM on the
 *    worst group, and DeTT stays within a few points of its teacher;
 *  - DeTT's transplanted head never changes while the projector does;
 *  - the objectives of KD, FitNet and SimKD train (finite, down by 30% in
 *    4 epochs: a projector that gets no gradient fails this).
 * The DeTT weights here are built by hand, and unweighted DeTT (SimKD) meets
 * these thresholds too: that the job runner hands training the error set's
 * weights (and JTT its upsampling) is tested in test_jobrun_methods.c. */
#include "arch.h"
#include "check.h"
#include "groupdata.h"
#include "loss.h"
#include "method.h"
#include "synth.h"
#include "train.h"
#include "transplant.h"
#include <math.h>
#include <stdlib.h>
#include <string.h>

static job_spec job_of(method_kind k, int epochs, int width, optim_kind ok, float lr)
{
    job_spec j;
    memset(&j, 0, sizeof j);
    snprintf(j.id, sizeof j.id, "test");
    j.kind = JOB_STUDENT;
    j.arch.kind = ARCH_MLP;
    j.arch.n_widths = 1;
    j.arch.widths[0] = width;
    method_defaults(k, &j.method);   /* eta 0.01, adj 0; T 4, alpha 0.9; feat_w 1, ce_w 1 */
    j.optim = optim_defaults(ok);
    j.optim.lr = lr;
    j.optim.wd = 1e-4f;
    j.epochs = epochs;
    j.batch = 64;
    j.seed = 3;
    j.teacher = j.ident = -1;
    return j;
}

/* test worst-group accuracy at the selected epoch */
static double test_worst(const train_result *r)
{
    return r->worst[(size_t)r->selected[0] * N_SPLITS + SPLIT_TEST];
}

/* trains a fresh model for job j; returns it (caller frees) */
static model *train(const job_spec *j, const groupdata *gd, const train_inputs *in,
                    model *m, train_result *res)
{
    dett_err e;
    if (!m) {
        m = arch_build(&j->arch, &gd->info, &e);
        model_init(m, j->seed, 0);
    }
    int rc = train_job(MPI_COMM_WORLD, j, gd, in, m, res, &e);
    EXPECT(rc == 0 && !res->failed, "train_job: %s %s", rc ? e.msg : "", res->reason);
    return m;
}

int main(int argc, char **argv)
{
    MPI_Init(&argc, &argv);
    dett_err e;
    dataset_info info;
    dataset_rows split[N_SPLITS];
    synth_opts so = synth_defaults();
    so.n_train = 3000;
    so.p_maj = 0.95f;
    EXPECT(synth_generate(&so, &info, split, &e) == 0, "synth: %s", e.msg);
    EXPECT(dataset_write("methods_test.h5", &info, split, &e) == 0, "write: %s", e.msg);
    for (int s = 0; s < N_SPLITS; s++) dataset_rows_free(&split[s]);
    groupdata gd;
    EXPECT(groupdata_load(&gd, "methods_test.h5", MPI_COMM_WORLD, 8, 64, &e) == 0, "load: %s", e.msg);
    const int64_t n = gd.train.n;
    const int C = gd.info.n_classes, d = gd.info.d;

    /* teacher: group DRO on a wider net, keep its selected parameters */
    train_result tr, er, ir, dr;
    job_spec tj = job_of(METHOD_GROUPDRO, 12, 64, OPTIM_SGD, 0.01f);
    model *teacher = train(&tj, &gd, NULL, NULL, &tr);
    memcpy(teacher->params, tr.params, sizeof(float) * teacher->n_params);

    /* ERM student */
    job_spec ej = job_of(METHOD_ERM, 12, 8, OPTIM_SGD, 0.01f);
    model *erm = train(&ej, &gd, NULL, NULL, &er);

    /* teacher outputs on the training rows, computed once */
    const int F = teacher->feat_dim;
    float *tz = malloc(sizeof(float) * n * C), *tf = malloc(sizeof(float) * n * F);
    model_ws *ws = model_ws_new(teacher, 1);
    for (int64_t i = 0; i < n; i++) {
        memcpy(tz + i * C, model_forward(teacher, ws, gd.train.X + i * d, 1), sizeof(float) * C);
        memcpy(tf + i * F, model_features(teacher, ws), sizeof(float) * F);
    }
    model_ws_free(ws);

    /* identification: ERM for 1 epoch; its errors are upweighted 50x */
    job_spec ij = job_of(METHOD_ERM, 1, 8, OPTIM_SGD, 0.01f);
    model *ident = train(&ij, &gd, NULL, NULL, &ir);
    float *w = malloc(sizeof(float) * n), z[2];
    int n_err = 0;
    ws = model_ws_new(ident, 1);
    for (int64_t i = 0; i < n; i++) {
        int pred;
        memcpy(z, model_forward(ident, ws, gd.train.X + i * d, 1), sizeof z);
        loss_argmax(&pred, z, 1, C);
        w[i] = pred != gd.train.y[i] ? 50.0f : 1.0f;
        n_err += pred != gd.train.y[i];
    }
    model_ws_free(ws);
    EXPECT(n_err > 0 && n_err < n / 2, "error set of %d rows", n_err);

    /* DeTT student: transplanted frozen head, projector, weighted feature MSE */
    job_spec dj = job_of(METHOD_DETT, 30, 8, OPTIM_ADAMW, 1e-3f);
    model *dm = arch_build(&dj.arch, &gd.info, &e);
    model_init(dm, dj.seed, 0);
    dm = model_transplant(dm, teacher, dj.seed, 1000);
    const layer *head = dm->layers[dm->n_layers - 1], *proj = dm->layers[dm->n_layers - 2];
    float *proj0 = malloc(sizeof(float) * proj->n_params);
    memcpy(proj0, dm->params + proj->off, sizeof(float) * proj->n_params);
    train_inputs in = { .sample_w = w, .t_feats = tf };
    train(&dj, &gd, &in, dm, &dr);
    const layer *th = teacher->layers[teacher->n_layers - 1];
    EXPECT(!memcmp(dm->params + head->off, teacher->params + th->off, sizeof(float) * th->n_params),
           "the transplanted head changed during training");
    EXPECT(memcmp(dm->params + proj->off, proj0, sizeof(float) * proj->n_params) != 0,
           "the projector did not train");

    double tw = test_worst(&tr), ew = test_worst(&er), dw = test_worst(&dr);
    printf("test worst-group: teacher %.3f, erm %.3f, dett %.3f\n", tw, ew, dw);
    EXPECT(tw > ew + 0.08, "teacher %.3f not far above erm %.3f", tw, ew);
    EXPECT(dw > ew + 0.08, "dett %.3f not far above erm %.3f", dw, ew);
    EXPECT(fabs(dw - tw) < 0.05, "dett %.3f more than 5 points from its teacher %.3f", dw, tw);

    /* KD, FitNet and SimKD: objectives finite and decreasing */
    const method_kind others[3] = { METHOD_KD, METHOD_FITNET, METHOD_SIMKD };
    for (int k = 0; k < 3; k++) {
        train_result r;
        job_spec j = job_of(others[k], 4, 8, others[k] == METHOD_KD ? OPTIM_SGD : OPTIM_ADAMW,
                            others[k] == METHOD_KD ? 0.01f : 1e-3f);
        model *m = arch_build(&j.arch, &gd.info, &e), *pj = NULL;
        model_init(m, j.seed, 0);
        if (others[k] == METHOD_SIMKD) m = model_transplant(m, teacher, j.seed, 1000);
        if (others[k] == METHOD_FITNET) {
            pj = model_mlp(m->feat_dim, NULL, 0, F);
            model_init(pj, j.seed, 1000);
        }
        train_inputs ik = { .t_logits = tz, .t_feats = tf, .proj = pj };
        train(&j, &gd, &ik, m, &r);
        EXPECT(isfinite(r.train_loss[3]) && r.train_loss[3] < 0.7 * r.train_loss[0],
               "method %d: objective %g -> %g", others[k], r.train_loss[0], r.train_loss[3]);
        printf("method %d: objective %.4f -> %.4f, test worst %.3f\n", others[k],
               r.train_loss[0], r.train_loss[3], test_worst(&r));
        train_result_free(&r);
        model_free(m);
        model_free(pj);
    }

    train_result_free(&tr); train_result_free(&er); train_result_free(&ir); train_result_free(&dr);
    model_free(teacher); model_free(erm); model_free(ident); model_free(dm);
    free(tz); free(tf); free(w); free(proj0);
    groupdata_free(&gd);
    int rc = TEST_END();
    MPI_Finalize();
    return rc;
}
