/* method.h - the method table: every training method is one row (name, DSL
 * keys with types, ranges and defaults, flags, default optimiser, objective)
 * and code asks the row, never the name.
 *
 * Rows 0 .. N_METHODS-1 are the built-in methods, in method_kind order;
 * method_register appends more (tests add a method this way: a row, an
 * objective, nothing else). The DSL constructor `name{...}` of every row is
 * registered by lua/, jobs read their row through method_get(spec.kind).
 *
 * A row's keys, in order, are its DSL keys and its expansion order (the last
 * key of a method varies fastest in a sweep). A key either holds a number of
 * the method (role MROLE_ARG: method_spec.arg[i], i counting only MROLE_ARG
 * keys in key order, which is also the order the objective reads them in)
 * or describes the job's sample weighting (roles MROLE_WEIGHT_*: the
 * weighting_spec of methods flagged MF_SAMPLE_WEIGHTS, whose default
 * weighting is jtt(T, up, resample) with the keys' defaults, 0 for a key the
 * row lacks).
 *
 * Text forms (kept exactly as before the table existed, since job hashes and
 * the report's labels are made of them):
 *   canonical (hashes):  name, or name(k=v,...) with the MROLE_ARG keys in
 *                        strcmp order and values by jobspec_fmt_float;
 *   label (results file, report): the MROLE_ARG keys in key order as k=%g,
 *                        then for weighted methods "T=%d,up=%g" (a jtt
 *                        weighting) or the weighting's label.
 *
 * No MPI, no files. The table is read-only except through method_register,
 * which is not thread-safe: register before any script is loaded or job
 * runs.
 */
#ifndef DETT_METHOD_H
#define DETT_METHOD_H
#include "err.h"
#include "jobspec.h"
#include "objective.h"
#include "optim.h"
#include <stddef.h>

#define METHOD_MAX_KEYS 8          /* keys per method */
#define METHOD_MAX 32              /* rows: built-in and registered */

typedef enum { MKEY_NUM, MKEY_INT, MKEY_BOOL, MKEY_WEIGHTING, MKEY_OPTIM } method_key_type;

typedef enum {
    MROLE_ARG,             /* a number of the method: method_spec.arg[slot] */
    MROLE_WEIGHT_T,        /* weighting.T: identification epochs */
    MROLE_WEIGHT_UP,       /* weighting.up: jtt's upweight */
    MROLE_WEIGHT_RESAMPLE, /* weighting.resample: jtt upsamples instead */
    MROLE_WEIGHTING,       /* the weighting itself (none, group_balanced,
                             jtt{...} or a Lua function: read by lua/) */
    MROLE_IDENT_OPTIM      /* weighting.ident_optim: the identification
                             model's optimiser (sgd{...} or adamw{...}, read
                             by lua/; default ERM's SGD) */
} method_key_role;

#define MKEY_LO_OPEN 1u    /* range excludes lo */
#define MKEY_HI_OPEN 2u    /* range excludes hi */

typedef struct {
    const char *name;      /* the DSL key */
    method_key_type type;
    method_key_role role;
    double lo, hi;         /* range (HUGE_VAL: unbounded) */
    unsigned flags;        /* MKEY_LO_OPEN, MKEY_HI_OPEN */
    double def;            /* default (booleans 0 / 1) */
} method_key;

/* what a method needs and does; code tests these, never the name */
enum {
    MF_TEACHER_LOGITS = 1u << 0,   /* its objective reads the teacher's logits */
    MF_TEACHER_FEATS = 1u << 1,    /* ... the teacher's features */
    MF_TRANSPLANT = 1u << 2,       /* the student takes the teacher's head, frozen */
    MF_LOGIT_LOSS = 1u << 3,       /* the objective writes dJ/dz */
    MF_FEATURE_LOSS = 1u << 4,     /* the objective writes dJ/df */
    MF_SAMPLE_WEIGHTS = 1u << 5,   /* takes a weighting (and then may need an
                                      identification job, see method_ident_epochs) */
    MF_PROJECTOR = 1u << 6,        /* trains a linear projector student features ->
                                      teacher features alongside (f = its output) */
    MF_DIAGNOSTICS = 1u << 7,      /* CKA / feature MSE against the teacher are written */
    MF_DFR_REFIT = 1u << 8,        /* after training, the last layer is refit by DFR
                                      (one more epoch row) */
    MF_WEIGHTING_VALUE = 1u << 9,  /* its DSL value is also a weighting (jtt{...}) */
    MF_READOUT = 1u << 10,         /* DEDIER: an early readout trains alongside and
                                      reweights the rows it gets wrong after every
                                      epoch (runtime/train/readout.h); its args
                                      2, 3, 4 are alpha, beta and the layer */
};
#define MF_TEACHER (MF_TEACHER_LOGITS | MF_TEACHER_FEATS)

