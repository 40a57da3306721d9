/* results.h - the results file of `dett run`: one HDF5 file for a whole grid.
 *
 * The schema (every group, dataset and attribute, with axes and units) is
 * docs/results-format.md; every name is a macro of
 * runtime/format/results_format.h (format "dett-results", format_version
 * RF_FORMAT_VERSION = 5). In short:
 *
 * /                      attributes: format, format_version, dett_version,
 *                        git_commit, script, script_path, script_sha256,
 *                        world_size, ranks_per_job, start_time, n_jobs
 * /jobs/table            compound [rows, chunked, unlimited]: id, kind, hash,
 *                        status, error, wall_seconds, ranks, epochs_run
 *                        (@status names the status values 0..4); one row
 *                        per job the store ever held
 * /scripts/<sha256>      per script run on the store: @script, @script_path,
 *                        @last_run, @rows (its jobs' table rows)
 * /jobs/<id>/            attributes: the job's configuration, as text
 *                        (config, method, method_args, arch, weighting, optim,
 *                        dataset, teacher, ident, select, kind, hash) and
 *                        typed (batch, seed, epochs, groups, n_attrs, arch.*,
 *                        optim.*, method.*, weighting.*)
 *   train_loss [E], acc [E, 2, G], worst/avg/mean [E, 2], selected [4],
 *   params [P], diagnostics/{cka, feature_mse} [G] (fitnet, simkd, dett),
 *   error_groups [G] (ident jobs: error-set rows per training group),
 *   dfr/{scores, choice, acc, worst, avg, mean} (dfr{} jobs: DFR's choices
 *   and the refit's accuracies; their curves are the base model's epochs);
 *   each dataset has @long_name, @axes, @units, @fill and, where it has an
 *   epoch or split axis, @epoch_base = 0 and @split = ["val", "test"]
 * /artifacts/<hash>/     params [P]; error_set [n_train] (ident jobs)
 *
 * Strings are variable-length UTF-8 attributes (the job table's fields are
 * fixed-length, NUL-padded).
 *
 * Parallel I/O: results_open is collective over the world communicator:
 * rank 0 alone creates (or, on resume, checks and grows) the whole layout
 * through a serial (sec2) handle, flushes and closes it; the ranks agree on
 * its status and then open the file with the MPI-IO driver. A write that
 * fails while the layout is built so fails on rank 0 outside any collective
 * and every rank returns its one line. After that every write is an independent raw-data
 * write by one rank (or each rank of a group its own rows) into datasets
 * whose handles stay open, so no metadata changes until results_close,
 * which is collective. A killed run leaves a file whose job table says what
 * finished (h5dump and h5py can read the file while a run holds it open).
 *
 * Details of the implementation (results.c): datasets are contiguous and
 * allocated at creation; a dimension that would be 0 (P, n_train, E) is
 * stored as 1 and left at its fill value; the file uses the HDF5 1.8
 * format (dense attributes, so the script text may exceed 64 KB). Every call turns HDF5's automatic error printing off while
 * it runs: failures are reported through dett_err only.
 */
#ifndef DETT_RESULTS_H
#define DETT_RESULTS_H
#include "err.h"
#include "iofail.h"
#include "jobspec.h"
#include "model.h"
#include "results_format.h"
#include <hdf5.h>
#include <mpi.h>
#include <stddef.h>
#include <stdint.h>

/* one row of /jobs/table (status: JOB_* of results_format.h) */
typedef struct {
    char id[RF_ID_LEN];
    char kind[RF_KIND_LEN];
    char hash[RF_HASH_LEN];
    int32_t status;
    char error[RF_ERROR_LEN];
    double wall_seconds;
    int32_t ranks;
    int32_t epochs_run;
} results_row;

/* one layer of a job's model, as stored in params' @layers */
typedef struct {
    char kind[RF_LAYER_KIND_LEN];   /* "dense", "conv", ... */
    int64_t offset, n_params;
    int32_t in_dim, out_dim, C, H, W, OC, OH, OW, k, stride, pad, frozen;
} results_layer;

#define RESULTS_MAX_LAYERS 64

