/* synth.c - Sagawa et al. 2020 synthetic spurious-correlation data (see synth.h).
 *
 * Every draw is keyed by (seed, stream, index) with stream = split * 16 +
 * purpose, so a row's values depend only on the options and its position:
 * the same options give the same file bit for bit.
 */
#include "synth.h"
#include "rng.h"
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* what a draw is for; part of the RNG stream id */
enum { DRAW_Y, DRAW_MAJORITY, DRAW_PERM, DRAW_X };

#define SYNTH_N_GROUPS 4      /* y, a in {0, 1} */
#define SYNTH_MAX_N INT_MAX   /* rng_permutation takes an int */
#define SYNTH_MAX_D (1 << 20)

synth_opts synth_defaults(void)
{
    synth_opts o = {
        .n_train = 4000, .n_val = 1000, .n_test = 2000,
        .d_core = 5, .d_spurious = 5, .d_noise = 0,
        .mu_c = 1.0f, .sigma_c = 1.5f, .mu_s = 1.0f, .sigma_s = 0.25f,
        .p_maj = 0.9f, .seed = 0,
    };
    return o;
}

int synth_check(const synth_opts *o, dett_err *e)
{
    const int64_t n[3] = {o->n_train, o->n_val, o->n_test};
    const char *nn[3] = {"n_train", "n_val", "n_test"};
    for (int s = 0; s < 3; s++) {
        int64_t lo = s == 0 ? 1 : SYNTH_N_GROUPS;
        if (n[s] < lo || n[s] > SYNTH_MAX_N)
            return dett_fail(e, "synth: %s = %lld: must be in %lld..%d%s", nn[s],
                             (long long)n[s], (long long)lo, SYNTH_MAX_N,
                             s ? " (every group needs a row)" : "");
    }
    const int d[3] = {o->d_core, o->d_spurious, o->d_noise};
    const char *dn[3] = {"d_core", "d_spurious", "d_noise"};
    for (int k = 0; k < 3; k++)
        if (d[k] < 0 || d[k] > SYNTH_MAX_D)
            return dett_fail(e, "synth: %s = %d: must be in 0..%d", dn[k], d[k], SYNTH_MAX_D);
    int64_t dim = (int64_t)o->d_core + o->d_spurious + o->d_noise;
    if (dim < 1 || dim > SYNTH_MAX_D)
        return dett_fail(e, "synth: d_core + d_spurious + d_noise = %lld: must be in 1..%d",
                         (long long)dim, SYNTH_MAX_D);
    for (int s = 0; s < 3; s++)
        if ((uint64_t)n[s] * (uint64_t)dim > (uint64_t)SIZE_MAX / sizeof(float) / 2)
            return dett_fail(e, "synth: %s * features = %lld * %lld is too large", nn[s],
                             (long long)n[s], (long long)dim);
    if (!isfinite(o->mu_c) || !isfinite(o->mu_s))
        return dett_fail(e, "synth: mu_c and mu_s must be finite");
    if (!(o->sigma_c > 0) || !isfinite(o->sigma_c))
        return dett_fail(e, "synth: sigma_c = %g: must be > 0", (double)o->sigma_c);
    if (!(o->sigma_s > 0) || !isfinite(o->sigma_s))
        return dett_fail(e, "synth: sigma_s = %g: must be > 0", (double)o->sigma_s);
    if (!(o->p_maj >= 0.5f && o->p_maj < 1.0f))
        return dett_fail(e, "synth: p_maj = %g: must be in [0.5, 1)", (double)o->p_maj);
    return 0;
}

/* x[0..D) <- one row's features [core, spurious, noise] for labels (y, a) */
static void synth_row(float *x, const synth_opts *o, uint64_t stream, int64_t row,
                      int y, int a)
{
    const int D = o->d_core + o->d_spurious + o->d_noise;
    const float sy = (float)(2 * y - 1), sa = (float)(2 * a - 1);
    for (int j = 0; j < D; j++) {
        float z = rng_normal(o->seed, stream, (uint64_t)row * (uint64_t)D + (uint64_t)j);
        if (j < o->d_core)
            x[j] = sy * o->mu_c + o->sigma_c * z;
        else if (j < o->d_core + o->d_spurious)
            x[j] = sa * o->mu_s + o->sigma_s * z;
        else
            x[j] = z;
    }
}

