#define _POSIX_C_SOURCE 200809L
/* cmd_run.c - `dett run GRID.lua -o RESULTS.h5`: every job of a grid over
 * job groups, into one results file, resuming what a previous run left. */
#include "agree.h"
#include "arch.h"
#include "checkpoint.h"
#include "cmd.h"
#include "dsl.h"
#include "init_teacher.h"
#include "jobrun.h"
#include "linalg.h"
#include "lock.h"
#include "method.h"
#include "opts.h"
#include "progress.h"
#include "results.h"
#include "scheduler.h"
#include "shard.h"
#include "validate.h"
#include <mpi.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { R_OUT = 1, R_K, R_M, R_CKPT, R_FORCE, R_FROM, R_INC, R_PROGRESS };

/* dett run's options: the parser's table and the option lines of --help */
static const opt_def run_defs[] = {
    {"output", 'o', "RESULTS.h5", "the results file (required); created, or resumed", R_OUT},
    {"ranks-per-job", 0, "K", "ranks per job group, a power of two dividing P (default 1)",
     R_K},
    {"micro-shards", 0, "M", "fixed micro-shards of the training rows, a power of\n"
     "two >= K (default 8); results do not depend on K", R_M},
    {"checkpoint-every", 0, "S", "save a running job's state (parameters, optimiser,\n"
     "selection, curves) after an epoch at most every S\n"
     "seconds (default 60; 0: every epoch); a killed job\n"
     "resumes from it with the same final bits", R_CKPT},
    {"force", 0, NULL, "replace RESULTS.h5 (a deliberate rebuild: every job reruns)", R_FORCE},
    {"from", 0, "OTHER.h5", "reuse the finished jobs of another results file by hash\n"
     "(curves, parameters, teachers, identification models);\n"
     "repeatable, the first file holding a job wins", R_FROM},
    {"include-path", 0, "DIR", "let the script include files under DIR (repeatable;\n"
     "default: only the script's own directory tree)", R_INC},
    {"progress", 0, "MODE", "auto|bar|lines[:SECONDS]; bar: a status line redrawn\n"
     "in place; lines: one line per finished job and a status\n"
     "line with the ETA every SECONDS (default 30), plain\n"
     "text; auto: bar when stdout is a terminal (under\n"
     "mpirun: mpirun's), else lines", R_PROGRESS},
    {NULL, 0, NULL, NULL, 0},
};

/* --help: the synopsis, the table's option lines, what the file is */
static void run_usage(void)
{
    fputs("usage: mpirun -np P dett run GRID.lua -o RESULTS.h5 [options]\n", stdout);
    opts_usage(stdout, run_defs);
    fputs("RESULTS.h5 is a store of jobs keyed by their content (configuration,\n"
          "dependencies, data digest): a run on an existing file runs only the jobs\n"
          "it does not hold as finished, whatever script asks for them.\n"
          "RESULTS.h5.lock marks the file in use: a second run on it is refused.\n"
          "SIGTERM or SIGINT: every rank finishes its step, checkpoints its job, the\n"
          "file is closed and dett exits with status 4; the same command resumes.\n"
          "Exit status: 0 every job done, 1 an error (one 'dett:' line), 2 a usage\n"
          "error, 3 some jobs failed or were skipped, 4 stopped by a signal.\n",
          stdout);
}

#define RUN_MAX_FROM 16

typedef struct {
    const char *script, *out;
    const char *from[RUN_MAX_FROM];   /* --from OTHER.h5, in order */
    int n_from;
    int K, M, force;
    int progress;       /* PROGRESS_AUTO, _LINES or _BAR (progress.h) */
    double interval;    /* lines: seconds between ETA lines */
    const char *incs[17];   /* --include-path, NULL-terminated */
    double ckpt_every;  /* --checkpoint-every seconds (0: every epoch) */
} run_opts;

