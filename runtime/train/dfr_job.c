/* dfr_job.c - the dfr{} method: ERM, then the last layer refit by DFR. */
#include "dfr_job.h"
#include "dfr.h"
#include "metrics.h"
#include "results_format.h"
#include <math.h>
#include <stdlib.h>
#include <string.h>

/* lambdas tried (L2 strength on standardised features) and subsamples averaged */
static const double dfr_lambdas[] = { 1e-4, 1e-3, 1e-2, 1e-1, 1.0 };
#define DFR_SEEDS 5

_Static_assert(sizeof dfr_lambdas / sizeof *dfr_lambdas == RF_DFR_N_LAMBDAS,
               "the results file's dfr/scores holds one row per strength tried");

void dfr_job_record(const dfr_select_report *rep, double *scores, double *choice)
{
    for (int k = 0; k < RF_DFR_N_LAMBDAS; k++) {
        scores[k * 3 + 0] = dfr_lambdas[k];
        scores[k * 3 + 1] = rep->worst_acc[k];
        scores[k * 3 + 2] = rep->mean_acc[k];
    }
    choice[RF_DFR_LAMBDA] = rep->lambda;
    choice[RF_DFR_BEST] = rep->best;
    choice[RF_DFR_N_HALF_FIT] = (double)rep->n_half[0];
    choice[RF_DFR_N_HALF_SCORE] = (double)rep->n_half[1];
    choice[RF_DFR_PER_GROUP_FIT] = (double)rep->per_group_fit;
    choice[RF_DFR_PER_GROUP_FINAL] = (double)rep->per_group_final;
    choice[RF_DFR_GROUPS_EMPTY] = rep->groups_empty;
    choice[RF_DFR_RETRIES] = rep->retries;
}

int dfr_job_refit(MPI_Comm comm, const job_spec *job, const groupdata *gd, model *m,
                  train_result *res, dfr_select_report *rep, dfr_refit *out, dett_err *e)
{
    const dataset_rows *val = &gd->eval[SPLIT_VAL];
    const int F = m->feat_dim, C = m->n_classes, A = gd->info.n_attrs, G = gd->info.n_groups;
    const int64_t n = val->n;
    float *feat = malloc(sizeof(float) * (size_t)(n ? n : 1) * F);
    int32_t *grp = malloc(sizeof(int32_t) * (size_t)(n ? n : 1));
    model_ws *ws = model_ws_new(m, EVAL_BLOCK);
    int64_t corr[DATASET_MAX_GROUPS], tot[DATASET_MAX_GROUPS];
    CHECK_ALLOC(e, feat);
    CHECK_ALLOC(e, grp);
    CHECK_ALLOC(e, ws);
    /* penultimate features of this rank's validation rows */
    for (int64_t i0 = 0; i0 < n; i0 += EVAL_BLOCK) {
        int b = (int)(n - i0 < EVAL_BLOCK ? n - i0 : EVAL_BLOCK);
        model_forward(m, ws, val->X + i0 * gd->info.d, b);
        memcpy(feat + i0 * F, model_features(m, ws), sizeof(float) * (size_t)b * F);
    }
    for (int64_t i = 0; i < n; i++) grp[i] = val->y[i] * A + val->a[i];

    /* refit the head: W [C, F] then b [C], the dense layer's own layout */
    dfr_opts o;
    dfr_opts_default(&o);
    dfr_select_opts so = { dfr_lambdas, (int)(sizeof dfr_lambdas / sizeof *dfr_lambdas),
                           DFR_SEEDS, job->seed };
    const layer *head = m->layers[m->n_layers - 1];
    float *W = m->params + head->off, *bias = W + (size_t)C * F;
    CHECK(dfr_select(comm, feat, val->y, grp, n, F, C, G, &o, &so, W, bias, rep, e));

    /* the refit model, evaluated on val and test: its own record, not an
     * epoch (res keeps the base model's epochs). It is built on the last
     * epoch's model, which every selection rule now names; its parameters
     * are the job's. */
    for (int sp = SPLIT_VAL; sp <= SPLIT_TEST; sp++) {
        CHECK(train_eval(comm, m, gd, sp, corr, tot, e));
        int k = sp - SPLIT_VAL;
        metrics_groups(out->acc + (size_t)k * G, &out->worst[k], &out->avg[k], &out->mean[k],
                       corr, tot, gd->info.group_count[SPLIT_TRAIN], G);
    }
    out->G = G;
    for (int k = 0; k < N_SELECTS; k++) res->selected[k] = res->epochs_run - 1;
    memcpy(res->params, m->params, sizeof(float) * m->n_params);
    free(feat); free(grp);
    model_ws_free(ws);
    return 0;
fail:
    free(feat); free(grp);
    model_ws_free(ws);
    return -1;
}
