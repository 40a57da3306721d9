/* scheduler.c - dynamic job scheduling over job groups (see scheduler.h). */
#define _POSIX_C_SOURCE 200809L
#include "scheduler.h"
#include "agree.h"
#include "arch.h"
#include "eta.h"
#include "jobrun.h"
#include "jobwork.h"
#include "method.h"
#include "progress.h"
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

enum { SCHED_TAG_REQ = 301, SCHED_TAG_JOB = 302, SCHED_TAG_PROGRESS = 303 };

/* the ETA estimator's plan: every job's epochs, dependencies and cost
 * class: family (data file, job kind, reads a teacher, has diagnostics),
 * architecture, and method with what changes its cost (teacher, batch) */
static int eta_plan(sched *s, dett_err *e)
{
    const job_list *jobs = s->jobs;
    s->est = eta_new(jobs->n, s->n_groups);
    CHECK_ALLOC(e, s->est);
    for (int j = 0; j < jobs->n; j++) {
        const job_spec *job = &jobs->jobs[j];
        char an[128], tn[128] = "", fam[JOB_PATH + 16], meth[320];
        arch_name(&job->arch, an, sizeof an);
        if (job->teacher >= 0) arch_name(&jobs->jobs[job->teacher].arch, tn, sizeof tn);
        /* the family also says whether the job caches a teacher's outputs
         * (its setup) and computes diagnostics (its tail): an unmeasured
         * class takes its setup and tail from such jobs */
        const method_def *mdef = method_get(job->method.kind);
        snprintf(fam, sizeof fam, "%s|%d|%s%s", job->data, (int)job->kind,
                 mdef && method_needs_teacher(mdef) ? "t" : "",
                 jobrun_has_diagnostics(job) ? "d" : "");
        snprintf(meth, sizeof meth, "%s|b%d|t:%s", method_name(job->method.kind),
                 job->batch, tn);
        const method_def *def = method_get(job->method.kind);
        int epochs = jobwork_epochs(job->epochs, def ? def->flags : 0);   /* a refit is tail */
        if (eta_set_job(s->est, j, epochs, job->teacher, job->ident, fam, an, meth,
                        s->state[j] == JOB_DONE))
            return dett_fail(e, "out of memory (progress estimate)");
    }
    return 0;
fail:
    return -1;
}

/* prio[j] = cost[j] + the largest prio of the jobs that depend on j (as
 * teacher or identification job): the work on the longest chain that
 * starts at j. Dependencies form a DAG; relaxing in passes until nothing
 * changes needs at most n passes, whatever the order of the ids. */
static void plan_priorities(sched *s)
{
    const job_list *jobs = s->jobs;
    for (int j = 0; j < jobs->n; j++) s->prio[j] = s->cost[j];
    for (int pass = 0, changed = 1; changed && pass <= jobs->n; pass++) {
        changed = 0;
        for (int j = 0; j < jobs->n; j++) {
            const int deps[2] = { jobs->jobs[j].teacher, jobs->jobs[j].ident };
            for (int k = 0; k < 2; k++) {
                const int d = deps[k];
                if (d < 0 || d >= jobs->n || d == j) continue;
                if (s->cost[d] + s->prio[j] > s->prio[d]) {
                    s->prio[d] = s->cost[d] + s->prio[j];
                    changed = 1;
                }
            }
        }
    }
}

int sched_init(sched *s, const job_list *jobs, results *res, int n_groups, int K,
               dett_err *e)
{
    memset(s, 0, sizeof *s);
    s->K = K;
    s->jobs = jobs;
    s->res = res;
    s->n_groups = n_groups;
    s->state = calloc((size_t)jobs->n + 1, sizeof(int));
    s->running_epoch = calloc((size_t)jobs->n + 1, sizeof(int));
    s->stopped = calloc((size_t)n_groups, sizeof(int));
    s->waiting = calloc((size_t)n_groups, sizeof(int));
    s->prio = calloc((size_t)jobs->n + 1, sizeof(double));
    s->cost = calloc((size_t)jobs->n + 1, sizeof(double));
    CHECK_ALLOC(e, s->waiting);
    CHECK_ALLOC(e, s->prio);
    CHECK_ALLOC(e, s->cost);
    CHECK_ALLOC(e, s->state);
    CHECK_ALLOC(e, s->running_epoch);
    CHECK_ALLOC(e, s->stopped);
    for (int j = 0; j < jobs->n; j++) {
        results_row row;
        CHECK(results_read_row(res, j, &row, e));
        s->state[j] = row.status == JOB_DONE ? JOB_DONE : JOB_PENDING;
        if (s->state[j] != JOB_DONE) s->n_todo++;
    }
    CHECK(eta_plan(s, e));
    for (int j = 0; j < jobs->n; j++) s->cost[j] = jobs->jobs[j].epochs;
    plan_priorities(s);
    s->t0 = MPI_Wtime();
    s->tty = progress_stdout_is_terminal();
    s->interval = PROGRESS_INTERVAL;
    return 0;
fail:
    sched_free(s);
    return -1;
}

