/* test_eta.c - the grid ETA estimator (runtime/train/eta.h) on synthetic
 * timings: setup, per-epoch rate and tail of measured jobs, running jobs'
 * spent time, the additive estimate for a class not measured yet, the DAG's
 * critical path over several groups, failed dependencies, resumed grids,
 * the cost model for classes not measured yet (work per epoch from a job's
 * layout, runtime/train/jobwork.h), and how far the naive elapsed /
 * finished x remaining estimate is off. */
#include "check.h"
#include "eta.h"
#include "jobwork.h"
#include "method.h"
#include <math.h>
#include <string.h>

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

/* a layout: d inputs, hidden widths w[0..nw), C classes, n_train rows;
 * transplant: the teacher's feature width ft as a projector and head */
static void layout(results_jobinfo *ji, int d, const int *w, int nw, int C, int ft)
{
    memset(ji, 0, sizeof *ji);
    ji->n_train = 1000;
    ji->x_rank = 1;
    ji->x_shape[0] = d;
    ji->n_classes = C;
    int in = d;
    for (int i = 0; i < nw; i++) {
        results_layer *l = &ji->layers[ji->n_layers++];
        snprintf(l->kind, sizeof l->kind, "dense");
        l->in_dim = in, l->out_dim = w[i];
        l = &ji->layers[ji->n_layers++];
        snprintf(l->kind, sizeof l->kind, "relu");
        l->in_dim = l->out_dim = in = w[i];
    }
    if (ft > 0) {
        results_layer *l = &ji->layers[ji->n_layers++];
        snprintf(l->kind, sizeof l->kind, "dense");
        l->in_dim = in, l->out_dim = in = ft;
    }
    results_layer *h = &ji->layers[ji->n_layers++];
    snprintf(h->kind, sizeof h->kind, "dense");
    h->in_dim = in, h->out_dim = C;
}

/* the work of an epoch: multiply-adds, activations, teacher columns, rows */
static void test_jobwork(void)
{
    results_jobinfo s, t, tp;
    const int w8[] = { 8 }, w128[] = { 128 };
    layout(&s, 10, w8, 1, 2, 0);
    layout(&t, 10, w128, 1, 2, 0);
    layout(&tp, 10, w8, 1, 2, 128);
    double mac = 10 * 8 + 8 * 2, act = 10 + 8 + 8 + 2;
    double w = jobwork_epoch(&s, NULL, 0);
    EXPECT(NEAR(w, 1000 * (mac + JOBWORK_KAPPA * act + JOBWORK_LAMBDA)), "erm mlp{8}: %g", w);
    w = jobwork_epoch(&s, &t, MF_TEACHER_LOGITS);   /* kd: the teacher's 2 logits per row */
    EXPECT(NEAR(w, 1000 * (mac + JOBWORK_KAPPA * (act + 2) + JOBWORK_COLUMN + JOBWORK_LAMBDA)),
           "kd mlp{8}: %g", w);
    /* fitnet: a projector 8 -> 128 and the teacher's 128 features */
    w = jobwork_epoch(&s, &t, MF_TEACHER_FEATS | MF_PROJECTOR);
    EXPECT(NEAR(w, 1000 * (mac + 8 * 128 + JOBWORK_KAPPA * (act + 256) + JOBWORK_COLUMN +
                           JOBWORK_LAMBDA)), "fitnet mlp{8}: %g", w);
    /* a transplant's layout holds its projector and the teacher's head */
    w = jobwork_epoch(&tp, &t, MF_TEACHER_FEATS);
    EXPECT(NEAR(w, 1000 * (10 * 8 + 8 * 128 + 128 * 2 + JOBWORK_KAPPA * (10 + 16 + 128 + 2 + 128) +
                           JOBWORK_COLUMN + JOBWORK_LAMBDA)), "dett mlp{8}: %g", w);
    s.n_layers = 0;
    EXPECT(jobwork_epoch(&s, NULL, 0) == 0, "no layout: unknown");
}

/* students of a class not measured yet, costing 4 times the measured one
 * by FLOPs, wait for a teacher: the cost model predicts them within 25 %
 * (the class means alone would take them for the measured class) */
