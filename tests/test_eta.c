/* test_eta.c - the grid ETA estimator (runtime/train/eta.h) on synthetic
 * timings: setup, per-epoch rate and tail of measured jobs, running jobs'
 * spent time, the additive estimate for a class not measured yet, the DAG's
 * critical path over several groups, failed dependencies, resumed grids,
 * and how far the naive elapsed / finished x remaining estimate is off. */
#include "check.h"
#include "eta.h"
#include <math.h>

#define NEAR(a, b) (fabs((a) - (b)) < 1e-9)

/* feeds job j on group g from t0: setup, then `epochs` epochs of `rate`
 * seconds, then tail; returns the end time */
static double run_job(eta *t, int j, int g, double t0, double setup, double rate, int epochs,
                      double tail)
{
    eta_start(t, j, g, t0);
    for (int k = 1; k <= epochs; k++) eta_epoch(t, j, k, t0 + setup + k * rate);
    double end = t0 + setup + epochs * rate + tail;
    eta_end(t, j, 1, epochs, end);
    return end;
}

/* one group, one class: setup, rate and tail are learnt apart */
static void test_parts(void)
{
    eta *t = eta_new(4, 1);
    for (int j = 0; j < 4; j++) eta_set_job(t, j, 10, -1, -1, "d|S", "mlp8", "erm", 0);
    EXPECT(eta_remaining(t, 0) == -1, "nothing measured: unknown");
    eta_start(t, 0, 0, 0);
    EXPECT(eta_remaining(t, 1) == -1, "no epoch finished yet: unknown");
    eta_epoch(t, 0, 1, 3.0);      /* setup 2 + rate 1: not apart yet */
    double r = eta_remaining(t, 3.0);
    EXPECT(NEAR(r, 9 * 3 + 3 * 30), "after 1 epoch, 3 s per epoch: %g", r);
    eta_epoch(t, 0, 2, 4.0);      /* now rate 1, setup 2 */
    r = eta_remaining(t, 4.5);
    EXPECT(NEAR(r, 8 * 1 - 0.5 + 3 * (2 + 10)), "rate 1, setup 2: 43.5, got %g", r);
    for (int k = 3; k <= 10; k++) eta_epoch(t, 0, k, 2.0 + k);
    eta_end(t, 0, 1, 10, 12.5);   /* tail 0.5 */
    r = eta_remaining(t, 12.5);
    EXPECT(NEAR(r, 3 * 12.5), "3 jobs of 2 + 10 + 0.5 s: 37.5, got %g", r);
    eta_end(t, 1, 0, 0, 12.5);    /* failed at once: takes no time */
    run_job(t, 2, 0, 12.5, 2, 1, 10, 0.5);
    eta_start(t, 3, 0, 25.0);
    r = eta_remaining(t, 26.0);   /* 1 s into its setup */
    EXPECT(NEAR(r, 11.5), "a started job before its first epoch: 11.5, got %g", r);
    eta_epoch(t, 3, 10, 36.0);
    eta_end(t, 3, 1, 10, 37.0);
    EXPECT(eta_remaining(t, 37.0) == 0, "all ended: 0");
    eta_free(t);
}

/* a class not measured yet: (a64, dett) = (a64, erm) + (a8, dett) - (a8, erm) */
static void test_additive(void)
{
    eta *t = eta_new(4, 1);
    eta_set_job(t, 0, 10, -1, -1, "d|S", "mlp8", "erm", 0);
    eta_set_job(t, 1, 10, -1, -1, "d|S", "mlp8", "dett", 0);
    eta_set_job(t, 2, 10, -1, -1, "d|S", "mlp64", "erm", 0);
    eta_set_job(t, 3, 10, -1, -1, "d|S", "mlp64", "dett", 0);
    double at = run_job(t, 0, 0, 0, 0, 0.1, 10, 0);
    at = run_job(t, 1, 0, at, 0, 0.5, 10, 0);
    double r = eta_remaining(t, at);   /* mlp64 unmeasured: each method's own rate */
    EXPECT(NEAR(r, 10 * 0.1 + 10 * 0.5), "the methods' means: 6 s, got %g", r);
    at = run_job(t, 2, 0, at, 0, 0.4, 10, 0);
    r = eta_remaining(t, at);
    EXPECT(NEAR(r, 10 * (0.4 + 0.5 - 0.1)), "additive: 8 s, got %g", r);
    eta_free(t);
}

/* a teacher, then students on 2 groups; the students wait for the teacher,
 * and an unmeasured family falls back to every measured job's mean */
