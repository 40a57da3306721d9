/* scheduler.h - the job scheduler of `dett run`.
 *
 * The world is split into job groups of K consecutive ranks; each group's
 * rank 0 is its leader. World rank 0 (the leader of group 0) also
 * coordinates: it keeps every job's state and hands a ready job (all its
 * dependencies done) to a leader that asks for one, dynamically, so uneven
 * jobs keep every group busy. Leaders ask with a message that also reports
 * the job they just finished; world rank 0 serves these messages between
 * the training steps of its own jobs (sched_poll) and while it waits.
 * A job whose dependency failed or was skipped is marked skipped, with the
 * reason, and never runs.
 *
 * Messages (MPI_COMM_WORLD, tags SCHED_TAG_*): a leader sends
 * double[SCHED_MSG] = { group, finished job or -1, status, epochs run,
 * test worst, test avg, seconds } and receives int job (-1: stop); status
 * SCHED_IO_FAILED reports an I/O failure instead (below).
 * Progress: leaders send double[4] = { group, job, epoch, val worst } after
 * each epoch; rank 0 feeds the start, epoch and end times of every job to
 * the ETA estimator (eta.h) and shows the status: redrawn in place on a
 * terminal, or as a plain line every `interval` seconds (progress.h).
 */
#ifndef DETT_SCHEDULER_H
#define DETT_SCHEDULER_H
#include "jobspec.h"
#include "results.h"
#include <mpi.h>

#define SCHED_MSG 7
/* status of a leader's report whose job hit an I/O failure of the results
 * file (results_io_failed): msg[4] = errno, msg[5] = IOFAIL_* kind; the job
 * is not recorded as done (it reruns next time) and no new job is handed
 * out (sched.io_*) */
#define SCHED_IO_FAILED 100

typedef struct {
    const job_list *jobs;
    results *res;
    int n_groups;
    int *state;           /* [n] JOB_PENDING .. JOB_SKIPPED */
    double *prio;         /* [n] the job's critical path: its own work plus the
                             longest chain of work that waits for it
                             (sched_set_work; epochs until then); pick()
                             hands out the ready job with the largest */
    double *cost;         /* [n] a job's own work: epochs, or jobwork's work
                             per epoch times its epochs (sched_set_work) */
    int *running_epoch;   /* [n] last reported epoch of a running job */
    int *stopped;         /* [n_groups] 1 once told to stop */
    int n_stopped;
    int n_finished, n_todo;   /* jobs that ended this run / that had to run */
    double t0, busy_seconds;
    int tty;              /* redraw a status line in place (progress.h: bar) */
    double last_draw;     /* when it was last drawn (s since t0) */
    double interval;      /* lines mode: seconds between ETA lines */
    double last_line;     /* when the last ETA line was printed (s since t0) */
    struct eta *est;      /* remaining time from measured epochs (eta.h) */
    double eta_val, eta_at;   /* its last value (-1 unknown) and when (MPI_Wtime) */
    int K;                /* ranks per group: leader of group g is world rank g K */
    int *waiting;         /* [n_groups] 1 while that leader waits for an answer */
    int stopping;         /* 1: a signal came (or a group reported a stopped
                             job): no new job is handed out, every group is
                             told to stop at its next request */
    int io_kind, io_errno, io_job;   /* the first SCHED_IO_FAILED report: its
                                        IOFAIL_* kind (0: none), errno, job */
} sched;

/* world rank 0 only: state from the results file (done jobs stay done,
 * everything else becomes pending). Progress: bar if stdout is a terminal
 * (progress_stdout_is_terminal), else lines every PROGRESS_INTERVAL s; the
 * caller may set tty and interval afterwards. */
int sched_init(sched *s, const job_list *jobs, results *res, int n_groups, int K,
               dett_err *e);
/* world rank 0, after sched_init: every job's work per epoch from its
 * layout (jobwork.h), so the ETA predicts classes not measured yet from
 * their size, and the jobs' priorities (critical paths) in that work;
 * info NULL or never called: class means only, priorities in epochs */
void sched_set_work(sched *s, const results_jobinfo *info);
void sched_free(sched *s);
/* world rank 0: serve pending messages without blocking */
int sched_poll(sched *s, dett_err *e);
/* world rank 0: report group 0's finished job (or -1) and get its next job,
 * serving others while none is ready; -1 when everything has ended */
int sched_next_local(sched *s, int finished, const results_row *row, double worst,
                     double avg, dett_err *e);
/* world rank 0, after its group stopped: serve until every group stopped */
int sched_drain(sched *s, dett_err *e);
/* other leaders: report (finished may be -1) and receive the next job */
int sched_request(int group, int finished, const results_row *row, double worst,
                  double avg, int *next, dett_err *e);
/* leaders: after each epoch (world rank 0 just records it) */
void sched_progress(sched *s_or_null, int group, int job, int epoch, double val_worst);

#endif
