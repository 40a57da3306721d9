/* gradcheck.c - finite-difference gradient checks (see gradcheck.h). */
#include "gradcheck.h"
#include "rng.h"
#include <math.h>
#include <stdlib.h>
#include <string.h>

#define GC_TRIES 4            /* steps h, h/4, h/16, h/64 */
#define GC_CONSISTENT 2e-4    /* |D(h) - D(h/2)| allowed before the step shrinks */

/* buffers of one check */
typedef struct {
    model *m, *proj;
    const gradcheck_opts *o;
    model_ws *w, *pw;
    int C, F;            /* classes; compared feature width (proj's output) */
    float *r, *q;        /* probe weights [B, C], [B, F] */
    float *loss, *tmp;   /* [B] */
    float *dz, *df;      /* [B, C], [B, F] */
    float *dfs;          /* [B, m->feat_dim]: d J / d student features via proj */
    float *g, *pg;       /* gradients of m and proj */
} gc_state;

/* J at the current parameters (double); with grad, also the analytic
 * gradients into s->g and s->pg (zeroed first), sent through model_backward
 * the way the training loop sends them */
static double gc_eval(gc_state *s, int grad)
{
    const gradcheck_opts *o = s->o;
    const int B = o->B;
    const float *z = model_forward(s->m, s->w, o->x, B);
    const float *f = model_features(s->m, s->w);
    if (s->proj) f = model_forward(s->proj, s->pw, f, B);
    double J = 0.0;
    if (!o->fn) {
        for (size_t i = 0; o->logit_grad && i < (size_t)B * s->C; i++) J += (double)s->r[i] * z[i];
        for (size_t i = 0; o->feat_grad && i < (size_t)B * s->F; i++) J += (double)s->q[i] * f[i];
        if (grad) {
            memcpy(s->dz, s->r, sizeof(float) * (size_t)B * s->C);
            memcpy(s->df, s->q, sizeof(float) * (size_t)B * s->F);
        }
    } else {
        obj_in in = { B, s->C, s->F, o->N, z, f, o->tz, o->tf, o->y, o->g, o->w, o->gw, o->arg };
        obj_out out = { s->loss, s->dz, s->df, s->tmp };
        J = o->fn(&out, &in);
    }
    if (!grad) return J;
    /* the injected error (tests only) scales what enters backward */
    const float k = (float)(1.0 + o->inject);
    for (size_t i = 0; i < (size_t)B * s->C; i++) s->dz[i] *= k;
    for (size_t i = 0; i < (size_t)B * s->F; i++) s->df[i] *= k;
    memset(s->g, 0, sizeof(float) * (s->m->n_params ? s->m->n_params : 1));
    const float *dz = o->logit_grad ? s->dz : NULL, *df = o->feat_grad ? s->df : NULL;
    if (s->proj) {
        memset(s->pg, 0, sizeof(float) * (s->proj->n_params ? s->proj->n_params : 1));
        model_backward(s->proj, s->pw, s->pg, df, NULL, B, s->dfs);
        df = s->dfs;
    }
    model_backward(s->m, s->w, s->g, dz, df, B, NULL);
    return J;
}

/* central difference of J in parameter p[k] with step h, divided by the
 * step float arithmetic actually took */
static double gc_diff(gc_state *s, float *p, size_t k, float h)
{
    const float p0 = p[k];
    const float up = p0 + h, dn = p0 - h;
    p[k] = up;
    double jp = gc_eval(s, 0);
    p[k] = dn;
    double jm = gc_eval(s, 0);
    p[k] = p0;
    return (jp - jm) / ((double)up - (double)dn);
}

/* worst err over up to max_checks parameters of one model (g its analytic
 * gradient); frozen parameters must have exactly zero gradient */
