/* methods.c - per-step method math (see methods.h). */
#include "methods.h"
#include <math.h>

double groupdro_step(float *q, float *wg, const double *gloss_sum,
                     const double *gcount, const int64_t *n_train, int G,
                     float eta, float adj)
{
    double loss[G > 0 ? G : 1], z = 0.0, robust = 0.0;
    for (int g = 0; g < G; g++) {
        loss[g] = gloss_sum[g] / (gcount[g] > 0 ? gcount[g] : 1.0);
        double a = n_train[g] > 0 ? adj / sqrt((double)n_train[g]) : 0.0;
        q[g] = (float)(q[g] * exp(eta * (loss[g] + a)));
        z += q[g];
    }
    for (int g = 0; g < G; g++) {
        q[g] = (float)(q[g] / z);
        wg[g] = (float)(q[g] / (gcount[g] > 0 ? gcount[g] : 1.0));
        robust += q[g] * loss[g];
    }
    return robust;
}
