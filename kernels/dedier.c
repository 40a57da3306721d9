/* dedier.c - DEDIER's per-sample weights from an early readout's logits
 * (see dedier.h). Softmax and margin in double, the weight rounded once. */
#include "dedier.h"
#include <math.h>
#include <stddef.h>

float dedier_weight(double m, float alpha, float beta)
{
    if (m < 0.0) m = 0.0;   /* rounding only: the prediction is the argmax */
    return (float)exp((double)beta * pow(m, (double)alpha));
}

int dedier_reweight(float *w, const float *z, const int *y, int B, int C, float alpha,
                    float beta)
{
    int wrong = 0;
    for (int i = 0; i < B; i++) {
        const float *zi = z + (size_t)i * C;
        int pred = 0;
        for (int c = 1; c < C; c++)
            if (zi[c] > zi[pred]) pred = c;
        if (pred == y[i]) continue;
        /* p[pred] - p[y] = (e^{z_pred - max} - e^{z_y - max}) / sum, max = z_pred */
        double s = 0.0;
        for (int c = 0; c < C; c++) s += exp((double)zi[c] - (double)zi[pred]);
        double m = (1.0 - exp((double)zi[y[i]] - (double)zi[pred])) / s;
        w[i] = dedier_weight(m, alpha, beta);
        wrong++;
    }
    return wrong;
}
