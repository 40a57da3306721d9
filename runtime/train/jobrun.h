/* jobrun.h - run one job of a grid on one job group, end to end: load its
 * data (cached across jobs on the same file), build the model from the
 * jobs it depends on (teacher head, identification error set), compute the
 * per-sample inputs once (teacher outputs, sample weights), train, and write
 * everything to the results file. Collective over the group communicator.
 * What a method needs and does is read from its row of the method table
 * (runtime/core/method.h); jobrun() lists a job's life in order.
 */
#ifndef DETT_JOBRUN_H
#define DETT_JOBRUN_H
#include "groupdata.h"
#include "jobspec.h"
#include "model.h"
#include "results.h"

/* evaluates a Lua weighting function on one sample's signals (lua/ provides
 * it; runtime/ only sees this callback) */
typedef struct {
    float id_loss, teacher_loss;
    int id_correct, teacher_correct, y;
} weight_signals;
typedef int (*weight_fn)(void *ctx, int fn, const weight_signals *s, float *w, dett_err *e);

/* called on every rank of the group after each step and each epoch */
typedef struct {
    void (*on_step)(void *ctx);
    void (*on_epoch)(void *ctx, int job, int epoch, double val_worst);
    /* after every step, collective over the group: 1 on every rank when the
     * group must stop (a signal); NULL: never */
    int (*should_stop)(void *ctx);
    void *ctx;
    /* per step and local micro-shard: the global training rows visited
     * (tests count visits through the job runner), or NULL */
    void (*on_visit)(void *ctx, int job, const int *rows, int n);
} jobrun_hooks;

typedef struct {
    MPI_Comm comm;             /* the job group */
    int M;                     /* micro-shards */
    results *res;
    const job_list *jobs;
    weight_fn weight;          /* for WEIGHT_LUA, else unused */
    void *weight_ctx;
    jobrun_hooks hooks;
    groupdata data;            /* cached rows of the last dataset used */
    int have_data;
    int data_gen;              /* counts loads of `data` (keys the teacher cache) */
    /* the last teacher's outputs on this rank's rows, shared by its students
     * (jobrun.c's teacher cache; owned, freed by jobrun_free): job tc_job - 1
     * (0: empty) on data load tc_gen; train logits and features, and test
     * features (NULL until a diagnostic needs them) */
    int tc_job, tc_gen;
    float *tc_logits, *tc_feats, *tc_test_feats;
    int current;               /* the job running (for the hooks) */
    double ckpt_every;         /* seconds between checkpoints (0: every epoch,
                                  < 0: none); see checkpoint.h */
    int ckpt_epoch;            /* after jobrun: 1 if the job resumed, and the
                                  (epoch, step) it resumed from */
    int64_t ckpt_step;
    int ckpt_resumed;
} jobrun_ctx;

/* a degenerate identification error set (issue 16): flags of
 * jobrun_ident_flags, warned about in the log and flagged by dett report */
enum { IDENT_EMPTY = RF_IDENT_EMPTY, IDENT_OVER_HALF = RF_IDENT_OVER_HALF,
       IDENT_ONE_CLASS = RF_IDENT_ONE_CLASS };
/* the flags of an error set with count[g] rows in training group g (G
 * groups, A attribute values, class of g = g / A) out of n training rows */
int jobrun_ident_flags(const int64_t *count, int G, int A, int64_t n);
/* "empty", "more than half the training rows", "a single class", joined
 * by ", " into buf ("" for 0) */
void jobrun_ident_flags_text(int flags, char *buf, size_t len);

/* runs jobs->jobs[j] (from its checkpoint, if the results file holds one);
 * fills row (status done or failed, with the reason, or pending when it
 * stopped on should_stop after a checkpoint; wall seconds, ranks, epochs) and the test worst-group and average accuracy
 * at the selected epoch. For an identification job (which has no useful
 * test accuracy) the two numbers are instead *test_worst = |E| (error-set
 * rows) and *test_avg = 2 * flags + |E| / n_train (see jobrun_ident_flags;
 * the scheduler prints them as the job's progress line). Returns -1 only on
 * a system failure. */
int jobrun(jobrun_ctx *c, int j, results_row *row, double *test_worst, double *test_avg,
           dett_err *e);
void jobrun_free(jobrun_ctx *c);

/* the model a job trains, built (and initialised from the job's seed) for
 * dataset info; teacher: the teacher's model (parameters may be zero) for
 * transplant methods, else NULL. */
model *jobrun_build_model(const job_list *jobs, int j, const dataset_info *info,
                          const model *teacher, dett_err *e);
/* the sizes of job j's checkpoint arrays (checkpoint.h) for its model m,
 * teacher t (or NULL), G groups, n_train training rows (DEDIER's readout
 * keeps a weight per row) */
int jobrun_ckpt_sizes(const job_list *jobs, int j, const model *m, const model *t, int G,
                      int64_t n_train, int64_t *n32, int64_t *n64, dett_err *e);
/* job j's teacher as the model its job trains (zero parameters: read them
 * from its artifact): a classifier, an external file's head, or for a
 * student of a chain its transplant shape (recursively up the chain); NULL
 * if j has no teacher, or NULL with a message */
model *jobrun_build_teacher(const job_list *jobs, int j, const dataset_info *info,
                            dett_err *e);
/* 1 if the job stores per-group CKA diagnostics: fitnet, simkd and dett
 * students, in a build with ScaLAPACK (linalg.h) */
int jobrun_has_diagnostics(const job_spec *job);

#endif
