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

/* the defaults: n_train 4000, n_val 1000, n_test 2000; d_core 5,
 * d_spurious 5, d_noise 0; mu_c 1, sigma_c 1.5, mu_s 1, sigma_s 0.25;
 * p_maj 0.9; seed 0. The core features alone give a Bayes accuracy of
 * Phi(mu_c sqrt(d_core) / sigma_c) = Phi(1.49) = 93%; the spurious ones
 * give a to Phi(8.9) ~ 100%, so in train a predicts y 90% of the time with
 * no noise at all: the shortcut an ERM model takes (a 256-unit ReLU MLP
 * trained by ERM on these defaults: ~98% on the majority groups, ~75% on
 * the minority groups). */
synth_opts synth_defaults(void);
/* checks the options (n_train >= 1; n_val, n_test >= 4 so every group has a
 * row; d_* >= 0 with a positive sum; sigmas > 0; p_maj in [0.5, 1));
 * returns 0, or -1 with a message naming the field. */
int synth_check(const synth_opts *o, dett_err *e);
/* fills info and split[] (allocated; free each with dataset_rows_free;
 * on failure nothing is left allocated). Returns 0 or -1 (see synth_check). */
int synth_generate(const synth_opts *o, dataset_info *info,
                   dataset_rows split[N_SPLITS], dett_err *e);

#endif