/* 0 ok, 1 --help, -1 a usage error in e */
static int parse(int argc, char **argv, run_opts *o, dett_err *e)
{
    long v;
    *o = (run_opts){ .K = 1, .M = 8, .progress = PROGRESS_AUTO,
                     .interval = PROGRESS_INTERVAL, .ckpt_every = 60 };
    int n_inc = 0, id;
    const char *val;
    opts_parser p;
    if (opts_begin(&p, "run", run_defs, argc, argv, e)) return -1;
    while ((id = opts_next(&p, &val, e)) != OPTS_DONE) {
        int bad = 0;
        switch (id) {
        case OPTS_BAD: return -1;
        case OPTS_HELP: return 1;
        case R_OUT: o->out = val; break;
        case R_K:
            bad = cmd_int("--ranks-per-job", val, 1, 1 << 20, &v, e);
            o->K = (int)v;
            break;
        case R_M:
            bad = cmd_int("--micro-shards", val, 1, 1 << 16, &v, e);
            o->M = (int)v;
            break;
        case R_PROGRESS: bad = progress_parse(val, &o->progress, &o->interval, e); break;
        case R_INC:
            if (n_inc == 16) bad = dett_fail(e, "--include-path: at most 16 directories");
            else o->incs[n_inc++] = val;
            break;
        case R_CKPT:
            bad = cmd_int("--checkpoint-every", val, 0, 1 << 30, &v, e);
            o->ckpt_every = (double)v;
            break;
        case R_FROM:
            if (o->n_from == RUN_MAX_FROM)
                bad = dett_fail(e, "at most %d --from files", RUN_MAX_FROM);
            else o->from[o->n_from++] = val;
            break;
        case R_FORCE: o->force = 1; break;
        case OPTS_ARG:
            if (o->script)
                bad = dett_fail(e, "one script at a time ('%s' and '%s')", o->script, val);
            o->script = val;
            break;
        }
        if (bad) return opts_bad_value(&p, e);
    }
    if (!o->script) return opts_bad_value(&p, (dett_fail(e, "no script (usage: dett run GRID.lua -o RESULTS.h5)"), e));
    if (!o->out) return opts_bad_value(&p, (dett_fail(e, "-o RESULTS.h5 is required"), e));
    return 0;
}

/* everything the results layout needs, checked before any training: every
 * dataset opens and validates, every job's model builds and its batch fits
 * the micro-shards */
static int plan_jobs(const job_list *jobs, const run_opts *o, results_jobinfo *info,
                     dett_err *e)
{
    dataset_info di;
    char last[JOB_PATH] = "";
    for (int j = 0; j < jobs->n; j++) {
        const job_spec *job = &jobs->jobs[j];
        results_jobinfo *ji = &info[j];
        char why[256];
        shard_plan p;
        if (strcmp(last, job->data) != 0) {
            if (dataset_open(job->data, MPI_COMM_WORLD, &di, e)) return -1;
            snprintf(last, sizeof last, "%s", job->data);
        }
        if ((method_get(job->method.kind)->flags & MF_DFR_REFIT) && !linalg_have_scalapack())
            return dett_fail(e, "%s:%d: job %s: %s{}: %s", o->script, job->script_line,
                             job->id, method_name(job->method.kind), LINALG_NO_SCALAPACK);
        if (shard_plan_make(&p, di.n[SPLIT_TRAIN], o->M, o->K, 0, job->batch, why))
            return dett_fail(e, "%s (%s, line %d): %s", job->id, job->data, job->script_line, why);
        model *t = jobrun_build_teacher(jobs, j, &di, e);
        if (job->teacher >= 0 && !t) return -1;
        model *m = jobrun_build_model(jobs, j, &di, t, e);
        if (!m) {
            model_free(t);
            return -1;
        }
        memset(ji, 0, sizeof *ji);
        const method_def *def = method_get(job->method.kind);
        ji->epochs = job->epochs;   /* a dfr{} job's refit has its own place (dfr/) */
        ji->groups = di.n_groups;
        ji->n_attrs = di.n_attrs;
        ji->n_params = m->n_params;
        ji->n_train = di.n[SPLIT_TRAIN];
        ji->diagnostics = jobrun_has_diagnostics(job);
        ji->dfr = !!(def->flags & MF_DFR_REFIT);
        snprintf(ji->init, sizeof ji->init, "%s", init_names[job->init]);
        if (job->init == INIT_TEACHER && t) ji->init_layers = init_teacher_match(m, t).copied;
        int drc = results_describe_model(ji, m, di.x_rank, di.x_shape, e);
        if (drc == 0)
            drc = jobrun_ckpt_sizes(jobs, j, m, t, di.n_groups, di.n[SPLIT_TRAIN],
                                    &ji->ckpt_f32, &ji->ckpt_f64, e);
        model_free(m);
        model_free(t);
        if (drc) return -1;
        snprintf(ji->method, sizeof ji->method, "%s", def->name);
        method_label_args(&job->method, ji->method_args, sizeof ji->method_args);
        arch_name(&job->arch, ji->arch, sizeof ji->arch);
        if (job->teacher_file[0]) {   /* an external teacher: its head, from the file */
            snprintf(ji->method, sizeof ji->method, "external");
            ji->method_args[0] = '\0';
            snprintf(ji->arch, sizeof ji->arch, "%.120s", job->teacher_file);
        }
        weighting_label(&job->method.weighting, ji->weighting, sizeof ji->weighting);
        optim_label(&job->optim, ji->optim, sizeof ji->optim);
        ji->batch = job->batch;
        if (job->teacher >= 0)
            snprintf(ji->teacher, sizeof ji->teacher, "%.15s", jobs->jobs[job->teacher].id);
        if (job->ident >= 0)
            snprintf(ji->ident, sizeof ji->ident, "%.15s", jobs->jobs[job->ident].id);
        snprintf(ji->select, sizeof ji->select, "%s", select_names[job->select]);
    }
    return 0;
}

