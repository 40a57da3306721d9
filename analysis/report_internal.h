/* report_internal.h - the parts of `dett report` (analysis/report*.c).
 *
 *   report_read.c   results files -> rep_data (one rep_job per job)
 *   report_rows.c   rep_data -> rep_table (rows = configurations, seeds pooled)
 *   report_tune.c   --tune keys: parsing, checking, the chosen values
 *   report_table.c  rep_table -> Markdown, LaTeX (booktabs) or CSV
 *   report_pivot.c  rep_table -> the benchmark x method table (--pivot method)
 *   report_plot.c   rep_table -> figures (through plot.c) and their captions
 *   report.c        the command line
 *
 * Shape letters: E epochs, G groups (g = y * A + a), A attribute values.
 * Accuracies are stored as fractions and printed in percent.
 */
#ifndef DETT_REPORT_INTERNAL_H
#define DETT_REPORT_INTERNAL_H
#include "err.h"
#include "h5attr.h"
#include "jobspec.h"
#include <stdint.h>
#include <stdio.h>

enum { REP_SEL_VAL_WORST = SELECT_VAL_WORST, REP_SEL_VAL_AVG = SELECT_VAL_AVG,
       REP_SEL_ORACLE = SELECT_ORACLE, REP_SEL_VAL_WORST_CLASS = SELECT_VAL_WORST_CLASS,
       REP_N_SEL = N_SELECTS };
enum { REP_N_STATUS = 5 };          /* JOB_PENDING .. JOB_SKIPPED (results_format.h) */
enum { REP_MAX_ARGS = 12, REP_MAX_LAYERS = 16 };
typedef enum { REP_MD, REP_LATEX, REP_CSV } rep_format;

/* ---- read ---------------------------------------------------------------- */

/* a job's architecture, typed (format 2's arch.* attributes, or parsed
 * from format 1's arch text) */
typedef struct {
    int cnn;                          /* 0 mlp, 1 cnn */
    int n_widths, widths[REP_MAX_LAYERS];     /* mlp hidden widths */
    int n_channels, channels[REP_MAX_LAYERS]; /* cnn conv channels */
    int kernel, pool, pool_max, fc;   /* cnn; fc 0: no fc layer */
    int width;                        /* last hidden width (mlp: last width;
                                         cnn: fc, or without one the last
                                         conv's channels); 0 if none */
} rep_arch;

typedef struct {
    int file;                         /* index into rep_data.files */
    /* the /jobs/table row */
    char id[17], kind[9], hash[66], error[257];
    int status;                       /* JOB_* of results.h */
    double wall_seconds;
    int ranks, epochs_run;
    /* attributes of /jobs/<id> */
    char method[33], method_args[129], arch[129], weighting[129], dataset[513];
    char optim[129];                  /* "" in files older than the attribute */
    int batch;                        /* 0 in files older than the attribute */
    char teacher[17], ident[17], select[17];
    char data_digest[13];             /* the first 12 hex digits of the data file's
                                         content digest (format 3), "" if unknown */
    char sampler[17];                 /* "rows" | "groups" | "groups-exact"; "rows"
                                         in files older than the attribute */
    char init[17];                    /* "random" | "teacher"; "random" in files
                                         older than the attribute */
    int64_t seed;
    int epochs, groups, n_attrs;      /* E, G, A */
    /* typed configuration: what analysis computes with (the text above
     * labels rows); names without their prefix ("eta", "up", "lr") */
    rep_arch arch_t;
    int n_margs, n_wargs, n_oargs;
    h5attr_value margs[REP_MAX_ARGS]; /* method.*: the method's own arguments */
    h5attr_value wargs[REP_MAX_ARGS]; /* weighting.*: kind (text), T, up, ... */
    h5attr_value oargs[REP_MAX_ARGS]; /* optim.*: name (text), lr, wd, ... */
    /* the teacher's configuration without its seed ("" if none); part of
     * the row key of a student */
    char teacher_key[2048];
    char teacher_label[300];          /* "<method> <arch>" of the teacher */
    /* done jobs only (else NULL / -1): owned */
    double *acc;                      /* [E (+1: refit), 2, G]: [.., 0, ..] val, [.., 1, ..] test */
    double *worst, *avg;              /* [E (+1: refit), 2] */
    int32_t selected[REP_N_SEL];      /* val-worst, val-avg, oracle, val-worst-class;
                                         -1: none (older files hold only the first 3) */
    int has_diagnostics;              /* /jobs/<id>/diagnostics exists */
    double *cka, *feature_mse;        /* [G] diagnostics of a done job, or NULL */
    int refit;                        /* 1: a done dfr{} job of format 5: acc, worst
                                         and avg hold one more row, E, its DFR refit
                                         (read from dfr/), which selected names */
    double *dfr_scores, *dfr_choice;  /* a done dfr{} job's /jobs/<id>/dfr
                                         ([RF_DFR_N_LAMBDAS, 3], [RF_DFR_N_CHOICE]),
                                         or NULL (other jobs, older files) */
    long long *error_groups;          /* [G] a done ident job's error-set rows per
                                         training group, or NULL (older files) */
    long long n_train;                /* ident jobs: training rows (the error set's
                                         length), else 0 */
} rep_job;

