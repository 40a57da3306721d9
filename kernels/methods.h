/* methods.h - the per-step math of the training methods that is not a plain
 * loss (losses are in loss.h).
 */
#ifndef DETT_METHODS_H
#define DETT_METHODS_H
#include <stdint.h>

/* Online group DRO (Sagawa et al. 2020, Algorithm 1, as group_DRO's loss.py):
 * loss_g = gloss_sum[g] / max(gcount[g], 1) is group g's mean loss in the
 * batch; q_g <- q_g exp(eta (loss_g + adj / sqrt(n_train[g]))), then q is
 * renormalised to sum 1. The robust loss is sum_g q_g loss_g, so each sample
 * of group g gets the loss weight wg[g] = q_g / max(gcount[g], 1).
 * q[G] is updated in place (start it uniform); returns the robust loss. */
double groupdro_step(float *q, float *wg, const double *gloss_sum,
                     const double *gcount, const int64_t *n_train, int G,
                     float eta, float adj);

#endif