/* the HDF5 compound type of results_layer: in memory (native, the struct's
 * offsets) if file == 0, else packed little-endian (the stored type); the
 * caller closes it; -1 on failure. Readers of @layers use file == 0. */
hid_t results_layer_type(int file);

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
    char init[16];                 /* "random" | "teacher" ("" is written as "random") */
    int init_layers;               /* layers with parameters copied from the teacher */
    int diagnostics;               /* 1: create /jobs/<id>/diagnostics */
    int dfr;                       /* 1: create /jobs/<id>/dfr (dfr{} jobs) */
    /* the model (results_describe_model): n_layers 0 leaves @layers,
     * input_shape and n_classes out */
    int n_layers;
    results_layer layers[RESULTS_MAX_LAYERS];
    int x_rank, x_shape[3], n_classes;
    /* the checkpoint's sizes (runtime/train/checkpoint.h); 0: none */
    int64_t ckpt_f32, ckpt_f64;
} results_jobinfo;

/* fills ji's model description from m (its layers in order) and the data's
 * per-row input shape x_shape[x_rank]; -1 with a message if m has more than
 * RESULTS_MAX_LAYERS layers */
int results_describe_model(results_jobinfo *ji, const model *m, int x_rank,
                           const int *x_shape, dett_err *e);

typedef struct {
    const char *script_text, *script_path, *script_sha256;
    int world_size, ranks_per_job;
} results_meta;

typedef struct results results;

/* Collective over comm; call before results_open (and before job ids are
 * used anywhere): a job whose hash the store at path already holds takes
 * the id stored with it, every other job a fresh id (j<N>, N counting on
 * from the table's size), so ids are stable across runs of any script on
 * the store. *n_stored (may be NULL) = jobs the store holds. A missing file
 * or force: ids become j<N> from 0. Refusals as results_open's. */
int results_adopt_ids(const char *path, MPI_Comm comm, job_list *jobs, int force,
                      int *n_stored, dett_err *e);

/* Collective over comm. The results file is a store of jobs keyed by hash
 * (format 4). If path does not exist (or force): an empty store is built in
 * "<path>.tmp" and renamed to path when complete (force replaces whatever
 * was there). Then the store grows by the jobs it does not hold (new table
 * rows, /jobs/<id>, /artifacts/<hash>, /checkpoints/<hash>, created
 * here by rank 0 alone and nowhere later), the root attributes name this run
 * and /scripts/<sha256> lists the rows of its jobs. Jobs already in the
 * store keep their rows and data (ids must have been adopted:
 * results_adopt_ids). Refused with a message: a file that is not HDF5 (or
 * truncated) or not a dett results file, another format_version (an older
 * one names itself and what to do); a refused file is never modified.
 * A write that fails while the layout is built (rank 0) is refused in one
 * line naming path and its errno: "<path>: write failed: <strerror>
 * (building the new file); no file was left" (path untouched, no .tmp) or
 * "... (adding this run's jobs); its finished jobs are kept, rerun to
 * resume" (grown in place: what was half-added is removed and made again by
 * the next run). Every rank returns the same status and message.
 * *out is owned by the caller: results_close frees it; NULL on failure. */
int results_open(results **out, const char *path, MPI_Comm comm, const job_list *jobs,
                 const results_jobinfo *info, const results_meta *meta, int force,
                 dett_err *e);
/* Independent, one rank (call it on rank 0, then let the ranks meet before
 * anyone reads what it copied): every job of r that r does not hold as done
 * and that the results file `other` (format 4 or 5, opened serially read-only; a
 * format-4 dfr{} job is not copied: its layout differs)
 * holds as done under the same hash is copied: its curves, selection,
 * params, diagnostics, artifact (params, error set) and its table row
 * (status done, wall time, ranks, epochs). *n_copied (may be NULL) counts
 * them. -1 with a message naming `other` if it cannot be read; a job
 * copied before a failure stays copied (it is complete). */
int results_reuse_from(results *r, const char *other, int *n_copied, dett_err *e);

