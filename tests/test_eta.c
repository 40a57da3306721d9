/* test_eta.c - the grid ETA estimator (runtime/train/eta.h) on synthetic
 * timings: measured rates per class, running jobs' spent time, the DAG's
 * critical path over several groups, failed dependencies, and how far the
 * naive elapsed / finished x remaining estimate is from it. */
#include "check.h"
#include "eta.h"
#include <math.h>

#define NEAR(a, b) (fabs((a) - (b)) < 1e-9)

static const char *teacher_keys[ETA_LEVELS] = { "d|mlp128|groupdro|T", "d|mlp128|T", "d|T", "T" };
static const char *small_keys[ETA_LEVELS] = { "d|mlp8|dett|S", "d|mlp8|S", "d|S", "S" };
static const char *big_keys[ETA_LEVELS] = { "d|mlp64|dett|S", "d|mlp64|S", "d|S", "S" };

/* one group, independent jobs of one class: exact */
static void test_one_group(void)
{
    eta *t = eta_new(4, 1);
    for (int j = 0; j < 4; j++) eta_set_job(t, j, 10, -1, -1, small_keys, 0);
    EXPECT(eta_remaining(t, 0) == -1, "nothing measured: unknown");
    eta_start(t, 0, 0, 0);
    EXPECT(eta_remaining(t, 0.5) == -1, "no epoch finished yet: unknown");
    eta_epoch(t, 0, 1, 1.0);                 /* 1 s per epoch */
    double r = eta_remaining(t, 1.0);
    EXPECT(NEAR(r, 9 + 30), "after 1 epoch: 39 s, got %g", r);
    r = eta_remaining(t, 1.5);               /* half way through epoch 2 */
    EXPECT(NEAR(r, 38.5), "time in the current epoch counts: 38.5, got %g", r);
    eta_end(t, 0, 1, 10, 10.0);
    eta_start(t, 1, 0, 10.0);
    eta_epoch(t, 1, 5, 12.5);                /* 0.5 s per epoch now */
    /* class rate = (10 + 2.5) / (10 + 5) s per epoch */
    double rate = 12.5 / 15;
    r = eta_remaining(t, 13.0);
    EXPECT(NEAR(r, rate * 5 - 0.5 + rate * 20), "mixed rate: %g vs %g", r, rate * 5 - 0.5 + rate * 20);
    eta_end(t, 1, 1, 10, 15.0);
    eta_end(t, 2, 0, 0, 15.0);               /* failed: takes no time */
    eta_start(t, 3, 0, 15.0);
    eta_end(t, 3, 1, 10, 20.0);
    EXPECT(eta_remaining(t, 20.0) == 0, "all ended: 0");
    eta_free(t);
}

/* a teacher, then 8 students of two sizes on 2 groups: the students wait for
 * the teacher; unmeasured classes fall back to the closest measured level */
static void test_dag(void)
{
    eta *t = eta_new(9, 2);
    eta_set_job(t, 0, 20, -1, -1, teacher_keys, 0);
    for (int j = 1; j <= 8; j++) eta_set_job(t, j, 10, 0, -1, j <= 4 ? small_keys : big_keys, 0);
    eta_start(t, 0, 0, 0);
    eta_epoch(t, 0, 10, 20.0);               /* teacher: 2 s per epoch */
    /* group 1 idles until the teacher ends (t = 40); every student at the
     * overall rate of 2 s/epoch (20 s), 8 of them on 2 groups: 80 s */
    double r = eta_remaining(t, 20.0);
    EXPECT(NEAR(r, 20 + 80), "teacher then students: 100 s, got %g", r);
    eta_end(t, 0, 1, 20, 40.0);
    eta_start(t, 1, 0, 40.0);
    eta_start(t, 2, 1, 40.0);
    eta_epoch(t, 1, 2, 41.0);                /* small students: 0.5 s per epoch */
    eta_epoch(t, 2, 2, 41.0);
    /* small: 5 s each; big (unmeasured at levels 0, 1): level 2 "d|S" = the
     * small students' 0.5 s/epoch. Remaining: two running (4 s each), then
     * 2 small + 4 big = 6 x 5 s over 2 groups = 15 s: 19 s */
    r = eta_remaining(t, 41.0);
    EXPECT(NEAR(r, 4 + 15), "students at their class rate: 19 s, got %g", r);
    eta_free(t);
}

