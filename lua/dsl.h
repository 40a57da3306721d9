/* dsl.h - the sandboxed Lua front end: an experiment script in, a validated,
 * fully expanded job list out.
 *
 * A script runs in a fresh lua_State with base, table, string and math only
 * (no io, os, debug, package, load, dofile, loadfile, require, collectgarbage,
 * string.dump, math.random), a 256 MB memory cap and an instruction budget.
 * Scripts are loaded as text, never bytecode. Reading an undefined global is
 * an error ("unknown name 'emr' (did you mean 'erm'?)").
 *
 * The DSL (every constructor checks its keys: an unknown key, a wrong type
 * or an out-of-range value is an error at the line of the call):
 *   dataset "f.h5"      path relative to the working directory; must exist
 *                       (its contents are checked when a job opens it)
 *   include "x.lua"     runs x.lua (relative to the including file) in the
 *                       same sandbox, returns its values; the file must be in
 *                       the main script's directory tree or under an
 *                       --include-path directory (dsl_load_opts)
 *   mlp{64, 64}         hidden widths (<= 8, each 1..65536); mlp{} is linear
 *   cnn{channels={8,16} (required), kernel=3, pool=2, pool_kind="max"|"avg",
 *       fc=0 (0: no fc layer before the head)}
 *   erm{}  simkd{}  dfr{}                  (no options)
 *   groupdro{eta=0.01, adj=0}
 *   jtt{T=1, up=20, resample=true, ident_optim=sgd{}}  T identification
 *       epochs, ident_optim the identification model's optimiser (default
 *       ERM's sgd{}, as JTT; never the student's)
 *   kd{T=4, alpha=0.9}                     T temperature
 *   fitnet{feat_w=1, ce_w=1}
 *   dett{weighting=jtt{T=1, up=50, resample=false}}; dett{T=.., up=..} is
 *       shorthand for that weighting; with weighting = a Lua function, T is
 *       its identification epochs (default 1); ident_optim as for jtt{}
 *   weightings: none, group_balanced, jtt{...}, or function(s) ... end
 *       returning a weight >= 0 from s.id_loss, s.id_correct (boolean),
 *       s.teacher_loss, s.teacher_correct (boolean), s.y (no group labels)
 *   sgd{lr=0.01, momentum=0.9, wd=1e-4}
 *   adamw{lr=1e-3, wd=1e-4, betas={0.9, 0.999}, eps=1e-8}
 *       when no optim is given: adamw{} for fitnet, simkd, dett; sgd{} else
 *   external "teacher.h5"  (or external{path=...}) a teacher trained elsewhere:
 *       its features and head from a file (runtime/io/teacher_file.h), bound
 *       to the grid's data by the data's label digest; usable as teacher =
 *   train{data=, teacher=, arch=, method=erm{}, optim=, init="random", epochs=20,
 *       batch=64, seed=1, select="val-worst", sampler=}  a named model (teacher);
 *       with a teacher and a method that distils it is a student that can
 *       itself be a teacher (a chain: teacher -> mid-size -> small)
 *   init = "random" | "teacher" (train{} and grid{}): "teacher" starts the
 *       model from its teacher's trained weights, layer by layer from the
 *       input while the shapes match (runtime/train/init_teacher.h)
 *   grid{data=, teacher=, student=, method=, optim=, epochs=20, batch=64,
 *       seeds=1, select="val-worst"|"val-avg"|"oracle"|"val-worst-class", sampler=,
 *       teacher_seed="fixed"|"paired"}; kd, fitnet, simkd and dett need teacher;
 *       teacher_seed = "paired" trains the teacher (and its ident job) once per
 *       student seed with that seed instead of once with train{}'s seed. sampler = "rows"|"groups"|"groups-exact"
 *       (default: the method's, groupdro "groups", else "rows";
 *       docs/sampling.md)
 *   sweep{a, b, ...}    an axis, anywhere (grid keys, or inside a method,
 *       weighting, architecture, optimiser, model or list); the grid is the
 *       Cartesian product of all axes, a sweep nested in one value
 *       multiplies only that value. A plain list is one value, except for
 *       `seeds`, where {1, 2, 3} means sweep{1, 2, 3}.
 * The script returns a grid or a (nested) list of grids.
 *
 * Jobs: a teacher is a JOB_TRAIN job (with .teacher set when it is a
 * student of a chain; teacher_seed = "paired" pairs the whole chain); a
 * jtt method or a jtt/Lua weighting adds a JOB_IDENT job (ERM on the student's data, architecture, optimiser,
 * batch and seed, for T epochs); students are JOB_STUDENT with .teacher and
 * .ident indices (-1: none; a method that does not distil has no teacher).
 * Dependencies come before dependents; jobs with equal hashes appear once
 * (the first is kept). Canonical text and hash rules: see lua/jobs.c.
 * A Lua weighting's canonical text is "lua:<sha256 of its source lines and
 * simple upvalues>(T=..)": editing the function changes the hash, moving it
 * does not. math.random is removed so scripts are deterministic.
 *
 * Nothing here is collective: every rank may load the script on its own (it
 * is deterministic), or rank 0 loads it and broadcasts the job list.
 * The lua_State is not thread-safe: call dsl_weight from one thread at a time.
 */
