/* dfr_job.h - the dfr{} method of a grid: an ERM model whose last layer is
 * refit in closed form by DFR (runtime/linalg/dfr.h) on its penultimate features of
 * the validation rows (half tunes lambda by worst-group accuracy, then all of
 * them refit; group-balanced subsamples averaged), as Kirichenko et al. 2022
 * do. Used as a baseline row and as a debiased teacher (train{ method =
 * dfr{} }). Collective over the job group.
 */
#ifndef DETT_DFR_JOB_H
#define DETT_DFR_JOB_H
#include "dfr.h"
#include "groupdata.h"
#include "jobspec.h"
#include "model.h"
#include "train.h"

/* the refit model's accuracies, split val then test (index 0, 1) */
typedef struct {
    int G;
    double acc[2 * DATASET_MAX_GROUPS];   /* [2, G] */
    double worst[2], avg[2], mean[2];
} dfr_refit;

/* m has finished its ERM epochs (res holds them). Replaces m's head by the
 * DFR refit and evaluates it on val and test into *out (res keeps the base
 * model's true epochs: the refit is not an epoch); res->params becomes the
 * refit model and every selection rule of res names the last epoch, the
 * model the refit is built on. rep (may be NULL) receives DFR's selection
 * report: the strength chosen, the scores per strength, subsample sizes,
 * refits (same on every rank). Returns -1 with e on failure (on every rank
 * alike). */
int dfr_job_refit(MPI_Comm comm, const job_spec *job, const groupdata *gd, model *m,
                  train_result *res, dfr_select_report *rep, dfr_refit *out, dett_err *e);

/* the results file's record of rep (results_format.h): scores
 * [RF_DFR_N_LAMBDAS, 3] (strength, val worst-group, val accuracy) and choice
 * [RF_DFR_N_CHOICE] */
void dfr_job_record(const dfr_select_report *rep, double *scores, double *choice);

#endif
