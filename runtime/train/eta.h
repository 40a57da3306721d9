/* eta.h - the remaining time of a grid, from measured epoch times.
 *
 * The estimator knows every job's planned epochs, its dependencies (the DAG:
 * a teacher and an identification job at most) and up to ETA_LEVELS cost-class
 * keys, most specific first (the scheduler uses data+arch+method+teacher,
 * data+arch+kind, data+kind, kind). It is told when a job starts, finishes
 * an epoch and ends, with times on one clock (seconds). No MPI, no I/O: the
 * unit test feeds it synthetic timings.
 *
 * The estimate: a job's time per epoch is the measured mean (time / epochs,
 * over finished jobs and the finished epochs of running ones) of its most
 * specific class that has a measurement, else the mean of every measured
 * epoch. A running job needs its remaining epochs at that rate, less the time
 * already spent in the current epoch; a pending one all its epochs. The
 * remaining jobs are then list-scheduled over the groups the way the
 * scheduler hands them out (lowest-index ready job to the first free group,
 * a job ready once its dependencies are done), and the ETA is when the last
 * group finishes. Jobs that end failed or skipped take no time; a job whose
 * dependency failed is skipped.
 */
#ifndef DETT_ETA_H
#define DETT_ETA_H

#define ETA_LEVELS 4

typedef struct eta eta;

/* n jobs over n_groups job groups; NULL when out of memory. Every job
 * starts pending with 1 epoch and no dependencies. */
eta *eta_new(int n, int n_groups);
void eta_free(eta *t);
/* job j's plan: epochs (>= 1), dependencies (-1: none), class keys (the
 * first ETA_LEVELS, most specific first; NULL or "" for fewer); keys are
 * copied. done: finished before this run (takes no time, not measured). */
int eta_set_job(eta *t, int j, int epochs, int dep0, int dep1, const char *const *keys,
                int done);
/* job j started on group g at time now */
void eta_start(eta *t, int j, int g, double now);
/* job j reported `epochs` finished epochs at time now */
void eta_epoch(eta *t, int j, int epochs, double now);
/* job j ended at time now: ok 1 (done; its time and epochs_run are measured),
 * 0 (failed or skipped: nothing measured, dependents will be skipped) */
void eta_end(eta *t, int j, int ok, int epochs_run, double now);

/* seconds until every job has ended, from time now; -1 when no epoch has
 * been measured yet; 0 when nothing is left. */
double eta_remaining(eta *t, double now);

#endif
