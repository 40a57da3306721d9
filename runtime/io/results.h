/* results.h - the results file of `dett run`: one HDF5 file for a whole grid.
 *
 * Layout (format "dett-results", format_version 1; all names below are part
 * of the contract with analysis/ and with users' h5py scripts):
 *
 * /                      attributes (strings unless noted):
 *     format = "dett-results", format_version (int32) = 1,
 *     dett_version, git_commit, script (the script's text), script_path,
 *     script_sha256, world_size (int32), ranks_per_job (int32),
 *     start_time (ISO 8601 UTC), n_jobs (int32)
 * /jobs/table            compound [n_jobs], one row per job, in job order:
 *     id        string (16 bytes, NUL-padded)   "j000"
 *     kind      string (8)                      "train" | "ident" | "student"
 *     hash      string (65)                     hex sha256 of the config
 *     status    int32   0 pending, 1 running, 2 done, 3 failed, 4 skipped
 *     error     string (256)                    why failed/skipped, else ""
 *     wall_seconds  float64
 *     ranks     int32                           ranks that ran it
 *     epochs_run int32
 * /jobs/<id>/            group per job; attributes (strings):
 *     config (canonical text), hash, kind, method (e.g. "dett"),
 *     method_args (e.g. "up=50,T=1"), arch (e.g. "mlp[64,64]"),
 *     weighting (e.g. "jtt(T=1,up=50)" or "none"), optim (e.g.
 *     "sgd(lr=0.01,momentum=0.9,wd=0.0001)"), batch (int32), dataset (path),
 *     teacher (job id or ""), ident (job id or ""), seed (int64),
 *     epochs (int32), select ("val-worst" | "val-avg" | "oracle"),
 *     groups (int32 G), n_attrs (int32 A)    [group g = y * A + a]
 *   datasets (created with fill values; written when the job finishes):
 *     train_loss   float64 [E]          mean training objective per epoch
 *     acc          float64 [E, 2, G]    per-group accuracy, [.., 0, ..] val,
 *                                       [.., 1, ..] test; fill NaN
 *     worst        float64 [E, 2]       worst-group accuracy (val, test)
 *     avg          float64 [E, 2]       train-proportion-weighted average
 *     mean         float64 [E, 2]       unweighted mean over groups
 *     selected     int32   [3]          epoch (0-based) chosen by val-worst,
 *                                       val-avg, oracle; fill -1
 *     params       float32 [P]          parameters at the job's selected epoch
 *     diagnostics/   students of fitnet, simkd and dett only:
 *       cka          float64 [G]          linear CKA between the teacher's and the
 *                                         student's (projected) penultimate
 *                                         features on the test rows of group g
 *       feature_mse  float64 [G]          their mean squared difference per
 *                                         feature; fill NaN until written
 * /artifacts/<hash>/     shared results, stored once per hash:
 *     params       float32 [P]          teacher / identification weights
 *     error_set    uint8   [n_train]    ident jobs: 1 where the model errs
 *                                       on the training row
 *
 * Parallel I/O: results_open is collective over the world communicator: it
 * creates (or, on resume, opens and checks) the whole layout with the MPI-IO
 * driver, then flushes it. After that every write is an independent raw-data
 * write by one rank (or each rank of a group its own rows) into datasets
 * whose handles stay open, so no metadata changes until results_close,
 * which is collective. A killed run leaves a file whose job table says what
 * finished (h5dump and h5py can read the file while a run holds it open).
 *
 * Details of the implementation (results.c): datasets are contiguous and
 * allocated at creation; a dimension that would be 0 (P, n_train, E) is
 * stored as 1 and left at its fill value; strings are fixed-length; the
 * file uses the HDF5 1.8 format (dense attributes, so the script text may
 * exceed 64 KB). Every call turns HDF5's automatic error printing off while
 * it runs: failures are reported through dett_err only.
 */