#ifndef DETT_DSL_H
#define DETT_DSL_H
#include "err.h"
#include "jobspec.h"

typedef struct dsl dsl;   /* owns the lua_State, kept alive for weighting functions */

/* Per-sample signals a Lua weighting function sees as the table `s`:
 * s.id_loss, s.id_correct (boolean), s.teacher_loss, s.teacher_correct
 * (boolean), s.y. Group labels are deliberately absent. */
typedef struct {
    float id_loss;         /* identification model's cross-entropy on the sample */
    int id_correct;        /* 1 if the identification model classifies it right */
    float teacher_loss;    /* teacher's cross-entropy on the sample */
    int teacher_correct;   /* 1 if the teacher classifies it right */
    int y;                 /* class label */
} dsl_signals;

/* Runs the script at script_path and expands its grid(s) into *jobs (which
 * must be zeroed or freshly job_list_free'd; on success the caller frees it
 * with job_list_free). On success *out owns the Lua state (free with
 * dsl_free). Returns 0, or -1 with e->msg "FILE:LINE: what" (one line); on
 * failure *out is NULL and *jobs is empty. */
int dsl_load(const char *script_path, dsl **out, job_list *jobs, dett_err *e);

/* dsl_load with a NULL-terminated list of directories (or NULL) outside
 * the script's own directory tree that `include` may read from (the
 * --include-path option); each must exist. */
int dsl_load_opts(const char *script_path, const char *const *include_path, dsl **out,
                  job_list *jobs, dett_err *e);

/* NULL ok */
void dsl_free(dsl *d);

/* The main script's source text (NUL-terminated; points into d: don't free).
 * Included files are not part of it. */
const char *dsl_script_text(const dsl *d);

/* hex SHA-256 of dsl_script_text, NUL-terminated */
void dsl_script_sha256(const dsl *d, char hex[65]);

/* Evaluates weighting function `fn` (a job's method.weighting.lua_fn) on one
 * sample, under a protected call with its own instruction budget. The result
 * must be a finite number >= 0. Returns 0 and sets *w, or -1 with e->msg
 * naming the function's file:line. */
int dsl_weight(dsl *d, int fn, const dsl_signals *s, float *w, dett_err *e);

/* The content digest of a data file (hex SHA-256 into hex), 0 or -1 with e */
typedef int (*jobs_digest_fn)(void *ctx, const char *path, char hex[65], dett_err *e);

/* Makes each job's identity include the contents of the data it reads:
 * replaces "data=<path>" by "data=sha256:<hex>" (digest(ctx, job->data)) in
 * every job's canonical text, appends ";teacher_digest=<hex>" for an external
 * teacher (digest(ctx, job->teacher_file)), and recomputes every hash (dependencies first,
 * so a dependent's hash covers its dependencies' data too); jobs whose
 * hashes become equal (two paths, same contents) are kept once and the ids
 * renumbered j000.. in order. job->data keeps the path. Call once, after
 * dsl_load and before the hashes are used. Returns 0, or -1 with e. */
int jobs_mix_data_digests(job_list *jobs, jobs_digest_fn digest, void *ctx, dett_err *e);

/* the value of `key` in a job's canonical config text (the text after
 * "key=" up to the next top-level separator) into out; "" if absent */
void jobs_canon_field(const char *canon, const char *key, char *out, size_t n);

#endif
