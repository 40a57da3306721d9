/* gradcheck.h - finite-difference checks of a model's parameter gradients.
 *
 * Two kinds of scalar J(params) are checked:
 *  - the probe J = sum r.*logits + sum q.*features with fixed random r, q
 *    (gradcheck_model; gradcheck_run with fn == NULL), which exercises every
 *    layer's backward; with logit_grad = 0 it is the feature-only path
 *    (dlogits NULL: the head is skipped) that SimKD and DeTT use;
 *  - a training objective (kernels/objective.h) composed with the model:
 *    J = fn(model(x)), optionally through a projector (FitNet), with the
 *    method's sample weights, group weights and teacher outputs; the
 *    analytic gradient goes through model_backward exactly as the training
 *    loop sends it (dJ/dz only if logit_grad, dJ/df only if feat_grad).
 *
 * The error of one parameter is
 *     err = |a - n| / max(floor, |a| + |n|),
 * a the analytic and n the numerical derivative: a Richardson-extrapolated
 * central difference, n = (4 D(h/2) - D(h)) / 3 with D(s) = (J(p+s) -
 * J(p-s)) / (the step float arithmetic took), J summed in double. Where J
 * is smooth D(h) and D(h/2) agree to O(h^2); where they don't, a ReLU kink
 * or a max-pool switch lies within the step, and the step shrinks (h/4,
 * h/16, h/64; the most consistent pair is used). Truncation is then O(h^4)
 * (zero on piecewise-linear and -quadratic parts), and the rounding of J
 * (float activations, about 1e-7 relative) gives about 1e-5 / h. With
 * h = 1e-2 and floor 1e-1 the clean models of the tests stay below 2e-4
 * (tests/test_kernels.c, test_gradcheck_methods.c print it), while a
 * relative error of 1 % in any gradient of magnitude >= floor / 2 gives
 * err >= 5e-3: GRADCHECK_TOL = 2e-3 sits between the two, and the tests
 * inject a 1 % error (opts.inject) and watch the check fail.
 */
#ifndef DETT_GRADCHECK_H
#define DETT_GRADCHECK_H
#include "model.h"
#include "objective.h"
#include <stdint.h>

#define GRADCHECK_TOL 2e-3     /* worst err allowed: fails a 1 % gradient error */
#define GRADCHECK_STEP 1e-2f   /* h (shrunk where a kink is near) */
#define GRADCHECK_FLOOR 1e-1   /* floor of the relative error's denominator */

typedef struct {
    const float *x;        /* [B, in_dim] inputs */
    int B;
    int logit_grad;        /* 1: dJ/dz enters model_backward (dlogits) */
    int feat_grad;         /* 1: dJ/df enters model_backward (dfeat) */
    uint64_t seed;         /* the probe's r, q */
    int max_checks;        /* parameters checked per model (spread over it) */
    float h;               /* step; 0: GRADCHECK_STEP */
    /* the objective; NULL for the probe */
    objective_fn fn;
    model *proj;           /* FitNet's projector (f = proj(features)), or NULL;
                              its parameters are checked too */
    int N;                 /* rows of the step (c_i = w_i / N) */
    const int *y, *g;      /* [B] labels, groups */
    const float *w;        /* [B] sample weights */
    const float *gw;       /* [G] group loss weights (group DRO) or NULL */
    const float *tz, *tf;  /* [B, C], [B, F] teacher outputs or NULL */
    const float *arg;      /* the method's arguments */
    double inject;         /* tests only: the analytic gradient is scaled by
                              (1 + inject) before the comparison (0 normally) */
} gradcheck_opts;

/* Worst err over the checked parameters of m (and of o->proj); parameters
 * are perturbed and restored. Frozen parameters must receive exactly zero
 * gradient (else INFINITY). Returns a negative value on allocation failure
 * or bad options (an objective without y or w, a projector of the wrong
 * width). */
double gradcheck_run(model *m, const gradcheck_opts *o);

/* The probe on m through the logit path, with (with_features) the feature
 * term; step eps (as gradcheck_run with h = eps). */
double gradcheck_model(model *m, const float *x, int B, uint64_t seed,
                       float eps, int max_checks, int with_features);

#endif
