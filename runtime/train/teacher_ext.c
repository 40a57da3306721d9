/* teacher_ext.c - external teachers in the job runner (see teacher_ext.h). */
#include "teacher_ext.h"
#include "agree.h"
#include "metrics.h"
#include <math.h>
#include <stdlib.h>
#include <string.h>

model *teacher_ext_model(const char *path, const dataset_info *info, dett_err *e)
{
    teacher_file_info t;
    if (teacher_file_open(path, &t, e)) return NULL;
    if (t.n_classes != info->n_classes) {
        dett_fail(e, "%s: the teacher's head has %d classes, the data %d", path, t.n_classes,
                  info->n_classes);
        return NULL;
    }
    model *m = model_mlp(t.feat_dim, NULL, 0, t.n_classes);
    if (!m) {
        dett_fail(e, "%s: out of memory (teacher head %d x %d)", path, t.n_classes, t.feat_dim);
        return NULL;
    }
    if (teacher_file_read_head(path, &t, m->params, e)) {
        model_free(m);
        return NULL;
    }
    return m;
}

/* z [n, C] = x [n, f] W^T + b, row by row in double (head params: W then b) */
static void head_logits(const model *head, const float *x, int64_t n, float *z)
{
    const int C = head->n_classes, f = head->feat_dim;
    const float *W = head->params, *b = head->params + (size_t)C * f;
    for (int64_t i = 0; i < n; i++)
        for (int c = 0; c < C; c++) {
            double s = b[c];
            const float *w = W + (size_t)c * f, *xi = x + (size_t)i * f;
            for (int k = 0; k < f; k++) s += (double)w[k] * xi[k];
            z[(size_t)i * C + c] = (float)s;
        }
}

int teacher_ext_inputs(const char *path, const groupdata *gd, const model *head,
                       float **t_logits, float **t_feats, float **test_feats, dett_err *e)
{
    teacher_file_info t;
    const int64_t n = gd->train.n, nt = gd->eval[SPLIT_TEST].n;
    *t_logits = *t_feats = *test_feats = NULL;
    if (teacher_file_open(path, &t, e)) return -1;
    if (t.feat_dim != head->feat_dim || t.n_classes != head->n_classes)
        return dett_fail(e, "%s: changed while the grid ran (head %d x %d, now %d x %d)", path,
                         head->n_classes, head->feat_dim, t.n_classes, t.feat_dim);
    *t_feats = malloc(sizeof(float) * (size_t)(n ? n : 1) * t.feat_dim);
    *t_logits = malloc(sizeof(float) * (size_t)(n ? n : 1) * t.n_classes);
    if (!*t_feats || !*t_logits) return dett_fail(e, "out of memory (teacher features)");
    if (teacher_file_read_rows(path, &t, SPLIT_TRAIN, gd->train.row0, n, *t_feats, e)) return -1;
    head_logits(head, *t_feats, n, *t_logits);
    if (t.n[SPLIT_TEST] < 0) return 0;
    *test_feats = malloc(sizeof(float) * (size_t)(nt ? nt : 1) * t.feat_dim);
    if (!*test_feats) return dett_fail(e, "out of memory (teacher test features)");
    return teacher_file_read_rows(path, &t, SPLIT_TEST, gd->eval[SPLIT_TEST].row0, nt,
                                  *test_feats, e);
}

int teacher_ext_job(MPI_Comm comm, const job_spec *job, const groupdata *gd, train_result *res,
                    dett_err *e)
{
    const int G = gd->info.n_groups;
    float *feats[N_SPLITS] = { NULL, NULL, NULL };
    model *head = NULL;
    int rc = -1;
    memset(res, 0, sizeof *res);
    res->epochs = res->epochs_run = 1;
    res->G = G;
    res->train_loss = malloc(sizeof(double));
    res->acc = malloc(sizeof(double) * N_SPLITS * (size_t)G);
    res->worst = malloc(sizeof(double) * N_SPLITS);
    res->avg = malloc(sizeof(double) * N_SPLITS);
    res->mean = malloc(sizeof(double) * N_SPLITS);
    if (!res->train_loss || !res->acc || !res->worst || !res->avg || !res->mean) {
        dett_fail(e, "out of memory");
        goto out;
    }
    res->train_loss[0] = NAN;   /* nothing was trained */
    for (int i = 0; i < N_SPLITS * G; i++) res->acc[i] = NAN;
    for (int s = 0; s < N_SPLITS; s++) res->worst[s] = res->avg[s] = res->mean[s] = NAN;
    /* read first, agree, then evaluate: a rank that cannot read its rows
     * must not leave the others waiting in train_eval's allreduce */
    teacher_file_info t;
    int bad = !(head = teacher_ext_model(job->teacher_file, &gd->info, e)) ||
              teacher_file_open(job->teacher_file, &t, e);
    for (int s = SPLIT_VAL; s <= SPLIT_TEST && !bad; s++) {
        const dataset_rows *r = &gd->eval[s];
        if (t.n[s] < 0) continue;
        feats[s] = malloc(sizeof(float) * (size_t)(r->n ? r->n : 1) * t.feat_dim);
        if (!feats[s]) bad = dett_fail(e, "out of memory (teacher features)");
        else bad = teacher_file_read_rows(job->teacher_file, &t, s, r->row0, r->n, feats[s], e);
    }
    if (agree(comm, bad ? -1 : 0, e)) goto out;
    for (int s = SPLIT_VAL; s <= SPLIT_TEST; s++) {
        if (!feats[s]) continue;
        int64_t corr[DATASET_MAX_GROUPS], tot[DATASET_MAX_GROUPS];
        /* the evaluation of a trained model, with the features as its input */
        groupdata fg = *gd;
        fg.info.d = t.feat_dim;
        fg.eval[s].X = feats[s];
        if (train_eval(comm, head, &fg, s, corr, tot, e)) goto out;
        metrics_groups(res->acc + (size_t)s * G, &res->worst[s], &res->avg[s], &res->mean[s],
                       corr, tot, gd->info.group_count[SPLIT_TRAIN], G);
    }
    res->params = malloc(sizeof(float) * head->n_params);
    if (!res->params) {
        dett_fail(e, "out of memory");
        goto out;
    }
    memcpy(res->params, head->params, sizeof(float) * head->n_params);
    res->n_params = head->n_params;
    rc = 0;
out:
    for (int s = 0; s < N_SPLITS; s++) free(feats[s]);
    model_free(head);
    if (rc) train_result_free(res);
    return rc;
}