void sched_set_work(sched *s, const results_jobinfo *info)
{
    if (!info) return;
    for (int j = 0; j < s->jobs->n; j++) {
        const job_spec *job = &s->jobs->jobs[j];
        const method_def *def = method_get(job->method.kind);
        const unsigned flags = def ? def->flags : 0;
        double w = 0.0;
        if (!job->teacher_file[0]) {                   /* else read, not trained */
            w = jobwork_epoch(&info[j], job->teacher >= 0 ? &info[job->teacher] : NULL,
                              flags);
            eta_set_work(s->est, j, w);
        }
        s->cost[j] = w * jobwork_epochs(job->epochs, flags);
    }
    plan_priorities(s);
}

void sched_free(sched *s)
{
    free(s->state);
    free(s->running_epoch);
    free(s->stopped);
    free(s->waiting);
    free(s->prio);
    free(s->cost);
    eta_free(s->est);
    memset(s, 0, sizeof *s);
}

static void describe(const job_spec *j, char *buf, size_t len)
{
    char an[128];
    arch_name(&j->arch, an, sizeof an);
    snprintf(buf, len, "%s %-7s %-8s %-14s seed %llu", j->id,
             j->kind == JOB_TRAIN ? "teacher" : j->kind == JOB_IDENT ? "ident" : "student",
             method_name(j->method.kind), an, (unsigned long long)j->seed);
}

/* the status: done/total, elapsed, ETA, running jobs with their epoch.
 * bar: redrawn in place at most 4 times a second; lines: a plain line every
 * s->interval seconds */
static void show_status(sched *s)
{
    double now = MPI_Wtime(), el = now - s->t0;
    if (s->tty ? el - s->last_draw < 0.25 : el - s->last_line < s->interval) return;
    if (!s->tty && s->n_finished >= s->n_todo) return;   /* nothing left to estimate */
    s->last_draw = s->last_line = el;
    char line[512], els[32], etas[32];
    /* the estimate costs O(jobs^2) at worst: at most once a second */
    if (now - s->eta_at >= 1.0 || s->eta_at == 0) {
        s->eta_val = eta_remaining(s->est, now);
        s->eta_at = now;
        const char *lg = getenv("DETT_ETA_LOG");   /* the estimate's terms, for bench/ */
        FILE *f = lg && *lg ? fopen(lg, "a") : NULL;
        if (f) {
            eta_log(s->est, f, now - s->t0);
            fprintf(f, "  remaining %.1f s\n", s->eta_val);
            fclose(f);
        }
    }
    double rem = s->eta_val < 0 ? -1 : s->eta_val - (now - s->eta_at);
    if (s->eta_val >= 0 && rem < 0) rem = 0;
    progress_duration(el, els, sizeof els);
    progress_duration(rem, etas, sizeof etas);
    int k = snprintf(line, sizeof line, "[%d/%d] %s elapsed, eta %s", s->n_finished,
                     s->n_todo, els, etas);
    if (!s->tty && rem >= 0) {     /* a log also wants the wall-clock time */
        time_t at = time(NULL) + (time_t)(rem + 0.5);
        struct tm tmv;
        if (localtime_r(&at, &tmv))
            k += (int)strftime(line + k, sizeof line - (size_t)k, " (at %H:%M:%S)", &tmv);
    }
    k += snprintf(line + k, sizeof line - (size_t)k, " | running:");
    for (int j = 0; j < s->jobs->n && k < 400; j++)
        if (s->state[j] == JOB_RUNNING)
            k += snprintf(line + k, sizeof line - (size_t)k, " %s@%d/%d", s->jobs->jobs[j].id,
                          s->running_epoch[j], s->jobs->jobs[j].epochs);
    if (s->tty) printf("\r\033[K%s", line);
    else printf("%s\n", line);
    fflush(stdout);
}

