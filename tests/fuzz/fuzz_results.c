/* fuzz_results.c - libFuzzer target for the readers of a results file: file
 * bytes -> what `dett report` reads and prints, and the resume path's id
 * adoption, on MPI_COMM_SELF.
 *
 * Each input is written to results.h5 in a private temporary directory, then
 *  1. rep_read_file with every job (--all): on failure one non-empty line;
 *     on success every job is checked against what the reader promises
 *     (status and kind known, groups a multiple of n_attrs, a done job's
 *     curves, selections, diagnostics, DFR choices and error groups present
 *     where they must be and in range; every value touched);
 *  2. report_exec, the whole `dett report` (file read again, rows, tables,
 *     --diagnostics, --ident) into /dev/null, with options that depend on
 *     the input's size (md --per-group, latex --tune optim,epochs, csv
 *     --select val-avg --stat sem without the last two, --pivot method
 *     --all): a status of 0 or 1, a failure in one line;
 *  3. results_adopt_ids (runtime/io/results.h) with one job per hash that 1
 *     read and one new hash: a refusal in one line; an accepted file gives
 *     every hash 1 saw once the id 1 saw, and the new job an id no row has.
 * MPI is initialised once, in LLVMFuzzerInitialize, and finalised at exit.
 * Plots (cairo) are not drawn. See docs/reliability.md.
 */
#define _POSIX_C_SOURCE 200809L
#include "report.h"
#include "report_internal.h"
#include "results.h"
#include "results_format.h"
#include <math.h>
#include <mpi.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static char fuzz_dir[] = "/tmp/dett-fuzz-results-XXXXXX";
static char fuzz_path[sizeof fuzz_dir + 16];
static FILE *devnull;   /* the report's output */

static void fuzz_die(const char *what, const char *msg)
{
    fprintf(stderr, "fuzz_results: %s: %s\n", what, msg);
    abort();
}

static void cleanup(void)
{
    int fin = 1;
    if (devnull) fclose(devnull);
    unlink(fuzz_path);
    rmdir(fuzz_dir);
    if (MPI_Finalized(&fin) == MPI_SUCCESS && !fin) MPI_Finalize();
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    setenv("HDF5_USE_FILE_LOCKING", "FALSE", 1);
    if (MPI_Init(argc, argv) != MPI_SUCCESS) fuzz_die("MPI_Init", "failed");
    if (!mkdtemp(fuzz_dir)) fuzz_die("mkdtemp", fuzz_dir);
    snprintf(fuzz_path, sizeof fuzz_path, "%s/results.h5", fuzz_dir);
    if (!(devnull = fopen("/dev/null", "w"))) fuzz_die("cannot open", "/dev/null");
    atexit(cleanup);
    return 0;
}

/* a message must be one non-empty line */
static void check_msg(const dett_err *e, const char *what)
{
    if (!e->msg[0] || strchr(e->msg, '\n')) fuzz_die(what, e->msg);
}

/* reads n doubles (NaN allowed: unwritten curves hold the fill value) */
static double touch(const double *v, size_t n)
{
    double s = 0;
    for (size_t i = 0; i < n; i++) s += isnan(v[i]) ? 0 : v[i];
    return s;
}

/* one job of an accepted file against report_read.c's promises */
static void check_job(const rep_job *j)
{
    if (j->file != 0 || j->status < 0 || j->status >= REP_N_STATUS)
        fuzz_die("rep_read_file accepted a bad file index or status", j->id);
    if (strcmp(j->kind, RF_KIND_TRAIN) && strcmp(j->kind, RF_KIND_IDENT) &&
        strcmp(j->kind, RF_KIND_STUDENT))
        fuzz_die("rep_read_file accepted an unknown kind", j->kind);
    if (!j->id[0] || strchr(j->id, '/')) fuzz_die("rep_read_file accepted a bad id", j->id);
    if (j->epochs < 1 || j->groups < 1 || j->n_attrs < 1 || j->groups % j->n_attrs)
        fuzz_die("rep_read_file accepted inconsistent shapes", j->id);
    if (j->arch_t.n_widths > REP_MAX_LAYERS || j->arch_t.n_channels > REP_MAX_LAYERS ||
        j->n_margs > REP_MAX_ARGS || j->n_wargs > REP_MAX_ARGS || j->n_oargs > REP_MAX_ARGS)
        fuzz_die("rep_read_file overfilled an array", j->id);
    size_t E = (size_t)j->epochs + (size_t)j->refit, G = (size_t)j->groups;
    if (j->status != JOB_DONE) {
        if (j->acc || j->worst || j->avg || j->cka || j->error_groups || j->dfr_scores)
            fuzz_die("rep_read_file read numbers of a job not done", j->id);
        return;
    }
    if (!j->acc || !j->worst || !j->avg) fuzz_die("a done job without curves", j->id);
    double s = touch(j->acc, E * 2 * G) + touch(j->worst, E * 2) + touch(j->avg, E * 2);
    for (int k = 0; k < REP_N_SEL; k++)
        if ((k < RF_N_SEL_V3 || j->selected[k] != -1) &&
            (j->selected[k] < 0 || j->selected[k] >= (int)E))
            fuzz_die("a done job's selected epoch out of range", j->id);
    if (j->has_diagnostics != (j->cka != NULL) || (j->cka == NULL) != (j->feature_mse == NULL))
        fuzz_die("diagnostics half read", j->id);
    if (j->cka) s += touch(j->cka, G) + touch(j->feature_mse, G);
    if ((j->dfr_scores == NULL) != (j->dfr_choice == NULL))
        fuzz_die("DFR choices half read", j->id);
    if (j->dfr_scores) s += touch(j->dfr_scores, RF_DFR_N_LAMBDAS * 3) +
                            touch(j->dfr_choice, RF_DFR_N_CHOICE);
    if (j->error_groups) {
        if (strcmp(j->kind, RF_KIND_IDENT)) fuzz_die("error groups of a non-ident job", j->id);
        for (size_t g = 0; g < G; g++)
            if (j->error_groups[g] < 0 || j->error_groups[g] > j->n_train)
                fuzz_die("an error group out of range", j->id);
    }
    (void)s;
}