typedef struct {
    int n_files;
    char **files;                     /* owned copies of the paths */
    char **prov;                      /* per file: "dett V (git C), script P", owned */
    int n_jobs, cap;
    rep_job *jobs;                    /* owned; file order, then job order */
    /* which jobs of a store (format 3) to read: every job (all), the jobs of
     * the script whose text is script_text, or (neither) the jobs of the
     * last script run on the file; set before rep_read_file */
    int all;
    const char *script_text, *script_name;   /* not owned */
} rep_data;

/* appends every job of the results file at path (opened read-only, closed
 * before return) to d; -1 with a message naming the file on failure */
int rep_read_file(rep_data *d, const char *path, dett_err *e);
/* frees everything d owns (d itself is the caller's); NULL ok */
void rep_data_free(rep_data *d);

/* ---- rows ---------------------------------------------------------------- */

typedef enum { REP_SEC_TEACHER = 0, REP_SEC_STUDENT = 1 } rep_section;

typedef struct {
    rep_section section;
    int first;                        /* a job of the row, for its attributes */
    int n_seeds;
    int *seed_job;                    /* [n_seeds] representative job per seed:
                                         the first done one, else the first; owned */
    int n_status[REP_N_STATUS];       /* over seed_job */
    int n_done;
    /* at the selected epoch, over done seeds, in percent (NaN if none) */
    double worst_mean, worst_std, avg_mean, avg_std;
    double mgrp_mean, mgrp_std;       /* unweighted mean over groups ("mean-group acc") */
    double val_worst_mean;            /* validation worst-group, same epochs */
    /* gap to teacher: per done seed, its worst-group minus that of ITS OWN
     * teacher job (same file, same selection rule), over the seeds whose
     * teacher is done; gap_n = 0: none (teachers, no teacher, not done) */
    double gap_mean, gap_std;
    int gap_n;
    int n_tuned;                      /* rows this one was chosen from (--tune), else 0 */
    int G, A;                         /* of the first job */
    double *group_mean;               /* [G] test accuracy per group; owned */
    double *group_std;                /* [G] its sample std over seeds; owned */
    int baseline;                     /* groupdro row compared with, or -1 */
    int is_baseline;                  /* a groupdro row itself (no Δ) */
    int block;                        /* rows of one section, dataset and arch: the
                                         rows compared (bolding, order); 0, 1, ... */
    char label[640];
} rep_row;

typedef struct {
    int n, cap;
    rep_row *rows;                    /* owned; teachers first, then first-seen order */
    int n_ident;                      /* identification jobs (all statuses) */
    int n_unfinished;
    int *unfinished;                  /* [n_unfinished] jobs not done, owned */
    int max_G, common_A;              /* common_A = A shared by all rows, else -1 */
} rep_table;

/* groups the jobs of d into rows and computes the statistics at the epoch
 * chosen by sel (REP_SEL_*). tune (NULL or "") lists comma-separated
 * hyperparameters to select on validation (report_tune.c: "optim",
 * "batch", "epochs", "METHOD.KEY" or an unambiguous bare KEY). Rows equal
 * apart from those form a family, and only the family's row with the best
 * mean validation worst-group accuracy stays (ties: the first). Rows are
 * ordered teachers first, then by block (dataset, arch) in first-seen
 * order. -1 with a message on a malformed job or a bad tune key. */
int rep_table_build(rep_table *t, const rep_data *d, int sel, const char *tune, dett_err *e);
void rep_table_free(rep_table *t);   /* NULL ok */

