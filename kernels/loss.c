/* loss.c - losses and their gradients (see loss.h). */
#include "loss.h"
#include <math.h>
#include <stddef.h>

/* p[C] <- softmax(z / tau); returns log sum exp(z / tau) */
static double softmax_row(double *p, const float *z, int C, double tau)
{
    double mx = z[0] / tau, s = 0.0;
    for (int c = 1; c < C; c++) if (z[c] / tau > mx) mx = z[c] / tau;
    for (int c = 0; c < C; c++) { p[c] = exp(z[c] / tau - mx); s += p[c]; }
    for (int c = 0; c < C; c++) p[c] /= s;
    return mx + log(s);
}

void loss_xent(float *dz, float *loss, const float *z, const int *y,
               const float *w, int B, int C, float scale)
{
    double p[C > 0 ? C : 1];
    for (int i = 0; i < B; i++) {
        const float *zi = z + (size_t)i * C;
        double lse = softmax_row(p, zi, C, 1.0);
        loss[i] = (float)(lse - zi[y[i]]);
        if (!dz) continue;
        double s = (double)scale * (w ? w[i] : 1.0f);
        float *di = dz + (size_t)i * C;
        for (int c = 0; c < C; c++) di[c] = (float)(s * (p[c] - (c == y[i])));
    }
}

/* sum_j (f_j - t_j)^2 in double: four partial sums over j mod 4 (j below
 * D rounded down to a multiple of 4), combined (s0 + s1) + (s2 + s3), then
 * the tail in order. One chain of D dependent adds was the MSE's cost (a
 * double add's latency per feature); four chains run side by side. */
static double sq_dist(const float *f, const float *t, int D)
{
    double s0 = 0.0, s1 = 0.0, s2 = 0.0, s3 = 0.0;
    int j = 0;
    for (; j + 4 <= D; j += 4) {
        const double e0 = f[j] - t[j], e1 = f[j + 1] - t[j + 1];
        const double e2 = f[j + 2] - t[j + 2], e3 = f[j + 3] - t[j + 3];
        s0 += e0 * e0;
        s1 += e1 * e1;
        s2 += e2 * e2;
        s3 += e3 * e3;
    }
    double s = (s0 + s1) + (s2 + s3);
    for (; j < D; j++) { const double e = f[j] - t[j]; s += e * e; }
    return s;
}

void loss_mse(float *df, float *loss, const float *f, const float *t,
              const float *w, int B, int D, float scale)
{
    for (int i = 0; i < B; i++) {
        const float *fi = f + (size_t)i * D, *ti = t + (size_t)i * D;
        loss[i] = (float)(sq_dist(fi, ti, D) / D);
        if (!df) continue;
        float k = 2.0f * scale * (w ? w[i] : 1.0f) / (float)D;
        float *di = df + (size_t)i * D;
        for (int j = 0; j < D; j++) di[j] = k * (fi[j] - ti[j]);
    }
}

void loss_kd_add(float *dz, float *loss, const float *z, const float *t,
                 const float *w, int B, int C, float tau, float scale)
{
    double ps[C > 0 ? C : 1], pt[C > 0 ? C : 1];
    for (int i = 0; i < B; i++) {
        const float *zi = z + (size_t)i * C, *ti = t + (size_t)i * C;
        double lss = softmax_row(ps, zi, C, tau);
        double lst = softmax_row(pt, ti, C, tau);
        double kl = 0.0;   /* sum pt (log pt - log ps) */
        for (int c = 0; c < C; c++)
            if (pt[c] > 0) kl += pt[c] * ((ti[c] / tau - lst) - (zi[c] / tau - lss));
        loss[i] = (float)(tau * tau * kl);
        if (!dz) continue;
        double s = (double)scale * (w ? w[i] : 1.0f) * tau;
        float *di = dz + (size_t)i * C;
        for (int c = 0; c < C; c++) di[c] += (float)(s * (ps[c] - pt[c]));
    }
}

void loss_argmax(int *pred, const float *z, int B, int C)
{
    for (int i = 0; i < B; i++) {
        const float *zi = z + (size_t)i * C;
        int best = 0;
        for (int c = 1; c < C; c++) if (zi[c] > zi[best]) best = c;
        pred[i] = best;
    }
}