static void test_unseen_by_work(void)
{
    results_jobinfo small, big, teach;
    const int ws[] = { 256 }, wb[] = { 1024 }, wt[] = { 512, 512 };
    layout(&small, 1000, ws, 1, 2, 0);
    layout(&big, 1000, wb, 1, 2, 0);
    layout(&teach, 1000, wt, 2, 2, 0);
    const double w_small = jobwork_epoch(&small, NULL, 0), w_big = jobwork_epoch(&big, NULL, 0);
    const double w_t = jobwork_epoch(&teach, NULL, 0);
    EXPECT(w_big > 3.5 * w_small, "4x the multiply-adds: %g x the work", w_big / w_small);
    for (int with_work = 1; with_work >= 0; with_work--) {
        /* 2 groups: j0 the teacher; j1-j2 measured students (no teacher);
         * j3-j6 the big class, students of the teacher */
        eta *t = eta_new(7, 2);
        eta_set_job(t, 0, 20, -1, -1, "d|T", "mlp512x2", "groupdro", 0);
        for (int j = 1; j <= 2; j++) eta_set_job(t, j, 10, -1, -1, "d|S", "mlp256", "erm", 0);
        for (int j = 3; j <= 6; j++) eta_set_job(t, j, 10, 0, -1, "d|S", "mlp1024", "simkd", 0);
        if (with_work) {
            eta_set_work(t, 0, w_t);
            for (int j = 1; j <= 2; j++) eta_set_work(t, j, w_small);
            for (int j = 3; j <= 6; j++) eta_set_work(t, j, w_big);
        }
        const double r_small = 0.1, r_t = 0.4, r_big = 4 * r_small;   /* the truth */
        eta_start(t, 0, 0, 0);
        double at = run_job(t, 1, 1, 0, 0, r_small, 10, 0);
        at = run_job(t, 2, 1, at, 0, r_small, 10, 0);
        for (int k = 1; k <= 6; k++) eta_epoch(t, 0, k, k * r_t);
        /* at 2.4 s: the teacher 14 epochs from its end, then the four big
         * students over two groups */
        double r = eta_remaining(t, 2.4), truth = 14 * r_t + 2 * 10 * r_big;
        if (with_work)
            EXPECT(fabs(r - truth) / truth < 0.25, "the unseen class by its work: %g s for %g s",
                   r, truth);
        else
            EXPECT(fabs(r - truth) / truth > 0.25, "without the work the estimate is off: %g s "
                   "for %g s (the cost model is what helps)", r, truth);
        eta_free(t);
    }
}

/* a DFR job's refit runs after its last epoch: the ETA plans its training
 * epochs only (jobwork_epochs) and counts the refit in the measured tail,
 * so once every epoch has run only the tail is left */
static void test_dfr_epochs(void)
{
    const unsigned dfr = MF_LOGIT_LOSS | MF_DFR_REFIT;
    EXPECT(jobwork_epochs(10, dfr) == 10, "a dfr job of 10 epochs plans 10, got %d",
           jobwork_epochs(10, dfr));
    eta *t = eta_new(2, 1);
    for (int j = 0; j < 2; j++)
        eta_set_job(t, j, jobwork_epochs(4, dfr), -1, -1, "d|S", "mlp8", "dfr", 0);
    double end = run_job(t, 0, 0, 0, 0, 1, 4, 0.5);   /* 4 epochs of 1 s, refit 0.5 s */
    eta_start(t, 1, 0, end);
    for (int k = 1; k <= 4; k++) eta_epoch(t, 1, k, end + k);
    double r = eta_remaining(t, end + 4);
    EXPECT(NEAR(r, 0.5), "every epoch ran, the refit (tail) is left: 0.5 s, got %g", r);
    eta_free(t);
}

int main(void)
{
    test_dfr_epochs();
    test_jobwork();
    test_unseen_by_work();
    test_parts();
    test_additive();
    test_dag();
    test_chain();
    test_failed_dependency();
    test_resumed();
    test_against_naive();
    return TEST_END();
}