/* the done jobs' selected epoch, or -1 */
int rep_job_epoch(const rep_job *j, int sel);
/* snprintf that may truncate (labels): returns 1 if it did, else 0 */
int rep_fmt(char *buf, size_t cap, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* sample mean / standard deviation (n - 1; 0 for n = 1) of v[0..n) */
void rep_mean_std(const double *v, int n, double *mean, double *std);
/* args ("k=v,k=v" or "name(k=v,k=v)") with the pair of key removed, into
 * buf[cap]: "up=50,T=1" - up = "T=1"; "jtt(T=1,up=50)" - up = "jtt(T=1)" */
void rep_args_without(const char *args, const char *key, char *buf, size_t cap);
/* numeric grid values of a job: its typed method and weighting arguments
 * and "width" (arch_t.width, the last hidden width). Returns 1 and *v if the
 * job has a numeric value for key, else 0. */
int rep_job_value(const rep_job *j, const char *key, double *v);

/* ---- --tune keys (report_tune.c) ---------------------------------------------- */

/* checks every key of tune (NULL: none) against the jobs of d: -1 with a
 * message on an unknown key, a METHOD.KEY no job of METHOD has, or a bare
 * KEY that jobs of several methods have (it may mean different things) */
int rep_tune_check(const rep_data *d, const char *tune, dett_err *e);
/* *out = *j with the keys of tune (comma-separated, NULL: none) taken out:
 * optim "" / batch 0 / epochs 0, other keys removed from method_args and
 * weighting (METHOD.KEY only from jobs of METHOD). A shallow copy: only its
 * fixed-size fields differ. */
void rep_job_untuned(const rep_job *j, const char *tune, rep_job *out);
/* the value job j has for tune key k, into buf[cap]: 1, or 0 if it has none */
int rep_tune_value(const rep_job *j, const char *k, char *buf, size_t cap);
/* the distinct keys of tune (NULL: none) into keys[0..cap): their number */
int rep_tune_keys(const char *tune, char keys[][64], int cap);
/* the value of key in "k=v,k=v" or "name(k=v,...)" as text into buf[cap]:
 * 1 if present, else 0 */
int rep_args_get(const char *args, const char *key, char *buf, size_t cap);

/* ---- output -------------------------------------------------------------- */

enum { REP_PLOT_PDF = 1, REP_PLOT_SVG = 2, REP_PLOT_PNG = 4 };

typedef struct {
    rep_format format;
    int select;                       /* REP_SEL_* */
    int per_group;
    int diagnostics;
    int ident;                        /* --ident: the identification section */
    int pivot;                        /* --pivot method: the compact table instead */
    const char *tune;                 /* --tune KEYS, or NULL */
    unsigned plot_formats;            /* REP_PLOT_* bits (--plot-format) */
    int sem;                          /* --stat sem: every ± is the standard error of
                                         the mean (sample std / sqrt(n)), not the std */
} rep_opts;

/* the spread every ± of the report shows, for captions and intros:
 * "sample std" or "standard error (sample std / sqrt(n))" */
const char *rep_spread_text(const rep_opts *o);
/* --stat sem: turns every spread of t's rows (worst, average, mean-group,
 * per-group: over the done seeds; gap to teacher: over its seeds) from
 * the sample std into the standard error of the mean, std / sqrt(n) */
void rep_table_sem(rep_table *t);

/* escapes s for format f (Markdown cell, LaTeX, CSV field) onto out */
void rep_text(FILE *out, rep_format f, const char *s);
/* a row's unfinished seeds: "failed" when all share one status, else
 * "1 failed, 2 pending"; with counts (prefix ", "), the form after "n=K" */
void rep_unfinished(const rep_row *r, int counts, char *buf, size_t cap);
/* the report's first lines (files, selection rule, tuning), each prefixed by pre */
void rep_intro(FILE *out, const rep_data *d, const rep_opts *o, const char *pre);
extern const char *const *const rep_sel_name;   /* select_names (jobspec.h), by REP_SEL_* */

/* writes the table(s) in the chosen format */
int rep_print(FILE *out, const rep_table *t, const rep_data *d, const rep_opts *o,
              dett_err *e);
/* --pivot method: one line per dataset, student arch and teacher, one
 * column per method (student rows), cells worst-group mean ± std */
int rep_print_pivot(FILE *out, const rep_table *t, const rep_data *d, const rep_opts *o,
                    dett_err *e);
/* writes the figures (curves, groups, axis_<key>; report_plot.c) in the
 * formats of o->plot_formats into dir (created if missing), with their
 * captions in dir/figures.md; if the rows span several datasets, into one
 * subdirectory of dir per dataset, named after its file without ".h5". -1
 * with a message naming the file on failure. */
int rep_plots(const char *dir, const rep_table *t, const rep_data *d, const rep_opts *o,
              dett_err *e);

#endif
