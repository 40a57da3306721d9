/* test_select.c - the epoch selection rules on hand-made curves
 * (train_select, metrics_worst_class): val-worst and val-worst-class pick
 * different epochs when the worst group's accuracy and the worst class's
 * (attributes pooled, weighted by val rows) disagree; earlier epochs win
 * ties; a class without val rows is ignored. */
#include "check.h"
#include "metrics.h"
#include "train.h"
#include <math.h>
#include <string.h>

enum { C = 2, A = 2, G = C * A, E = 4 };

int main(void)
{
    /* val rows per group g = y * A + a: two small minority groups */
    const int64_t count[G] = { 90, 10, 10, 90 };
    /* val accuracy per epoch and group; test mirrors val */
    const double val[E][G] = {
        { 1.0, 0.5, 0.5, 1.0 },   /* worst group 0.50, worst class 0.95 */
        { 0.6, 0.6, 0.6, 0.6 },   /* worst group 0.60, worst class 0.60 */
        { 0.9, 0.4, 0.4, 0.9 },   /* worst group 0.40, worst class 0.85 */
        { 1.0, 0.5, 0.5, 1.0 },   /* ties epoch 0 */
    };
    double acc[E * N_SPLITS * G], worst[E * N_SPLITS], avg[E * N_SPLITS], mean[E * N_SPLITS];
    memset(acc, 0, sizeof acc);
    memset(worst, 0, sizeof worst);
    memset(avg, 0, sizeof avg);
    train_result r;
    memset(&r, 0, sizeof r);
    r.epochs = E;
    r.G = G;
    r.acc = acc;
    r.worst = worst;
    r.avg = avg;
    r.mean = mean;
    for (int ep = 0; ep < E; ep++) {
        for (int sp = SPLIT_VAL; sp <= SPLIT_TEST; sp++) {
            size_t k = (size_t)ep * N_SPLITS + sp;
            double w = 1.0, a = 0.0;
            for (int g = 0; g < G; g++) {
                acc[k * G + g] = val[ep][g];
                w = fmin(w, val[ep][g]);
                a += val[ep][g] * (double)count[g] / 200.0;
            }
            worst[k] = w;
            avg[k] = a;
        }
        train_select(&r, ep, count, C, A);
    }
    EXPECT(fabs(metrics_worst_class(acc + SPLIT_VAL * G, count, C, A) - 0.95) < 1e-12, "worst class of epoch 0");
    EXPECT(r.selected[SELECT_VAL_WORST] == 1, "val-worst picks epoch 1, got %d",
           r.selected[SELECT_VAL_WORST]);
    EXPECT(r.selected[SELECT_ORACLE] == 1, "oracle picks epoch 1, got %d",
           r.selected[SELECT_ORACLE]);
    EXPECT(r.selected[SELECT_VAL_AVG] == 0, "val-avg picks epoch 0 (earliest tie), got %d",
           r.selected[SELECT_VAL_AVG]);
    EXPECT(r.selected[SELECT_VAL_WORST_CLASS] == 0,
           "val-worst-class picks epoch 0 (earliest of the ties with epoch 3), got %d",
           r.selected[SELECT_VAL_WORST_CLASS]);

    /* a class without val rows does not count; none at all gives 0 */
    const int64_t half[G] = { 10, 10, 0, 0 };
    const double a2[G] = { 0.5, 1.0, 0.0, 0.0 };
    EXPECT(fabs(metrics_worst_class(a2, half, C, A) - 0.75) < 1e-12, "empty class ignored");
    const int64_t none[G] = { 0, 0, 0, 0 };
    EXPECT(metrics_worst_class(a2, none, C, A) == 0.0, "no rows");
    EXPECT(!strcmp(select_names[SELECT_VAL_WORST_CLASS], "val-worst-class") &&
               select_find("val-worst-class") == SELECT_VAL_WORST_CLASS,
           "the DSL/CLI name");
    return TEST_END();
}