/* hooks: world rank 0 serves the scheduler between steps; leaders report epochs */
typedef struct {
    sched *s;       /* world rank 0 only */
    int leader, group;
    MPI_Comm comm;  /* the job group */
    long steps;     /* steps taken by this process (the test kill points) */
    dett_err *e;
    results *res;   /* its I/O failure stops the running job (should_stop) */
} run_hooks;

/* set by SIGTERM / SIGINT; read at every step (should_stop) */
static volatile sig_atomic_t g_stop = 0;

static void on_signal(int sig) { g_stop = sig; }

/* SIGTERM and SIGINT set g_stop (SA_RESTART: I/O in progress goes on) */
static int catch_signals(dett_err *e)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sa.sa_flags = SA_RESTART;
    if (sigemptyset(&sa.sa_mask) != 0 || sigaction(SIGTERM, &sa, NULL) != 0 ||
        sigaction(SIGINT, &sa, NULL) != 0)
        return dett_fail(e, "cannot install the SIGTERM/SIGINT handler");
    return 0;
}

/* DETT_TEST_KILL_AT_STEP=N[:R]: world rank R (default 0) kills itself
 * (SIGKILL) at its N-th training step; DETT_TEST_TERM_AT_STEP=N[:R] sends
 * itself SIGTERM there: the kills the checkpoint tests recover from */
static void maybe_signal_at_step(long steps)
{
    static const struct { const char *var; int sig; } t[] = {
        { "DETT_TEST_KILL_AT_STEP", SIGKILL }, { "DETT_TEST_TERM_AT_STEP", SIGTERM } };
    int wrank;
    MPI_Comm_rank(MPI_COMM_WORLD, &wrank);
    for (int k = 0; k < 2; k++) {
        const char *v = getenv(t[k].var);
        if (!v) continue;
        const char *colon = strchr(v, ':');
        if (steps == atol(v) && wrank == (colon ? atoi(colon + 1) : 0)) raise(t[k].sig);
    }
}

/* collective over the group at every step: stop if any rank was signalled
 * or found the results file failing (results_io_failed: nothing more can
 * be written, the job is not recorded) */
static int should_stop(void *ctx)
{
    run_hooks *h = ctx;
    int mine = g_stop != 0 || results_io_failed(h->res, NULL), any = 0;
    if (MPI_Allreduce(&mine, &any, 1, MPI_INT, MPI_MAX, h->comm) != MPI_SUCCESS) {
        dett_fail(h->e, "MPI_Allreduce of the stop flag failed");
        cmd_die(h->e);
    }
    if (any && h->s) h->s->stopping = 1;
    return any;
}

/* DETT_TEST_KILL_AFTER=N: world rank 0 kills itself (SIGKILL) once N jobs
 * have finished: the crash that the resume test recovers from */
static void maybe_crash(const sched *s)
{
    const char *v = getenv("DETT_TEST_KILL_AFTER");
    if (s && v && s->n_finished >= atoi(v)) raise(SIGKILL);
}

static void on_step(void *ctx)
{
    run_hooks *h = ctx;
    if (h->s && g_stop) h->s->stopping = 1;
    if (h->s && sched_poll(h->s, h->e)) cmd_die(h->e);
    maybe_crash(h->s);
    maybe_signal_at_step(++h->steps);
}

static void on_epoch(void *ctx, int job, int epoch, double val_worst)
{
    run_hooks *h = ctx;
    if (h->leader) sched_progress(h->s, h->group, job, epoch, val_worst);
}

