/* gradcheck.c - finite-difference gradient check (see gradcheck.h). */
#include "gradcheck.h"
#include "rng.h"
#include <math.h>
#include <stdlib.h>

/* L = sum r.*logits + sum q.*features, accumulated in double */
static double probe_loss(const model *m, model_ws *w, const float *x, int B,
                         const float *r, const float *q)
{
    const float *z = model_forward(m, w, x, B);
    double L = 0.0;
    for (size_t i = 0; i < (size_t)B * m->n_classes; i++) L += (double)r[i] * z[i];
    if (q) {
        const float *f = model_features(m, w);
        for (size_t i = 0; i < (size_t)B * m->feat_dim; i++) L += (double)q[i] * f[i];
    }
    return L;
}

double gradcheck_model(model *m, const float *x, int B, uint64_t seed,
                       float eps, int max_checks, int with_features)
{
    size_t nz = (size_t)B * m->n_classes, nf = (size_t)B * m->feat_dim;
    float *r = malloc(sizeof(float) * nz);
    float *q = with_features ? malloc(sizeof(float) * nf) : NULL;
    float *g = calloc(m->n_params ? m->n_params : 1, sizeof(float));
    model_ws *w = model_ws_new(m, B);
    double worst = -1.0;
    if (!r || !g || !w || (with_features && !q)) goto done;
    for (size_t i = 0; i < nz; i++) r[i] = rng_normal(seed, 1, i);
    for (size_t i = 0; q && i < nf; i++) q[i] = rng_normal(seed, 2, i);

    probe_loss(m, w, x, B, r, q);
    model_backward(m, w, g, r, q, B, NULL);

    worst = 0.0;
    /* only the trainable prefix has gradients; frozen params must stay 0 */
    for (size_t k = m->n_trainable; k < m->n_params; k++)
        if (g[k] != 0.0f) worst = INFINITY;
    size_t n = m->n_trainable, step = n > (size_t)max_checks ? n / max_checks : 1;
    for (size_t k = 0; k < n; k += step) {
        float p0 = m->params[k];
        m->params[k] = p0 + eps;
        double lp = probe_loss(m, w, x, B, r, q);
        m->params[k] = p0 - eps;
        double lm = probe_loss(m, w, x, B, r, q);
        m->params[k] = p0;
        double num = (lp - lm) / (2.0 * eps);
        double err = fabs(g[k] - num) / fmax(1e-2, fabs(g[k]) + fabs(num));
        if (err > worst) worst = err;
    }
done:
    free(r); free(q); free(g);
    model_ws_free(w);
    return worst;
}