/* what 1 read of a job, for 3: its id, and whether 3 must give it that id */
typedef struct {
    char id[RF_ID_LEN + 1];
    int compare;   /* its hash, in full, held by one row only; its id in full */
} seen_job;

/* 1: every job; *jobs gets one job per row (its hash) and one with a hash
 * no row has, seen[] the reader's ids; 0 if the file was accepted */
static int read_all(job_list *jobs, seen_job **seen)
{
    rep_data d = {0};
    dett_err e = {{0}};
    d.all = 1;
    int rc = rep_read_file(&d, fuzz_path, &e);
    int n = rc == 0 ? d.n_jobs : 0;
    jobs->jobs = calloc((size_t)n + 1, sizeof *jobs->jobs);
    *seen = calloc((size_t)n + 1, sizeof **seen);
    if (!jobs->jobs || !*seen) fuzz_die("out of memory", "");
    jobs->n = jobs->cap = n + 1;
    if (rc != 0) check_msg(&e, "rep_read_file message");
    else if (d.n_files != 1) fuzz_die("rep_read_file", "not one file");
    for (int k = 0; k < n; k++) {
        const rep_job *j = &d.jobs[k];
        check_job(j);
        snprintf(jobs->jobs[k].hash, sizeof jobs->jobs[k].hash, "%s", j->hash);
        memcpy((*seen)[k].id, j->id, sizeof (*seen)[k].id);
        int once = 1;
        for (int m = 0; m < n; m++) once &= m == k || strcmp(d.jobs[m].hash, j->hash) != 0;
        (*seen)[k].compare = once && j->hash[0] && strlen(j->hash) < RF_HASH_LEN &&
                             strlen(j->id) < RF_ID_LEN;
    }
    memset(jobs->jobs[n].hash, 'f', 64);   /* a sha256 no dett job has */
    jobs->jobs[n].hash[0] = 'x';
    rep_data_free(&d);
    return rc;
}

/* 2: the whole report, options by the input's size */
static void report_all(size_t size)
{
    report_args a;
    const char *files[1] = {fuzz_path};
    dett_err e = {{0}};
    report_args_default(&a);
    a.files = files;
    a.n_files = 1;
    a.diagnostics = a.ident = 1;
    switch (size % 4) {
    case 0: a.per_group = 1; break;
    case 1: a.format = "latex"; a.tune = "optim,epochs"; break;
    case 2:   /* csv sends --diagnostics and --ident to stderr: left out */
        a.format = "csv", a.select = "val-avg", a.stat = "sem";
        a.diagnostics = a.ident = 0;
        break;
    default: a.pivot = "method"; a.all = 1; break;
    }
    int rc = report_exec(devnull, &a, &e);
    if (rc != 0 && rc != 1) fuzz_die("report_exec status not 0 or 1", e.msg);
    if (rc) check_msg(&e, "report_exec message");
}

/* 3: the resume path's id adoption against what 1 read */
static void adopt(job_list *jobs, const seen_job *seen)
{
    dett_err e = {{0}};
    int n_stored = -1, n = jobs->n - 1;
    if (results_adopt_ids(fuzz_path, MPI_COMM_SELF, jobs, 0, &n_stored, &e) != 0) {
        check_msg(&e, "results_adopt_ids message");
        return;
    }
    const job_spec *fresh = &jobs->jobs[n];
    if (n_stored < 0 || n_stored > n || !fresh->id[0])
        fuzz_die("results_adopt_ids", "stored count or new id wrong");
    for (int k = 0; k < n; k++) {
        /* rows without a hash at the table's end are taken again: their ids too */
        if (jobs->jobs[k].hash[0] && !strcmp(fresh->id, seen[k].id))
            fuzz_die("new job given a stored id", fresh->id);
        if (seen[k].compare && strcmp(jobs->jobs[k].id, seen[k].id))
            fuzz_die("results_adopt_ids and the report disagree on an id", jobs->jobs[k].hash);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    FILE *f = fopen(fuzz_path, "wb");
    if (!f || fwrite(data, 1, size, f) != size || fclose(f) != 0) fuzz_die("cannot write", fuzz_path);
    job_list jobs = {0, 0, NULL};
    seen_job *seen = NULL;
    read_all(&jobs, &seen);
    report_all(size);
    adopt(&jobs, seen);
    job_list_free(&jobs);
    free(seen);
    return 0;
}
