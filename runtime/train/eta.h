/* eta.h - the remaining time of a grid, from measured job and epoch times.
 *
 * The estimator knows every job's planned epochs, its dependencies (the DAG:
 * a teacher and an identification job at most) and its cost class: a family
 * (the scheduler uses data file + job kind), an architecture and a method
 * key (method, teacher, batch). It is told when a job starts, finishes an
 * epoch and ends, with times on one clock (seconds). No MPI, no I/O (but eta_log): the
 * unit test feeds it synthetic timings.
 *
 * A job's time is setup + epochs x rate + tail: setup until its first epoch
 * beyond one epoch's time (data, teacher caches), rate per epoch (from the
 * second epoch on), tail after the last epoch (diagnostics, writing). Each
 * is the mean over the measured jobs of the job's class (finished jobs, and
 * the finished epochs of running ones). For a class not measured yet the
 * rate is its work (eta_set_work) times the seconds per unit of work
 * measured on the classes that ran; without work, and for setup and tail,
 * the estimate is additive: another method of the same architecture plus how
 * much this method costs more than that one on an architecture where both
 * ran (q(a,m') + q(a',m) - q(a',m')); else the architecture's or the method's
 * mean in the family; else the family's; else every measured job's. A
 * running job needs its remaining epochs less the time already spent in the
 * current one. The jobs left are then list-scheduled over the groups the way
 * the scheduler hands them out (lowest-index ready job to the first free
 * group; ready once its dependencies are done), and the ETA is when the last
 * group finishes. Failed and skipped jobs take no time; a job whose
 * dependency failed will be skipped.
 */
#ifndef DETT_ETA_H
#define DETT_ETA_H
#include <stdio.h>

typedef struct eta eta;

/* n jobs over n_groups job groups; NULL when out of memory. Every job
 * starts pending with 1 epoch, no dependencies and class ("", "", ""). */
eta *eta_new(int n, int n_groups);
void eta_free(eta *t);
/* job j's plan: epochs (>= 1), dependencies (-1: none), class (family,
 * architecture, method; copied, NULL means ""). done: finished before this
 * run (takes no time, is not measured). Returns 0, -1 out of memory. */
int eta_set_job(eta *t, int j, int epochs, int dep0, int dep1, const char *family,
                const char *arch, const char *method, int done);
/* job j's work per epoch (> 0, any unit: jobwork.h gives multiply-add
 * equivalents), shared by its class; unknown (0) until set. The rate of a
 * class not measured yet is then its work times the seconds per unit
 * measured on the classes that ran (their geometric mean), instead of the
 * additive estimate. */
void eta_set_work(eta *t, int j, double work);
/* job j started on group g at time now */
void eta_start(eta *t, int j, int g, double now);
/* job j reported `epochs` finished epochs at time now */
void eta_epoch(eta *t, int j, int epochs, double now);
/* job j ended at time now: ok 1 (done after epochs_run epochs: measured),
 * 0 (failed or skipped: not measured; its dependents will be skipped) */
void eta_end(eta *t, int j, int ok, int epochs_run, double now);

/* seconds until every job has ended, from time now; -1 when no epoch has
 * been measured yet; 0 when nothing is left. */
double eta_remaining(eta *t, double now);

/* the terms of the last eta_remaining, one line per class, into f (a
 * debugging aid: DETT_ETA_LOG in scheduler.c) */
void eta_log(const eta *t, FILE *f, double now);

#endif
