/* dfr_local.c - the parts of dfr.h that need no ScaLAPACK (options and
 * prediction): built with and without it. */
#include "dfr.h"
#include <string.h>

void dfr_opts_default(dfr_opts *o)
{
    memset(o, 0, sizeof *o);
    o->solver = DFR_LOGISTIC;
    o->lambda = 1e-3;
    o->max_retries = 8;
    o->lambda_floor = 1e-8;
    o->rcond_min = 1e-12;
    o->newton_max_iter = 50;
    o->newton_tol = 1e-9;
    o->force_multinomial = 0;
    o->block = 64;
}

void dfr_predict(int32_t *pred, const float *W, const float *b, const float *x, int64_t n,
                 int d, int C)
{
    for (int64_t i = 0; i < n; i++) {
        const float *xi = x + (size_t)i * (size_t)d;
        int best = 0;
        double bestv = 0;
        for (int c = 0; c < C; c++) {
            const float *wc = W + (size_t)c * (size_t)d;
            double v = b[c];
            for (int j = 0; j < d; j++) v += (double)wc[j] * xi[j];
            if (c == 0 || v > bestv) {
                best = c;
                bestv = v;
            }
        }
        pred[i] = best;
    }
}