static int lua_weight(void *ctx, int fn, const weight_signals *s, float *w, dett_err *e)
{
    dsl_signals ds = { s->id_loss, s->id_correct, s->teacher_loss, s->teacher_correct, s->y };
    return dsl_weight(ctx, fn, &ds, w, e);
}

/* Collective over the job group, after each job: the group's I/O failure
 * of the results file, if any rank of it has one (the leader also checks
 * that the path still names the open file); IOFAIL_* (0: none), *err its
 * errno. On failure the leader's next report carries it (io_report). */
static int group_io_failure(results *res, MPI_Comm group, int leader, int *err, dett_err *e)
{
    int mine[2], all[2];
    mine[0] = leader ? results_check_path(res) : results_io_failed(res, NULL);
    results_io_failed(res, &mine[1]);
    if (MPI_Allreduce(mine, all, 2, MPI_INT, MPI_MAX, group) != MPI_SUCCESS) {
        dett_fail(e, "MPI_Allreduce of the I/O status failed");
        cmd_die(e);
    }
    *err = all[1];
    return all[0];
}

/* the scheduler message of a job that hit an I/O failure (scheduler.h:
 * SCHED_IO_FAILED, errno and kind in the worst and avg fields) */
static void io_report(results_row *row, double *worst, double *avg, int kind, int err)
{
    row->status = SCHED_IO_FAILED;
    *worst = err;
    *avg = kind;
}

/* World rank 0 at the end: the run's I/O failure (a group's report, or
 * rank 0's own, or the results file gone) as one line on stderr; 1 if
 * there was one (the run's exit status is then 1), else 0 */
static int io_final(sched *s, results *res, const job_list *jobs, const char *out)
{
    int err = 0, kind = s->io_kind;
    const char *job = kind ? jobs->jobs[s->io_job].id : NULL;
    if (kind) err = s->io_errno;
    else if ((kind = results_check_path(res))) results_io_failed(res, &err);
    if (!kind) return 0;
    char line[1400];
    iofail_text(line, sizeof line, out, kind, err, job);
    fprintf(stderr, "dett: %s\n", line);
    fflush(stderr);
    return 1;
}

/* The group's next job, broadcast from its leader. Polled with 1 ms naps
 * (the leader's own wait in the scheduler naps too): a non-leader rank
 * waits here for as long as its leader waits for rank 0 (students waiting
 * for their teacher, the grid's last jobs), and Open MPI's blocking
 * broadcast spins a core for all that time. Every rank of the group calls
 * it (the root's completes at once). */
static int group_next(MPI_Comm group, int *next, dett_err *e)
{
    MPI_Request rq;
    CHECK_MPI(e, MPI_Ibcast(next, 1, MPI_INT, 0, group, &rq));
    return dist_wait_napping(&rq, e);
fail:
    return -1;
}

/* Collective over MPI_COMM_WORLD: -1 (this rank's message in e) if this
 * rank's script hash differs from rank 0's. */
static int same_script(const char *sha, dett_err *e)
{
    char root[65];
    memcpy(root, sha, sizeof root);
    if (MPI_Bcast(root, sizeof root, MPI_CHAR, 0, MPI_COMM_WORLD) != MPI_SUCCESS)
        return dett_fail(e, "MPI_Bcast of the script hash failed");
    if (memcmp(root, sha, sizeof root))
        return dett_fail(e, "this rank read a different grid script than rank 0 "
                         "(hash %.12s, rank 0 %.12s): is the file the same on every node?",
                         sha, root);
    return 0;
}

