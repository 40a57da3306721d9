/* gradcheck.h - finite-difference check of a model's parameter gradients.
 *
 * The probe loss is L = sum(r .* logits) + sum(q .* features) with fixed
 * random r, q, so every layer's backward is exercised (put a dense layer in
 * front of a layer to check its input gradient too: that dense layer's
 * weight gradient is dout^T x, with dout the checked layer's input gradient).
 * Central differences in float with step eps; the error of one parameter is
 * |analytic - numeric| / max(1e-2, |analytic| + |numeric|).
 */
#ifndef DETT_GRADCHECK_H
#define DETT_GRADCHECK_H
#include "model.h"
#include <stdint.h>

/* Max error over up to max_checks parameters (spread over the slab) of m
 * with input x[B, in_dim]; m->params is perturbed and restored.
 * Frozen parameters must receive exactly zero gradient (else INFINITY).
 * Returns a negative value on allocation failure. */
double gradcheck_model(model *m, const float *x, int B, uint64_t seed,
                       float eps, int max_checks, int with_features);

#endif
