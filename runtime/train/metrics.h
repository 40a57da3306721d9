/* metrics.h - per-group accuracy and model selection. */
#ifndef DETT_METRICS_H
#define DETT_METRICS_H
#include <stdint.h>

/* acc[g] = correct[g] / total[g]; returns via out params
 *   worst: min_g acc[g]
 *   avg:   sum_g p_g acc[g], p_g the training group proportions (as
 *          group_DRO reports average accuracy)
 *   mean:  unweighted mean of acc[g] */
void metrics_groups(double *acc, double *worst, double *avg, double *mean,
                    const int64_t *correct, const int64_t *total,
                    const int64_t *train_count, int G);

/* the worst per-class accuracy from per-group accuracies acc[G] and row
 * counts count[G], group g = y * A + a: min over classes y with rows of
 * (sum_a correct) / (sum_a count), correct = round(acc * count) (exact for
 * acc = correct / count); 0 when no class has rows */
double metrics_worst_class(const double *acc, const int64_t *count, int C, int A);

/* index of the largest v[0..n) (the earliest on ties) */
int metrics_argmax(const double *v, int n);

#endif
