/* dfr_problem.h - the synthetic classification problem of the DFR tests
 * (test_dfr.c, test_dfr_mpi.c): F [n, d] correlated normal features, y [n]
 * the argmax over C classes of a linear score plus noise (noise x N(0, 1)),
 * and, if g is not NULL, a group g = 2 y + (F[i, 0] > 0). Deterministic in
 * seed. */
#ifndef DETT_TEST_DFR_PROBLEM_H
#define DETT_TEST_DFR_PROBLEM_H
#include "rng.h"
#include <stddef.h>
#include <stdint.h>

static void gen_problem(float *F, int32_t *y, int32_t *g, int n, int d, int C, uint64_t seed,
                        double noise)
{
    for (int i = 0; i < n; i++) {
        double common = rng_normal(seed, 3, (uint64_t)i);
        for (int j = 0; j < d; j++)
            F[(size_t)i * d + j] = (float)(rng_normal(seed, 1, (uint64_t)i * d + j) +
                                           0.5 * common + 0.1 * j);
        int best = 0;
        double bv = -1e300;
        for (int c = 0; c < C; c++) {
            double v = noise * rng_normal(seed, 4, (uint64_t)i * C + c);
            for (int j = 0; j < d; j++)
                v += rng_normal(seed, 2, (uint64_t)c * d + j) * F[(size_t)i * d + j];
            if (v > bv) { bv = v; best = c; }
        }
        y[i] = best;
        if (g) g[i] = best * 2 + (F[(size_t)i * d] > 0.0f);
    }
}

#endif
