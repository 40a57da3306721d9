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

/* m has finished its ERM epochs (res holds them). Replaces m's head by the
 * DFR refit, evaluates val and test, and appends that as one more epoch row
 * of res, which every selection rule then picks (res->params = the refit
 * model). rep (may be NULL) receives DFR's selection report: the strength
 * chosen, the scores per strength, subsample sizes, refits (same on every
 * rank). Returns -1 with e on failure (on every rank alike). */
int dfr_job_refit(MPI_Comm comm, const job_spec *job, const groupdata *gd, model *m,
                  train_result *res, dfr_select_report *rep, dett_err *e);

/* the results file's record of rep (results_format.h): scores
 * [RF_DFR_N_LAMBDAS, 3] (strength, val worst-group, val accuracy) and choice
 * [RF_DFR_N_CHOICE] */
void dfr_job_record(const dfr_select_report *rep, double *scores, double *choice);

#endif