/* one line per finished job */
static void show_event(sched *s, int j, const char *what)
{
    char d[256];
    describe(&s->jobs->jobs[j], d, sizeof d);
    if (s->tty) printf("\r\033[K");
    printf("[%3d/%3d] %s %s\n", s->n_finished, s->n_todo, d, what);
    fflush(stdout);
    show_status(s);
}

/* DETT_TEST_SCHED_TRACE=FILE: appends "start <id>" when a job is handed
 * out and "end <id>" when it ends, in the scheduler's order (the tests of
 * a chain's DAG order read it); a file that cannot be written is ignored */
static void trace(const sched *s, const char *what, int j)
{
    const char *path = getenv("DETT_TEST_SCHED_TRACE");
    FILE *f = path ? fopen(path, "a") : NULL;
    if (!f) return;
    fprintf(f, "%s %s\n", what, s->jobs->jobs[j].id);
    fclose(f);
}

/* state change of job j to status (a terminal one) after epochs_run epochs */
static void finish(sched *s, int j, int status, int epochs_run, const char *what)
{
    eta_end(s->est, j, status == JOB_DONE, epochs_run, MPI_Wtime());
    s->state[j] = status;
    s->n_finished++;
    trace(s, "end", j);
    show_event(s, j, what);
}

/* After rank 0 wrote job j's row as skipped: 1 if its results file has
 * latched a write failure (results_io_failed). The failure is kept as the
 * run's (with j's id, like a job's own, unless an earlier one is kept),
 * the job stays pending (its row was not written: a rerun skips it again)
 * and nothing more is handed out. */
static int skip_io_failed(sched *s, int j)
{
    int err = 0, kind = results_io_failed(s->res, &err);
    if (!kind) return 0;
    if (!s->io_kind) {
        s->io_kind = kind;
        s->io_errno = err;
        s->io_job = j;
    }
    s->stopping = 1;
    char what[300];
    snprintf(what, sizeof what, "I/O FAILED marking it skipped: %s (not recorded: it reruns)",
             kind == IOFAIL_REMOVED ? "the results file was removed"
                                    : strerror(err > 0 ? err : EIO));
    finish(s, j, JOB_PENDING, 0, what);
    return 1;
}

/* the pending job whose dependencies are done with the largest priority
 * (critical path; the lowest id among equals), or -1; marks jobs whose
 * dependencies failed as skipped (with the reason, in the results file).
 * A failed write of that mark stops the run (skip_io_failed): -1.
 * Longest chain first is the classic list-scheduling rule: the job that
 * others wait for (a teacher) starts at once, and long jobs go before the
 * short ones that fill the last gaps. */
static int pick(sched *s, dett_err *e)
{
    int best = -1;
    for (int j = 0; j < s->jobs->n; j++) {
        if (s->state[j] != JOB_PENDING) continue;
        const job_spec *job = &s->jobs->jobs[j];
        int deps[2] = { job->teacher, job->ident }, ready = 1, bad = -1;
        for (int k = 0; k < 2; k++) {
            if (deps[k] < 0) continue;
            int st = s->state[deps[k]];
            if (st == JOB_FAILED || st == JOB_SKIPPED) bad = deps[k];
            else if (st != JOB_DONE) ready = 0;
        }
        if (bad >= 0) {
            results_row row;
            if (results_read_row(s->res, j, &row, e)) return -2;
            row.status = JOB_SKIPPED;
            snprintf(row.error, sizeof row.error, "%s %.15s %s",
                     bad == job->teacher ? "teacher" : "identification job",
                     s->jobs->jobs[bad].id,
                     s->state[bad] == JOB_FAILED ? "failed" : "was skipped");
            if (results_write_row(s->res, j, &row, e)) return -2;
            if (skip_io_failed(s, j)) return -1;
            char what[300];
            snprintf(what, sizeof what, "SKIPPED: %s", row.error);
            finish(s, j, JOB_SKIPPED, 0, what);
            j = -1;     /* a skip may unblock nothing but may skip more: rescan */
            best = -1;
            continue;
        }
        if (ready && (best < 0 || s->prio[j] > s->prio[best])) best = j;
    }
    return best;
}

/* a job that hit an I/O failure of the results file: kept pending (not
 * recorded, so a later run redoes it) and nothing new is handed out; the
 * first failure is kept for the run's last line (cli/cmd_run.c) */
