/* synth.h - the synthetic spurious-correlation data of Sagawa et al. 2020
 * ("An investigation of why overparameterization exacerbates spurious
 * correlations", section 5).
 *
 * y, a in {0, 1}; core features x_core ~ N(s(y) mu_c 1, sigma_c^2 I) and
 * spurious features x_sp ~ N(s(a) mu_s 1, sigma_s^2 I) with s(v) = 2v - 1 and
 * sigma_s << sigma_c (the spurious cue is the easier one); optional pure-noise
 * dimensions N(0, 1). In train a sample is in a majority group (a == y) with
 * probability p_maj; val and test are group-balanced. Rows are generated
 * already shuffled from the counter-based RNG, so a seed fixes the file.
 */
#ifndef DETT_SYNTH_H
#define DETT_SYNTH_H
#include "dataset.h"

typedef struct {
    int64_t n_train, n_val, n_test;
    int d_core, d_spurious, d_noise;
    float mu_c, sigma_c, mu_s, sigma_s;
    float p_maj;
    uint64_t seed;
} synth_opts;

/* the defaults (documented in README): n 3000/1000/1000, d_core 5,
 * d_spurious 5, d_noise 10, mu 1, sigma_c 3, sigma_s 0.3 ... */
synth_opts synth_defaults(void);
/* fills info and split[] (allocated; free each with dataset_rows_free) */
int synth_generate(const synth_opts *o, dataset_info *info,
                   dataset_rows split[N_SPLITS], dett_err *e);

#endif