/* Independent (one rank of the job's group): a checkpoint of job into slot
 * (0 or 1) of /checkpoints/<hash>: the slot's mark is set to -1, then f32
 * [n32] and f64 [n64] (the layout's sizes) are written, then the mark; the
 * other slot stays valid meanwhile, so a kill at any moment leaves one
 * whole checkpoint. mark > 0 orders checkpoints (the later, the larger). */
/* After an I/O failure, or when results_check_path finds the file removed
 * (checked first), nothing is written and 0 is returned (results.h: I/O
 * failures after results_open). */
/* 1 if job's layout has checkpoint slots (a file created by dett run with
 * the job's sizes), 0 if not (then the job runs without checkpoints) */
int results_has_ckpt(const results *r, int job);
int results_ckpt_write(results *r, int job, int slot, int32_t mark, const float *f32,
                       const double *f64, dett_err *e);
/* Independent: the valid slot with the larger mark into f32/f64, *slot (-1:
 * none, nothing read) and *mark */
int results_ckpt_read(results *r, int job, int *slot, int32_t *mark, float *f32, double *f64,
                      dett_err *e);

/* I/O failures after results_open (iofail.h): a raw write that fails on
 * this rank is not returned as an error by the write calls below; it is
 * recorded (the first one), every later write of this rank is skipped
 * (returns 0), and the job being written must not be recorded as done.
 * Returns IOFAIL_NONE (0), IOFAIL_WRITE (*err: its errno, EIO if HDF5 did
 * not say) or IOFAIL_REMOVED; r NULL: 0. Local, no communication. */
int results_io_failed(const results *r, int *err);
/* Local: whether the path given to results_open still names the file this
 * run holds open (st_dev, st_ino as at the open); a missing or replaced
 * file is recorded as IOFAIL_REMOVED. Returns results_io_failed(r, NULL).
 * results_ckpt_write calls it before each checkpoint. */
int results_check_path(results *r);
/* the results file's path as given to results_open ("" for NULL) */
const char *results_path(const results *r);

/* collective: closes every handle and the file; NULL ok. After a raw
 * write failed on any rank (results_io_failed: IOFAIL_WRITE, agreed here)
 * the file is not closed but left as a killed run leaves it (H5Fclose
 * would rewrite the superblock in a collective flush, which a failing
 * device turns into a hang on the other ranks): r is freed, 0 returned;
 * the process must then end without H5close (cli/main.c). */
int results_close(results *r, dett_err *e);

/* independent: reads / writes one row of the job table. A written row keeps
 * the job's own id, kind and hash whatever row holds; strings longer than
 * their field are truncated. */
int results_read_row(results *r, int job, results_row *row, dett_err *e);
int results_write_row(results *r, int job, const results_row *row, dett_err *e);

/* independent: writes a finished job's curves, selection and parameters.
 * Arrays as in the layout: train_loss [E], acc [E, 2, G], worst/avg/mean
 * [E, 2], selected [4], params [P]; epochs_run <= E rows are written.
 * A NULL array is not written (its dataset keeps what it held). */
int results_write_job(results *r, int job, int epochs_run, const double *train_loss,
                      const double *acc, const double *worst, const double *avg,
                      const double *mean, const int32_t *selected, const float *params,
                      dett_err *e);
/* a dfr{} job's refit model, evaluated (the caller's arrays): acc [2, G]
 * (split val, test; group), worst, avg, mean [2] */
typedef struct {
    const double *acc, *worst, *avg, *mean;
} results_refit;

/* independent: a dfr{} job's selection record, scores [RF_DFR_N_LAMBDAS, 3]
 * and choice [RF_DFR_N_CHOICE] (results_format.h), and its refit's
 * accuracies (format 5: dfr/acc, worst, avg, mean; refit may be NULL: not
 * written); -1 if the job has no /jobs/<id>/dfr in its layout */
int results_write_dfr(results *r, int job, const double *scores, const double *choice,
                      const results_refit *refit, dett_err *e);

/* independent: a student's per-group diagnostics, cka [G] and mse [G] */
int results_write_diagnostics(results *r, int job, const double *cka, const double *mse,
                              dett_err *e);
/* independent: an identification job's error set per training group,
 * count [G] (error_groups; a file created before it has none: no-op) */
int results_write_error_groups(results *r, int job, const int64_t *count, dett_err *e);
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