static void test_dag(void)
{
    eta *t = eta_new(9, 2);
    eta_set_job(t, 0, 20, -1, -1, "d|T", "mlp128", "groupdro", 0);
    for (int j = 1; j <= 8; j++) eta_set_job(t, j, 10, 0, -1, "d|S", "mlp8", "kd", 0);
    eta_start(t, 0, 0, 0);
    for (int k = 1; k <= 10; k++) eta_epoch(t, 0, k, 2.0 * k);   /* 2 s per epoch */
    /* group 1 idles until the teacher ends (t = 40); the students at the
     * teacher's 2 s per epoch (20 s), 8 of them on 2 groups: 80 s */
    double r = eta_remaining(t, 20.0);
    EXPECT(NEAR(r, 20 + 80), "teacher then students: 100 s, got %g", r);
    for (int k = 11; k <= 20; k++) eta_epoch(t, 0, k, 2.0 * k);
    eta_end(t, 0, 1, 20, 40.0);
    eta_start(t, 1, 0, 40.0);
    eta_start(t, 2, 1, 40.0);
    for (int k = 1; k <= 4; k++) {
        eta_epoch(t, 1, k, 40.0 + 0.5 * k);
        eta_epoch(t, 2, k, 40.0 + 0.5 * k);
    }
    /* students: 0.5 s per epoch, 5 s each; two running (3 s left each), then
     * 6 more over 2 groups: 15 s */
    r = eta_remaining(t, 42.0);
    EXPECT(NEAR(r, 3 + 15), "students at their own rate: 18 s, got %g", r);
    eta_free(t);
}

/* a chain on 2 groups: the second group cannot help (critical path) */
static void test_chain(void)
{
    eta *t = eta_new(3, 2);
    for (int j = 0; j < 3; j++) eta_set_job(t, j, 10, j - 1, -1, "d|S", "mlp8", "erm", 0);
    eta_start(t, 0, 0, 0);
    eta_epoch(t, 0, 1, 1.0);
    eta_epoch(t, 0, 2, 2.0);
    double r = eta_remaining(t, 2.0);
    EXPECT(NEAR(r, 8 + 10 + 10), "chain of 3 x 10 epochs at 1 s: 28 s, got %g", r);
    eta_free(t);
}

/* a failed teacher: its students will be skipped and take no time */
static void test_failed_dependency(void)
{
    eta *t = eta_new(4, 1);
    eta_set_job(t, 0, 5, -1, -1, "d|T", "mlp128", "erm", 0);
    eta_set_job(t, 1, 5, -1, -1, "d|T", "mlp128", "erm", 0);
    eta_set_job(t, 2, 5, 1, -1, "d|S", "mlp8", "kd", 0);
    eta_set_job(t, 3, 5, 1, -1, "d|S", "mlp8", "kd", 0);
    double at = run_job(t, 0, 0, 0, 0, 1, 5, 0);
    eta_start(t, 1, 0, at);
    eta_end(t, 1, 0, 0, at + 1);   /* failed */
    EXPECT(eta_remaining(t, at + 1) == 0, "students of a failed teacher take no time, got %g",
           eta_remaining(t, at + 1));
    eta_free(t);
}

/* jobs done before this run take no time and are not measured */
static void test_resumed(void)
{
    eta *t = eta_new(3, 1);
    eta_set_job(t, 0, 50, -1, -1, "d|T", "mlp128", "erm", 1);
    eta_set_job(t, 1, 10, 0, -1, "d|S", "mlp8", "kd", 0);
    eta_set_job(t, 2, 10, 0, -1, "d|S", "mlp8", "kd", 0);
    eta_start(t, 1, 0, 100.0);
    EXPECT(eta_remaining(t, 100.0) == -1, "a resumed grid starts unmeasured");
    eta_epoch(t, 1, 1, 101.0);
    double r = eta_remaining(t, 101.0);
    EXPECT(NEAR(r, 9 + 10), "resumed: 19 s, got %g", r);
    eta_free(t);
}

/* the naive estimate (elapsed / finished x jobs left) against this one on a
 * grid whose first job is long: 1 teacher of 100 s, 10 students of 5 s on
 * one group. Just after the first student's first epoch, 49.5 s are left. */
static void test_against_naive(void)
{
    eta *t = eta_new(11, 1);
    eta_set_job(t, 0, 10, -1, -1, "d|T", "mlp128", "groupdro", 0);
    for (int j = 1; j <= 10; j++) eta_set_job(t, j, 10, 0, -1, "d|S", "mlp8", "kd", 0);
    double at = run_job(t, 0, 0, 0, 0, 10, 10, 0);
    eta_start(t, 1, 0, at);
    eta_epoch(t, 1, 1, at + 0.5);
    double r = eta_remaining(t, at + 0.5), truth = 49.5, naive = (at + 0.5) / 1 * 10;
    EXPECT(NEAR(r, truth), "eta %g vs truth %g", r, truth);
    EXPECT(fabs(naive - truth) / truth > 10, "the naive estimate is far off (%g)", naive);
    eta_free(t);
}

int main(void)
{
    test_parts();
    test_additive();
    test_dag();
    test_chain();
    test_failed_dependency();
    test_resumed();
    test_against_naive();
    return TEST_END();
}