typedef struct {
    const char *name;              /* DSL constructor and label: "kd" */
    int n_keys;
    method_key keys[METHOD_MAX_KEYS];
    unsigned flags;                /* MF_* */
    optim_kind optim;              /* default optimiser: optim_defaults(optim) */
    objective_fn objective;        /* required */
    group_step_fn group_step;      /* NULL, or run on the batch's per-group
                                      cross-entropy before the objective */
    sampler_kind sampler;          /* default `sampler` of its jobs (0: rows) */
} method_def;

/* the row of kind k, NULL if there is none */
const method_def *method_get(int k);
/* rows in the table (built-in plus registered) */
int method_count(void);
/* the kind of the method called name, or -1 */
int method_find(const char *name);
/* k's name, "?" for no row */
const char *method_name(int k);
/* 1 if the method needs a teacher job */
int method_needs_teacher(const method_def *d);

/* Appends row *d (copied; its strings must outlive the process, e.g.
 * literals) and returns its kind, or -1 with e set (table full, a name
 * taken, no objective, a key row inconsistent with its role, more than
 * METHOD_MAX_ARGS MROLE_ARG keys). Not thread-safe; see above. */
int method_register(const method_def *d, dett_err *e);

/* the index of key `name` in d's keys, or -1 */
int method_key_index(const method_def *d, const char *name);
/* *m = method k with every key at its default (weighting: see above);
 * returns -1 if k has no row */
int method_defaults(int k, method_spec *m);
/* Sets key `name` of m's method to v (numbers as given, integers and
 * booleans as 0/1 in v); the value is not range-checked (lua/ does that).
 * Returns 0, or -1 if the method has no such key or it is the weighting. */
int method_set(method_spec *m, const char *name, double v);
/* the default of d's key with role r, 0 if d has none (a jtt{} value given
 * as a method's weighting takes its unset keys' defaults from the method) */
double method_role_default(const method_def *d, method_key_role r);
/* sets the weighting field of role r (MROLE_WEIGHT_*; other roles: no-op) */
void weighting_set(weighting_spec *w, method_key_role r, double v);
/* identification epochs the job's weighting needs (jtt or Lua: its T), 0 if none */
int method_ident_epochs(const method_spec *m);
/* the identification model's optimiser: weighting.ident_optim if given,
 * else ERM's default (SGD lr 0.01, momentum 0.9, wd 1e-4: JTT's choice) */
optim_cfg method_ident_optim(const method_spec *m);
/* the method's default optimiser (optim_defaults of its row's kind) */
optim_cfg method_default_optim(int k);

/* canonical text (see above) into buf; "" if it does not fit */
void method_canon(const method_spec *m, char *buf, size_t len);
/* the label of the method's arguments (see above): "T=4,alpha=0.9", "" if none */
void method_label_args(const method_spec *m, char *buf, size_t len);
/* "none", "group_balanced", "jtt(T=1,up=50)" or "lua#<fn>" */
void weighting_label(const weighting_spec *w, char *buf, size_t len);

/* A job's method arguments as typed pairs, for storing them as typed
 * attributes: the MROLE_ARG keys in key order (MARG_REAL), then for weighted
 * methods ("weighting", MARG_STR: "none" | "group_balanced" | "jtt" | "lua")
 * followed, for jtt, by T (MARG_INT), up (MARG_REAL), resample (MARG_INT
 * 0/1) and, for a Lua function, by T (MARG_INT). MARG_REAL values are the
 * float the job uses, widened to double (print with %g for the label text).
 * `name` and `str` point into the table or static storage: don't free.
 * Writes at most max pairs and returns how many there are (call with
 * max = 0 to count). */
typedef enum { MARG_REAL, MARG_INT, MARG_STR } method_arg_type;
typedef struct {
    const char *name;
    method_arg_type type;
    double num;            /* MARG_REAL, MARG_INT */
    const char *str;       /* MARG_STR */
} method_arg;
int method_args(const method_spec *m, method_arg *out, int max);

#endif