int cmd_run(int argc, char **argv)
{
    dett_err e = { "" };
    run_opts o;
    job_list jobs = { 0 };
    dsl *d = NULL;
    results *res = NULL;
    results_jobinfo *info = NULL;
    results_lock *lock = NULL;
    sched s;
    int wrank, wsize, rc = 1;
    char sha[65];
    MPI_Comm group = MPI_COMM_NULL;

    MPI_Comm_rank(MPI_COMM_WORLD, &wrank);
    MPI_Comm_size(MPI_COMM_WORLD, &wsize);
    int prc = parse(argc, argv, &o, &e);
    if (prc == 1) {
        if (wrank == 0) run_usage();
        return 0;
    }
    if (prc) { cmd_report(&e); return 2; }
    if (wsize % o.K || !shard_is_pow2(o.K)) {
        dett_fail(&e, "--ranks-per-job %d must be a power of two dividing the %d ranks", o.K, wsize);
        cmd_report(&e);
        return 2;
    }
    /* one writer at a time: refused at once if another run holds the file */
    if (catch_signals(&e)) {
        cmd_report(&e);
        return 1;
    }
    if (lock_take_shared(o.out, MPI_COMM_WORLD, &lock, &e)) {
        cmd_report(&e);
        goto out;
    }
    /* every rank runs the script: deterministic, and each keeps the Lua
     * state for weighting functions */
    /* a script that fails or differs on some ranks only (an unreadable or
     * stale copy on one node, say) stops every rank with one message before
     * the first collective that would hang on it */
    if (agree_ranked(MPI_COMM_WORLD, dsl_load_opts(o.script, o.incs, &d, &jobs, &e), &e)) {
        cmd_report(&e);
        goto out;
    }
    dsl_script_sha256(d, sha);
    if (agree_ranked(MPI_COMM_WORLD, same_script(sha, &e), &e)) { cmd_report(&e); goto out; }
    /* the checks of dett check (data digests into the job hashes included) */
    if (validate_grid(d, &jobs, MPI_COMM_WORLD, wrank == 0 ? stdout : NULL, &e)) {
        cmd_report(&e);
        goto out;
    }
    /* the store's ids for the jobs it holds, fresh ids for the others */
    if (results_adopt_ids(o.out, MPI_COMM_WORLD, &jobs, o.force, NULL, &e)) {
        cmd_report(&e);
        goto out;
    }
    info = calloc((size_t)jobs.n + 1, sizeof *info);
    /* every rank reaches this: a failed allocation is agreed, not aborted */
    if (agree_ranked(MPI_COMM_WORLD, info ? 0 : dett_fail(&e, "out of memory"), &e)) {
        cmd_report(&e);
        goto out;
    }
    if (plan_jobs(&jobs, &o, info, &e)) { cmd_report(&e); goto out; }
    results_meta meta = { dsl_script_text(d), o.script, sha, wsize, o.K };
    if (results_open(&res, o.out, MPI_COMM_WORLD, &jobs, info, &meta, o.force, &e)) {
        cmd_report(&e);
        goto out;
    }

    /* --from: rank 0 copies finished jobs of other stores, then everyone meets */
    for (int k = 0; k < o.n_from; k++) {
        int copied = 0, frc = 0;
        if (wrank == 0) {
            frc = results_reuse_from(res, o.from[k], &copied, &e);
            if (frc == 0) printf("dett run: %d finished job%s copied from %s\n", copied,
                                 copied == 1 ? "" : "s", o.from[k]);
        }
        if (agree_ranked(MPI_COMM_WORLD, frc, &e)) { cmd_report(&e); goto out; }
    }

    const int gid = wrank / o.K, n_groups = wsize / o.K;
    int grank;
    if (MPI_Comm_split(MPI_COMM_WORLD, gid, wrank, &group) != MPI_SUCCESS) {
        dett_fail(&e, "MPI_Comm_split failed");
        cmd_die(&e);
    }
    MPI_Comm_rank(group, &grank);
    /* the scheduler is rank 0's; the other leaders wait for it to answer,
     * so its setup is agreed before anyone asks */
    if (agree(MPI_COMM_WORLD, wrank == 0 ? sched_init(&s, &jobs, res, n_groups, o.K, &e) : 0,
              &e)) {
        cmd_report(&e);
        MPI_Comm_free(&group);
        goto out;
    }
    if (wrank == 0) {
        sched_set_work(&s, info);
        if (o.progress != PROGRESS_AUTO) s.tty = o.progress == PROGRESS_BAR;
        s.interval = o.interval;
        printf("dett run %s: %d jobs: %d reused, %d to run; %d group%s of %d rank%s, "
               "%d micro-shards\n", o.script, jobs.n, jobs.n - s.n_todo, s.n_todo, n_groups,
               n_groups > 1 ? "s" : "", o.K,
               o.K > 1 ? "s" : "", o.M);
        fflush(stdout);
    }
    run_hooks hk = { wrank == 0 ? &s : NULL, grank == 0, gid, group, 0, &e, res };
    jobrun_ctx c = { .comm = group, .M = o.M, .res = res, .jobs = &jobs,
                     .weight = lua_weight, .weight_ctx = d,
                     .hooks = { on_step, on_epoch, should_stop, &hk },
                     .ckpt_every = o.ckpt_every };
    int n_stopped = 0, n_resumed = 0;
    double t0 = MPI_Wtime();
    int last = -1, next = -1;
    results_row row;
    double worst = 0, avg = 0;
    memset(&row, 0, sizeof row);
    for (;;) {
        if (wrank == 0) {
            if (g_stop) s.stopping = 1;
            next = sched_next_local(&s, last, &row, worst, avg, &e);
            if (next == -2) cmd_die(&e);
            maybe_crash(&s);
        } else if (grank == 0) {
            if (sched_request(gid, last, &row, worst, avg, &next, &e)) cmd_die(&e);
        }
        if (group_next(group, &next, &e)) cmd_die(&e);
        if (next < 0) break;
        if (grank == 0) {      /* independent write: the job is running */
            results_row r0;
            if (results_read_row(res, next, &r0, &e)) cmd_die(&e);
            r0.status = JOB_RUNNING;
            r0.ranks = o.K;
            if (results_write_row(res, next, &r0, &e)) cmd_die(&e);
        }
        if (jobrun(&c, next, &row, &worst, &avg, &e)) cmd_die(&e);
        int io_err, io = group_io_failure(res, group, grank == 0, &io_err, &e);
        /* the leader records the job once its group's writes are agreed
         * good; a failed write of that row (latched) is this job's I/O
         * failure too, also when it is the group's last job */
        if (!io && grank == 0) {
            if (results_write_row(res, next, &row, &e)) cmd_die(&e);
            io = results_io_failed(res, &io_err);
        }
        if (io) {   /* not recorded as done: reported, and the scheduler stops */
            if (grank == 0) io_report(&row, &worst, &avg, io, io_err);
            last = next;
            continue;
        }
        n_resumed += grank == 0 && c.ckpt_resumed;
        if (grank == 0 && c.ckpt_resumed)
            printf("dett run: %s resumed from its checkpoint (epoch %d step %lld)\n",
                   jobs.jobs[next].id, c.ckpt_epoch + 1, (long long)c.ckpt_step);
        if (grank == 0 && row.status == JOB_PENDING) {
            n_stopped++;
            printf("dett run: %s stopped: %s\n", jobs.jobs[next].id, row.error);
            fflush(stdout);
        }
        if (grank == 0 && row.status == JOB_FAILED) {   /* the reason, on the console too */
            fprintf(stderr, "dett: %s: %s failed: %s\n", jobs.jobs[next].where,
                    jobs.jobs[next].id, row.error);
            fflush(stderr);
        }
        last = next;
    }
    int io_end = 0;
    if (wrank == 0) {
        if (sched_drain(&s, &e)) cmd_die(&e);
        io_end = io_final(&s, res, &jobs, o.out);
        double wall = MPI_Wtime() - t0;
        int cnt[5] = { 0 };
        for (int j = 0; j < jobs.n; j++) cnt[s.state[j]]++;
        printf("%d jobs: %d done, %d failed, %d skipped; %.1f s wall, %.1f s in jobs over "
               "%d group%s (%.0f%% busy)\n", jobs.n, cnt[JOB_DONE], cnt[JOB_FAILED],
               cnt[JOB_SKIPPED], wall, s.busy_seconds, n_groups, n_groups > 1 ? "s" : "",
               wall > 0 ? 100.0 * s.busy_seconds / (wall * n_groups) : 0.0);
        printf("results: %s (dett report %s)\n", o.out, o.out);
        rc = cnt[JOB_FAILED] || cnt[JOB_SKIPPED] ? 3 : 0;
        if (io_end) {
            rc = 1;   /* the line above; the jobs it finished are kept */
        } else if (s.stopping) {
            printf("dett run: stopped by a signal: %d of %d jobs finished, the running ones "
                   "checkpointed (a dedier job restarts its training); the file is closed. "
                   "Resume with the same command "
                   "(mpirun ... dett run %s -o %s)\n", cnt[JOB_DONE], jobs.n, o.script, o.out);
            rc = 4;
        }
        sched_free(&s);
    }
    MPI_Bcast(&rc, 1, MPI_INT, 0, MPI_COMM_WORLD);
    jobrun_free(&c);
    MPI_Comm_free(&group);
    /* after an I/O failure the one line is said: a close that fails too
     * (the same failing device) adds nothing */
    if (results_close(res, &e)) { if (!io_end) cmd_report(&e); rc = 1; }
    res = NULL;
out:
    results_close(res, NULL);
    lock_release(lock);
    free(info);
    job_list_free(&jobs);
    dsl_free(d);
    return rc;
}
