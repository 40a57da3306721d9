/* fixture_groupdata.h - the small synthetic data, job specs and script
 * files that the training tests build (test_dedier_train, test_train_step,
 * test_sampling_jobs, test_chain, test_jobrun_methods). Files are written
 * relative to the working directory (ctest runs tests in the build tree).
 * Every function returns 0, or -1 with e set (or errno for fixture_text);
 * the callers EXPECT on it. */
#ifndef DETT_TEST_FIXTURE_GROUPDATA_H
#define DETT_TEST_FIXTURE_GROUPDATA_H
#include "dsl.h"
#include "groupdata.h"
#include "jobspec.h"
#include "synth.h"

/* synthetic data of so written to path; info (may be NULL) <- its header */
int fixture_data(const char *path, const synth_opts *so, dataset_info *info, dett_err *e);

/* fixture_data, then path loaded into gd on MPI_COMM_WORLD with
 * `shards` micro-shards and batch `batch` (groupdata_free it) */
int fixture_groupdata(groupdata *gd, const char *path, const synth_opts *so, int shards,
                      int batch, dett_err *e);

/* a student job named id: mlp[widths] (n_widths of them), method k with
 * its defaults, SGD defaults, `epochs` epochs, batch 64, seed 5, no
 * teacher and no identification job */
job_spec fixture_job(const char *id, method_kind k, int epochs, const int *widths,
                     int n_widths);

/* a grid as dett run sees it: fixture_data to data (info may be NULL),
 * script_text written to script, then dsl_load of it into *d and *jobs
 * (the caller dsl_frees *d and job_list_frees *jobs) */
int fixture_grid(const char *data, const synth_opts *so, dataset_info *info,
                 const char *script, const char *script_text, dsl **d, job_list *jobs,
                 dett_err *e);

/* text written to path (a grid script); 0 or -1 */
int fixture_text(const char *path, const char *text);

#endif
