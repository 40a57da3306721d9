/* metrics.c - per-group accuracy and selection (see metrics.h). */
#include "metrics.h"
#include <math.h>

void metrics_groups(double *acc, double *worst, double *avg, double *mean,
                    const int64_t *correct, const int64_t *total,
                    const int64_t *train_count, int G)
{
    double w = 1.0, a = 0.0, m = 0.0, ntr = 0.0;
    for (int g = 0; g < G; g++) ntr += (double)train_count[g];
    for (int g = 0; g < G; g++) {
        acc[g] = total[g] > 0 ? (double)correct[g] / (double)total[g] : 0.0;
        if (acc[g] < w) w = acc[g];
        a += ntr > 0 ? acc[g] * (double)train_count[g] / ntr : 0.0;
        m += acc[g] / G;
    }
    *worst = w;
    *avg = a;
    *mean = m;
}

double metrics_worst_class(const double *acc, const int64_t *count, int C, int A)
{
    double w = 2.0;
    for (int y = 0; y < C; y++) {
        double c = 0.0, t = 0.0;
        for (int a = 0; a < A; a++) {
            const int g = y * A + a;
            c += (double)llround(acc[g] * (double)count[g]);
            t += (double)count[g];
        }
        if (t > 0 && c / t < w) w = c / t;
    }
    return w > 1.0 ? 0.0 : w;
}

int metrics_argmax(const double *v, int n)
{
    int best = 0;
    for (int i = 1; i < n; i++) if (v[i] > v[best]) best = i;
    return best;
}
