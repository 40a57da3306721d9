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

typedef enum { METHOD_ERM, METHOD_GROUPDRO, METHOD_JTT, METHOD_KD,
               METHOD_FITNET, METHOD_SIMKD, METHOD_DETT, METHOD_DFR,
               N_METHODS } method_kind;

typedef enum { WEIGHT_NONE, WEIGHT_JTT, WEIGHT_GROUP_BALANCED, WEIGHT_LUA }
    weighting_kind;

typedef struct {
    weighting_kind kind;
    int T;            /* jtt: identification epochs (default 1) */
    float up;         /* jtt: lambda_up (default 50 for dett, 20 for jtt) */
    int resample;     /* jtt: 1 resample the error set, 0 loss weights */
    int lua_fn;       /* WEIGHT_LUA: index of the function in the script state */
} weighting_spec;

typedef struct {
    method_kind kind;
    float eta, adj;        /* groupdro: eta_q (0.01), C (0) */
    float tau, alpha;      /* kd: temperature (4), mix (0.9) */
    float feat_w, ce_w;    /* fitnet: feature-MSE weight (1), CE weight (1) */
    weighting_spec weighting;  /* jtt and dett: how samples are weighted */
} method_spec;

typedef enum { JOB_TRAIN, JOB_IDENT, JOB_STUDENT } job_kind;
typedef enum { SELECT_VAL_WORST, SELECT_VAL_AVG, SELECT_ORACLE } select_kind;

typedef struct {
    char id[64];                 /* short unique name, e.g. "j012" */
    job_kind kind;
    char data[JOB_PATH];         /* dataset file */
    arch_spec arch;
    method_spec method;
    optim_cfg optim;
    int epochs, batch;
    uint64_t seed;
    select_kind select;
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

#endif