static void io_failed(sched *s, int j, const double *msg, char *what, size_t len)
{
    int err = (int)msg[4], kind = (int)msg[5];
    if (!s->io_kind) {
        s->io_kind = kind > 0 ? kind : IOFAIL_WRITE;
        s->io_errno = err;
        s->io_job = j;
    }
    s->stopping = 1;
    snprintf(what, len, "I/O FAILED: %s (not recorded: it reruns)",
             kind == IOFAIL_REMOVED ? "the results file was removed" : strerror(err > 0 ? err : EIO));
}

static int all_ended(const sched *s) { return s->stopping || s->n_finished >= s->n_todo; }

/* records a finished job reported in msg */
static void record(sched *s, const double *msg)
{
    int j = (int)msg[1];
    if (j < 0) return;
    char what[300];
    if ((int)msg[2] == SCHED_IO_FAILED) {
        io_failed(s, j, msg, what, sizeof what);
        s->busy_seconds += msg[6];
        finish(s, j, JOB_PENDING, (int)msg[3], what);
        return;
    }
    if ((int)msg[2] == JOB_DONE && s->jobs->jobs[j].kind == JOB_IDENT) {
        /* jobrun.h: worst = |E|, avg = 2 flags + |E| / n */
        const int flags = (int)(msg[5] / 2.0);
        char why[128];
        jobrun_ident_flags_text(flags, why, sizeof why);
        snprintf(what, sizeof what, "error set %.0f rows (%.1f%% of train)%s%s%s (%d epochs, "
                 "%.1fs)", msg[4], 100 * (msg[5] - 2.0 * flags), flags ? " WARNING: " : "",
                 why, flags ? "" : "", (int)msg[3], msg[6]);
    } else if ((int)msg[2] == JOB_DONE) {
        snprintf(what, sizeof what, "test worst %.1f%% avg %.1f%% (%d epochs, %.1fs)",
                 100 * msg[4], 100 * msg[5], (int)msg[3], msg[6]);
    } else if ((int)msg[2] == JOB_PENDING) {   /* stopped by a signal, checkpointed */
        snprintf(what, sizeof what, "STOPPED after %d epochs (checkpointed)", (int)msg[3]);
        s->stopping = 1;
    } else {
        snprintf(what, sizeof what, "FAILED (see the job table)");
    }
    s->busy_seconds += msg[6];
    finish(s, j, (int)msg[2], (int)msg[3], what);
}

/* hands group g (whose leader is waiting) a job or a stop, if either is due;
 * returns 1 if it answered */
static int answer(sched *s, int g, dett_err *e)
{
    int j = s->stopping ? -1 : pick(s, e);
    if (j == -2) return -1;
    if (j < 0 && !all_ended(s)) return 0;
    if (j >= 0) {
        s->state[j] = JOB_RUNNING;
        s->running_epoch[j] = 0;
        eta_start(s->est, j, g, MPI_Wtime());
        trace(s, "start", j);
    } else {
        s->stopped[g] = 1;
        s->n_stopped++;
    }
    CHECK_MPI(e, MPI_Send(&j, 1, MPI_INT, g * s->K, SCHED_TAG_JOB, MPI_COMM_WORLD));
    show_status(s);
    return 1;
fail:
    return -1;
}

/* serves one message (blocking if block), then answers waiting leaders */
static int serve(sched *s, int block, dett_err *e)
{
    int flag = 1;
    MPI_Status st;
    CHECK_MPI(e, MPI_Iprobe(MPI_ANY_SOURCE, MPI_ANY_TAG, MPI_COMM_WORLD, &flag, &st));
    /* waiting: poll, so the status keeps its interval while nothing arrives */
    while (block && !flag) {
        struct timespec nap = { 0, 2000000 };   /* 2 ms */
        nanosleep(&nap, NULL);
        show_status(s);
        CHECK_MPI(e, MPI_Iprobe(MPI_ANY_SOURCE, MPI_ANY_TAG, MPI_COMM_WORLD, &flag, &st));
    }
    while (flag) {
        double msg[SCHED_MSG];
        if (st.MPI_TAG == SCHED_TAG_PROGRESS) {
            CHECK_MPI(e, MPI_Recv(msg, 4, MPI_DOUBLE, st.MPI_SOURCE, SCHED_TAG_PROGRESS,
                                  MPI_COMM_WORLD, MPI_STATUS_IGNORE));
            int j = (int)msg[1];
            if (j >= 0 && j < s->jobs->n) {
                s->running_epoch[j] = (int)msg[2];
                eta_epoch(s->est, j, (int)msg[2], MPI_Wtime());
            }
            show_status(s);
        } else {
            CHECK_MPI(e, MPI_Recv(msg, SCHED_MSG, MPI_DOUBLE, st.MPI_SOURCE, SCHED_TAG_REQ,
                                  MPI_COMM_WORLD, MPI_STATUS_IGNORE));
            record(s, msg);
            s->waiting[(int)msg[0]] = 1;
        }
        CHECK_MPI(e, MPI_Iprobe(MPI_ANY_SOURCE, MPI_ANY_TAG, MPI_COMM_WORLD, &flag, &st));
    }
    for (int g = 1; g < s->n_groups; g++)
        if (s->waiting[g]) {
            int rc = answer(s, g, e);
            if (rc < 0) return -1;
            if (rc) s->waiting[g] = 0;
        }
    return 0;
fail:
    return -1;
}