static double gc_params(gc_state *s, model *m, const float *g, float h, double floor_)
{
    double worst = 0.0;
    for (size_t k = m->n_trainable; k < m->n_params; k++)
        if (g[k] != 0.0f) return INFINITY;
    const size_t n = m->n_trainable, mc = s->o->max_checks > 0 ? (size_t)s->o->max_checks : 1;
    const size_t step = n > mc ? n / mc : 1;
    for (size_t k = 0; k < n; k += step) {
        /* D(h) and D(h/2) agree to O(h^2) where J is smooth; a ReLU kink or a
         * max-pool switch within the step breaks that: shrink the step, and
         * keep the most consistent pair (rounding grows as the step shrinks,
         * so a model without kinks keeps its first) */
        float hk = h;
        double num = 0.0, best = INFINITY;
        for (int tries = 0; tries < GC_TRIES; tries++, hk *= 0.25f) {
            double d1 = gc_diff(s, m->params, k, hk), d2 = gc_diff(s, m->params, k, 0.5f * hk);
            double c = fabs(d1 - d2) / fmax(floor_, fabs(d1) + fabs(d2));
            if (c < best) {
                best = c;
                num = (4.0 * d2 - d1) / 3.0;
            }
            if (c <= GC_CONSISTENT) break;
        }
        double err = fabs(g[k] - num) / fmax(floor_, fabs(g[k]) + fabs(num));
        if (err > worst) worst = err;
    }
    return worst;
}

/* the check behind gradcheck_run and gradcheck_model: buffers, the
 * analytic gradients once, then every model's parameters */
static double gc_check(model *m, const gradcheck_opts *o, double floor_)
{
    gc_state s = { 0 };
    double worst = -1.0;
    const int B = o->B;
    s.m = m;
    s.proj = o->proj;
    s.o = o;
    s.C = m->n_classes;
    s.F = o->proj ? o->proj->n_classes : m->feat_dim;
    if (B < 1 || (o->proj && o->proj->in_dim != m->feat_dim)) return -1.0;
    if (o->fn && (!o->y || !o->w || o->N < B)) return -1.0;
    const size_t nz = (size_t)B * s.C, nf = (size_t)B * s.F;
    s.r = malloc(sizeof(float) * nz);
    s.q = malloc(sizeof(float) * nf);
    s.loss = malloc(sizeof(float) * B);
    s.tmp = malloc(sizeof(float) * B);
    s.dz = calloc(nz, sizeof(float));
    s.df = calloc(nf, sizeof(float));
    s.dfs = malloc(sizeof(float) * (size_t)B * m->feat_dim);
    s.g = malloc(sizeof(float) * (m->n_params ? m->n_params : 1));
    s.w = model_ws_new(m, B);
    if (s.proj) {
        s.pg = malloc(sizeof(float) * (s.proj->n_params ? s.proj->n_params : 1));
        s.pw = model_ws_new(s.proj, B);
    }
    if (!s.r || !s.q || !s.loss || !s.tmp || !s.dz || !s.df || !s.dfs || !s.g || !s.w ||
        (s.proj && (!s.pg || !s.pw)))
        goto done;
    for (size_t i = 0; i < nz; i++) s.r[i] = rng_normal(o->seed, 1, i);
    for (size_t i = 0; i < nf; i++) s.q[i] = rng_normal(o->seed, 2, i);

    gc_eval(&s, 1);
    const float h = o->h > 0 ? o->h : GRADCHECK_STEP;
    /* the analytic gradients are kept: gc_diff's evaluations don't touch g */
    worst = gc_params(&s, m, s.g, h, floor_);
    if (s.proj) {
        double pw = gc_params(&s, s.proj, s.pg, h, floor_);
        if (pw > worst) worst = pw;
    }
done:
    free(s.r); free(s.q); free(s.loss); free(s.tmp); free(s.dz); free(s.df); free(s.dfs);
    free(s.g); free(s.pg);
    model_ws_free(s.w);
    model_ws_free(s.pw);
    return worst;
}

double gradcheck_run(model *m, const gradcheck_opts *o)
{
    return gc_check(m, o, GRADCHECK_FLOOR);
}

double gradcheck_model(model *m, const float *x, int B, uint64_t seed,
                       float eps, int max_checks, int with_features)
{
    gradcheck_opts o;
    memset(&o, 0, sizeof o);
    o.x = x;
    o.B = B;
    o.logit_grad = 1;
    o.feat_grad = with_features;
    o.seed = seed;
    o.max_checks = max_checks;
    o.h = eps;
    return gc_check(m, &o, GRADCHECK_FLOOR);
}