#ifndef DETT_RESULTS_H
#define DETT_RESULTS_H
#include "err.h"
#include "jobspec.h"
#include <mpi.h>
#include <stddef.h>
#include <stdint.h>

#define RESULTS_FORMAT_VERSION 1

enum { JOB_PENDING = 0, JOB_RUNNING = 1, JOB_DONE = 2, JOB_FAILED = 3, JOB_SKIPPED = 4 };

/* one row of /jobs/table */
typedef struct {
    char id[16];
    char kind[8];
    char hash[65];
    int32_t status;
    char error[256];
    double wall_seconds;
    int32_t ranks;
    int32_t epochs_run;
} results_row;

/* what the layout needs to know of each job (shapes) and of the run */
typedef struct {
    int epochs, groups, n_attrs;   /* E, G, A */
    size_t n_params;               /* P */
    int64_t n_train;               /* rows of the training split */
    /* attribute strings */
    char method[32], method_args[128], arch[128], weighting[128];
    char optim[128];               /* "sgd(lr=0.01,momentum=0.9,wd=0.0001)" */
    int batch;                     /* global batch */
    char teacher[16], ident[16], select[16];
    int diagnostics;               /* 1: create /jobs/<id>/diagnostics */
} results_jobinfo;

typedef struct {
    const char *script_text, *script_path, *script_sha256;
    int world_size, ranks_per_job;
} results_meta;

typedef struct results results;

/* Collective over comm. If path does not exist: create the layout for
 * jobs[0..n). If it exists and is a dett results file of this format for the
 * same script (sha256) with the same job table (ids, hashes) and shapes,
 * open it for resume. Refused with a message: a file that is not HDF5 (or
 * truncated) or not a dett results file, a newer format_version, a different
 * script or job list — unless force, in which case it is replaced (force
 * always starts afresh, even over this script's own file). A new layout is
 * built in "<path>.tmp" and renamed to path only when complete; a refused
 * file is never modified. Every rank returns the same status and message.
 * *out is owned by the caller: results_close frees it; NULL on failure. */
int results_open(results **out, const char *path, MPI_Comm comm, const job_list *jobs,
                 const results_jobinfo *info, const results_meta *meta, int force,
                 dett_err *e);
/* collective: closes every handle and the file; NULL ok */
int results_close(results *r, dett_err *e);

/* independent: reads / writes one row of the job table. A written row keeps
 * the job's own id, kind and hash whatever row holds; strings longer than
 * their field are truncated. */
int results_read_row(results *r, int job, results_row *row, dett_err *e);
int results_write_row(results *r, int job, const results_row *row, dett_err *e);

/* independent: writes a finished job's curves, selection and parameters.
 * Arrays as in the layout: train_loss [E], acc [E, 2, G], worst/avg/mean
 * [E, 2], selected [3], params [P]; epochs_run <= E rows are written.
 * A NULL array is not written (its dataset keeps what it held). */
int results_write_job(results *r, int job, int epochs_run, const double *train_loss,
                      const double *acc, const double *worst, const double *avg,
                      const double *mean, const int32_t *selected, const float *params,
                      dett_err *e);
/* independent: a student's per-group diagnostics, cka [G] and mse [G] */
int results_write_diagnostics(results *r, int job, const double *cka, const double *mse,
                              dett_err *e);
/* independent: reads a job's params back (P floats) */
int results_read_params(results *r, int job, float *params, dett_err *e);

/* independent: the artifact of job (stored under /artifacts/<its hash>) */
int results_write_artifact_params(results *r, int job, const float *params, dett_err *e);
int results_read_artifact_params(results *r, int job, float *params, dett_err *e);
/* rows [row0, row0 + n) of an ident job's error set; each rank its rows */
int results_write_error_set(results *r, int job, int64_t row0, int64_t n,
                            const uint8_t *err, dett_err *e);
int results_read_error_set(results *r, int job, int64_t row0, int64_t n, uint8_t *err,
                           dett_err *e);

#endif