int sched_poll(sched *s, dett_err *e)
{
    show_status(s);     /* lines mode: the interval passes during long jobs */
    return serve(s, 0, e);
}

/* the message a leader sends about the job it finished */
static void make_msg(double *msg, int group, int finished, const results_row *row,
                     double worst, double avg)
{
    msg[0] = group;
    msg[1] = finished;
    msg[2] = row ? row->status : 0;
    msg[3] = row ? row->epochs_run : 0;
    msg[4] = worst;
    msg[5] = avg;
    msg[6] = row ? row->wall_seconds : 0;
}

int sched_next_local(sched *s, int finished, const results_row *row, double worst,
                     double avg, dett_err *e)
{
    double msg[SCHED_MSG];
    make_msg(msg, 0, finished, row, worst, avg);
    record(s, msg);
    for (;;) {
        CHECK(serve(s, 0, e));
        int j = s->stopping ? -1 : pick(s, e);
        if (j == -2) return -2;
        if (j >= 0) {
            s->state[j] = JOB_RUNNING;
            s->running_epoch[j] = 0;
            eta_start(s->est, j, 0, MPI_Wtime());
            trace(s, "start", j);
            show_status(s);
            return j;
        }
        if (all_ended(s)) {
            s->stopped[0] = 1;
            s->n_stopped++;
            return -1;
        }
        CHECK(serve(s, 1, e));
    }
fail:
    return -2;
}

int sched_drain(sched *s, dett_err *e)
{
    while (s->n_stopped < s->n_groups) {
        int answered = 0;
        for (int g = 1; g < s->n_groups; g++)
            if (s->waiting[g]) {
                int rc = answer(s, g, e);
                if (rc < 0) return -1;
                if (rc) { s->waiting[g] = 0; answered = 1; }
            }
        if (!answered && s->n_stopped < s->n_groups) CHECK(serve(s, 1, e));
    }
    if (s->tty) printf("\r\033[K");
    return 0;
fail:
    return -1;
}

/* A leader's wait for rank 0's answer, polling with 1 ms naps: Open MPI's
 * blocking receive spins, which took a whole core for as long as a group
 * waited (students waiting for their teacher, the last jobs of a grid),
 * from the other groups and the machine's other work. */
static int wait_answer(int *next, dett_err *e)
{
    MPI_Request rq;
    CHECK_MPI(e, MPI_Irecv(next, 1, MPI_INT, 0, SCHED_TAG_JOB, MPI_COMM_WORLD, &rq));
    return dist_wait_napping(&rq, e);
fail:
    return -1;
}

int sched_request(int group, int finished, const results_row *row, double worst,
                  double avg, int *next, dett_err *e)
{
    double msg[SCHED_MSG];
    make_msg(msg, group, finished, row, worst, avg);
    CHECK_MPI(e, MPI_Send(msg, SCHED_MSG, MPI_DOUBLE, 0, SCHED_TAG_REQ, MPI_COMM_WORLD));
    CHECK(wait_answer(next, e));
    return 0;
fail:
    return -1;
}

void sched_progress(sched *s, int group, int job, int epoch, double val_worst)
{
    if (s) {    /* world rank 0: its own group */
        s->running_epoch[job] = epoch;
        eta_epoch(s->est, job, epoch, MPI_Wtime());
        show_status(s);
        return;
    }
    double msg[4] = { group, job, epoch, val_worst };
    MPI_Send(msg, 4, MPI_DOUBLE, 0, SCHED_TAG_PROGRESS, MPI_COMM_WORLD);
}