/* a chain on 2 groups: the second group cannot help (critical path) */
static void test_chain(void)
{
    eta *t = eta_new(3, 2);
    eta_set_job(t, 0, 10, -1, -1, small_keys, 0);
    eta_set_job(t, 1, 10, 0, -1, small_keys, 0);
    eta_set_job(t, 2, 10, 1, -1, small_keys, 0);
    eta_start(t, 0, 0, 0);
    eta_epoch(t, 0, 1, 1.0);
    double r = eta_remaining(t, 1.0);
    EXPECT(NEAR(r, 9 + 10 + 10), "chain of 3 x 10 epochs at 1 s: 29 s, got %g", r);
    eta_free(t);
}

/* a failed teacher: its students will be skipped and take no time */
static void test_failed_dependency(void)
{
    eta *t = eta_new(4, 1);
    eta_set_job(t, 0, 5, -1, -1, teacher_keys, 0);
    eta_set_job(t, 1, 5, -1, -1, teacher_keys, 0);
    eta_set_job(t, 2, 5, 1, -1, small_keys, 0);
    eta_set_job(t, 3, 5, 1, -1, small_keys, 0);
    eta_start(t, 0, 0, 0);
    eta_end(t, 0, 1, 5, 5.0);                /* 1 s per epoch */
    eta_start(t, 1, 0, 5.0);
    eta_end(t, 1, 0, 0, 6.0);                /* failed */
    EXPECT(eta_remaining(t, 6.0) == 0, "students of a failed teacher take no time, got %g",
           eta_remaining(t, 6.0));
    eta_free(t);
}

/* jobs done before this run take no time and are not measured */
static void test_resumed(void)
{
    eta *t = eta_new(3, 1);
    eta_set_job(t, 0, 50, -1, -1, teacher_keys, 1);
    eta_set_job(t, 1, 10, 0, -1, small_keys, 0);
    eta_set_job(t, 2, 10, 0, -1, small_keys, 0);
    eta_start(t, 1, 0, 100.0);
    EXPECT(eta_remaining(t, 100.0) == -1, "a resumed grid starts unmeasured");
    eta_epoch(t, 1, 1, 101.0);
    double r = eta_remaining(t, 101.0);
    EXPECT(NEAR(r, 9 + 10), "resumed: 19 s, got %g", r);
    eta_free(t);
}

/* the naive estimate (elapsed / finished x remaining jobs) against this one
 * on a grid whose first job is long: 1 teacher of 100 s, 10 students of 5 s
 * on one group. When the teacher ends (t = 100), the truth is 50 s. */
static void test_against_naive(void)
{
    eta *t = eta_new(11, 1);
    eta_set_job(t, 0, 10, -1, -1, teacher_keys, 0);
    for (int j = 1; j <= 10; j++) eta_set_job(t, j, 10, 0, -1, small_keys, 0);
    eta_start(t, 0, 0, 0);
    eta_end(t, 0, 1, 10, 100.0);
    eta_start(t, 1, 0, 100.0);
    eta_epoch(t, 1, 1, 100.5);               /* students: 0.5 s per epoch */
    double r = eta_remaining(t, 100.5), truth = 49.5;
    double naive = 100.5 / 1 * 10;
    EXPECT(fabs(r - truth) < 1e-9, "eta %g vs truth %g", r, truth);
    EXPECT(fabs(naive - truth) / truth > 10, "the naive estimate is far off (%g)", naive);
    eta_free(t);
}

int main(void)
{
    test_one_group();
    test_dag();
    test_chain();
    test_failed_dependency();
    test_resumed();
    test_against_naive();
    return TEST_END();
}
