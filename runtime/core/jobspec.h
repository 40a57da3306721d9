/* jobspec.h - one job of an experiment, as the Lua front end hands it to C.
 *
 * A job is fully described by plain values (no Lua references survive into
 * C except a weighting function's index, evaluated through lua/ before
 * training starts). `canon` is the canonical text of the config (sorted keys,
 * fixed number formatting) and `hash` the hex SHA-256 of canon plus the
 * hashes of the jobs it depends on; identical hashes are the same job.
 */
#ifndef DETT_JOBSPEC_H
#define DETT_JOBSPEC_H
#include "optim.h"
#include <stddef.h>
#include <stdint.h>

#define JOB_MAX_LAYERS 8
#define JOB_PATH 512
#define JOB_CANON 4096

typedef enum { ARCH_MLP, ARCH_CNN } arch_kind;

typedef struct {
    arch_kind kind;
    int n_widths, widths[JOB_MAX_LAYERS];       /* mlp hidden widths */
    int n_channels, channels[JOB_MAX_LAYERS];   /* cnn conv channels */
    int kernel;                                 /* cnn conv kernel (3) */
    int pool;                                   /* cnn pool window (2) */
    int pool_max;                               /* 1 max, 0 average */
    int fc;                                     /* cnn fc width before head; 0 none */
} arch_spec;

/* the built-in methods: rows 0 .. N_METHODS-1 of the method table
 * (method.h); registered methods have kinds from N_METHODS on */
typedef enum { METHOD_ERM, METHOD_GROUPDRO, METHOD_JTT, METHOD_KD,
               METHOD_FITNET, METHOD_SIMKD, METHOD_DETT, METHOD_DFR,
               METHOD_DEDIER, N_METHODS } method_kind;
#define METHOD_MAX_ARGS 6

typedef enum { WEIGHT_NONE, WEIGHT_JTT, WEIGHT_GROUP_BALANCED, WEIGHT_LUA }
    weighting_kind;

typedef struct {
    weighting_kind kind;
    int T;            /* jtt: identification epochs (default 1) */
    float up;         /* jtt: lambda_up (default 50 for dett, 20 for jtt) */
    int resample;     /* jtt: 1 resample the error set, 0 loss weights */
    int lua_fn;       /* WEIGHT_LUA: index of the function in the script state */
    int has_ident_optim;    /* 1: ident_optim was given (DSL key ident_optim) */
    optim_cfg ident_optim;  /* the identification model's optimiser; when not
                               given: ERM's default, SGD (JTT trains its
                               identification model with SGD, as ERM) */
} weighting_spec;

typedef struct {
    method_kind kind;      /* the row of the method table (method.h) */
    union {
        float arg[METHOD_MAX_ARGS];  /* the method's numbers, in its keys' order */
        /* the built-ins' names for them (method.c checks the positions);
         * they alias one another across methods: fill a spec with
         * method_defaults / method_set, never field by field for several
         * methods at once */
        struct { float eta, adj; };       /* groupdro: eta_q (0.01), C (0) */
        struct { float tau, alpha; };     /* kd: temperature (4), mix (0.9) */
        struct { float feat_w, ce_w; };   /* fitnet: feature-MSE weight (1), CE weight (1) */
    };
    weighting_spec weighting;  /* methods with sample weights (jtt, dett) */
} method_spec;

typedef enum { JOB_TRAIN, JOB_IDENT, JOB_STUDENT, N_JOB_KINDS } job_kind;
/* how a job's training rows are drawn each epoch (runtime/train/sampler.h,
 * docs/sampling.md): every row once (or its JTT multiplicity) shuffled;
 * group_DRO's --reweight_groups (groups uniform, with replacement); the same
 * group target with exact counts. The order is sampler.h's sampler_mode. */
typedef enum { SAMPLER_KIND_ROWS, SAMPLER_KIND_GROUPS, SAMPLER_KIND_GROUPS_EXACT,
               N_SAMPLER_KINDS } sampler_kind;
/* "rows", "groups", "groups-exact", then NULL: the DSL key `sampler`'s
 * values, the canonical text and the results file's `sampler` attribute */
extern const char *const sampler_names[N_SAMPLER_KINDS + 1];
/* the sampler_kind named s, or -1 */
int sampler_find(const char *s);
/* the epoch each rule picks: best val worst-group accuracy, best val
 * (train-weighted) average, best test worst-group (an upper bound, not a
 * method), best val worst per-class accuracy (class y's accuracy = its
 * correct val rows over its val rows, all attributes pooled: SubpopBench's
 * ValWorstAccAttributeNo, needs no attribute labels). The order is the
 * order of the results file's `selected` entries. */
typedef enum { SELECT_VAL_WORST, SELECT_VAL_AVG, SELECT_ORACLE, SELECT_VAL_WORST_CLASS,
               N_SELECTS } select_kind;

/* "val-worst", "val-avg", "oracle", "val-worst-class", then NULL: the one
 * spelling of the selection rules (DSL, command line, results file, report) */
extern const char *const select_names[N_SELECTS + 1];
/* "train", "ident", "student" (canonical text, results file), then NULL */
extern const char *const job_kind_names[N_JOB_KINDS + 1];
/* the select_kind named s, or -1 */
int select_find(const char *s);

typedef struct {
    char id[64];                 /* short unique name, e.g. "j012" */
    job_kind kind;
    char data[JOB_PATH];         /* dataset file */
    char teacher_file[JOB_PATH]; /* JOB_TRAIN: an external teacher's file (runtime/io/
                                    teacher_file.h), read instead of trained; "" else */
    arch_spec arch;
    method_spec method;
    optim_cfg optim;
    int epochs, batch;
    uint64_t seed;
    select_kind select;
    sampler_kind sampler;        /* default: the method row's (method.h) */
    int teacher;                 /* index of the teacher job, -1 if none */
    int ident;                   /* index of the identification job, -1 if none */
    char hash[65];               /* hex sha256 */
    char canon[JOB_CANON];       /* canonical config text */
    int script_line;             /* where the job was declared (for errors) */
    char where[96];              /* "file:line" of the declaration (for errors) */
} job_spec;

typedef struct {
    int n, cap;
    job_spec *jobs;              /* owned; dependencies come before dependents */
} job_list;

void job_list_free(job_list *l);   /* frees jobs; l itself is the caller's */

/* v as canonical text: whole numbers below 1e9 as integers, others in the
 * shortest %.Ng (N <= 9) that reads back as v; returns out */
const char *jobspec_fmt_float(char out[32], float v);
/* "sgd(lr=..,momentum=..,wd=..)" or "adamw(lr=..,wd=..)" (betas and eps
 * appended where they are not optim_defaults'), %g numbers: the label of
 * the results file and the report */
void optim_label(const optim_cfg *o, char *buf, size_t len);

#endif