/* labels of train: y ~ Bernoulli(1/2), a = y with probability p_maj */
static void synth_train_labels(int32_t *y, int32_t *a, const synth_opts *o, int64_t n)
{
    const uint64_t base = (uint64_t)SPLIT_TRAIN * 16;
    for (int64_t i = 0; i < n; i++) {
        int yi = rng_uniform(o->seed, base + DRAW_Y, (uint64_t)i) < 0.5f;
        int maj = rng_uniform(o->seed, base + DRAW_MAJORITY, (uint64_t)i) < o->p_maj;
        y[i] = yi;
        a[i] = maj ? yi : 1 - yi;
    }
}

/* labels of a balanced split: group k % 4 for k = perm[i] (n/4 rows per
 * group; the first n % 4 groups get one more). Returns -1 on allocation. */
static int synth_balanced_labels(int32_t *y, int32_t *a, const synth_opts *o,
                                 int split, int64_t n, dett_err *e)
{
    int *perm = malloc((size_t)n * sizeof *perm);
    CHECK_ALLOC(e, perm);
    rng_permutation(perm, (int)n, o->seed, (uint64_t)split * 16 + DRAW_PERM);
    for (int64_t i = 0; i < n; i++) {
        int g = perm[i] % SYNTH_N_GROUPS;
        y[i] = g / 2;
        a[i] = g % 2;
    }
    free(perm);
    return 0;
fail:
    return -1;
}

/* info's attributes: the construction and every parameter value */
static void synth_info(dataset_info *info, const synth_opts *o)
{
    const int D = o->d_core + o->d_spurious + o->d_noise;
    memset(info, 0, sizeof *info);
    snprintf(info->name, sizeof info->name, "synth");
    snprintf(info->source, sizeof info->source, "synthetic (Sagawa et al. 2020, sec. 5)");
    snprintf(info->license, sizeof info->license, "MIT");
    snprintf(info->description, sizeof info->description,
             "Synthetic spurious-correlation data after Sagawa et al. 2020, sec. 5. "
             "y, a in {0, 1}; group g = 2y + a. Row = [core (d_core = %d) ~ "
             "N((2y-1) mu_c, sigma_c^2), spurious (d_spurious = %d) ~ "
             "N((2a-1) mu_s, sigma_s^2), noise (d_noise = %d) ~ N(0, 1)], "
             "mu_c = %g, sigma_c = %g, mu_s = %g, sigma_s = %g. "
             "train: y ~ Bernoulli(0.5), a = y with probability p_maj = %g; "
             "val and test: group-balanced (n/4 rows per group), shuffled. "
             "n_train = %lld, n_val = %lld, n_test = %lld, seed = %llu. "
             "Generated by dett data synth (counter-based RNG: same options, same file).",
             o->d_core, o->d_spurious, o->d_noise, (double)o->mu_c, (double)o->sigma_c,
             (double)o->mu_s, (double)o->sigma_s, (double)o->p_maj,
             (long long)o->n_train, (long long)o->n_val, (long long)o->n_test,
             (unsigned long long)o->seed);
    info->n_classes = 2;
    info->n_attrs = 2;
    info->n_groups = SYNTH_N_GROUPS;
    info->x_rank = 1;
    info->x_shape[0] = D;
    info->d = D;
}

int synth_generate(const synth_opts *o, dataset_info *info,
                   dataset_rows split[N_SPLITS], dett_err *e)
{
    memset(split, 0, N_SPLITS * sizeof *split);
    CHECK(synth_check(o, e));
    synth_info(info, o);
    const int D = info->d;
    const int64_t n[N_SPLITS] = {o->n_train, o->n_val, o->n_test};
    for (int s = 0; s < N_SPLITS; s++) {
        dataset_rows *r = &split[s];
        r->row0 = 0;
        r->n = n[s];
        r->d = D;
        r->X = malloc((size_t)n[s] * (size_t)D * sizeof *r->X);
        r->y = malloc((size_t)n[s] * sizeof *r->y);
        r->a = malloc((size_t)n[s] * sizeof *r->a);
        CHECK_ALLOC(e, r->X);
        CHECK_ALLOC(e, r->y);
        CHECK_ALLOC(e, r->a);
        if (s == SPLIT_TRAIN)
            synth_train_labels(r->y, r->a, o, n[s]);
        else
            CHECK(synth_balanced_labels(r->y, r->a, o, s, n[s], e));
        for (int64_t i = 0; i < n[s]; i++) {
            synth_row(r->X + i * D, o, (uint64_t)s * 16 + DRAW_X, i, r->y[i], r->a[i]);
            info->group_count[s][r->y[i] * 2 + r->a[i]]++;
        }
        info->n[s] = n[s];
    }
    return 0;
fail:
    for (int s = 0; s < N_SPLITS; s++) dataset_rows_free(&split[s]);
    return -1;
}
