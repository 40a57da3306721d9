/* optim.h - SGD with momentum and AdamW over a slab prefix.
 *
 * Both follow torch.optim's update rules:
 *   sgd:   g' = g + wd p;  v = mu v + g';  p -= lr v            (dampening 0)
 *   adamw: p -= lr wd p;  m = b1 m + (1-b1) g;  v = b2 v + (1-b2) g^2;
 *          p -= lr (m / (1-b1^t)) / (sqrt(v / (1-b2^t)) + eps)
 * with one departure: after each update an AdamW moment entry below 2^-100
 * in magnitude is set to +0. Without it, the first moment of a parameter
 * whose gradient is exactly zero for many steps (a weight from an input
 * pixel that is always 0, a dead unit) decays by b1 per step through the
 * subnormal range, where each multiply and divide on it costs a microcode
 * assist (PyTorch pays it; torch.set_flush_denormal is its switch). The
 * update such an entry would give is below 10 lr 2^-100 / eps, which
 * changes p only when |p| is below about 2^-60.
 * The optimiser owns its state buffers; optim_free releases them.
 */
#ifndef DETT_OPTIM_H
#define DETT_OPTIM_H
#include <stddef.h>

typedef enum { OPTIM_SGD, OPTIM_ADAMW } optim_kind;

typedef struct {
    optim_kind kind;
    float lr, momentum, wd;     /* momentum: sgd only */
    float beta1, beta2, eps;    /* adamw only */
} optim_cfg;

typedef struct {
    optim_cfg cfg;
    size_t n;          /* floats updated: the trainable prefix */
    long t;            /* steps taken */
    float *m, *v;      /* owned state: sgd uses m as velocity */
    int ref;           /* 1: plain reference loops (tests compare the fast
                          SGD loop against them, bit for bit); 0 default */
} optim;

/* The one definition of the optimisers' defaults (the DSL's sgd{} and
 * adamw{}, a method's default optimiser, dett train's flags):
 *   sgd   lr 1e-2, momentum 0.9, wd 1e-4
 *   adamw lr 1e-3, wd 1e-4, betas (0.9, 0.999), eps 1e-8 (momentum 0, unused) */
optim_cfg optim_defaults(optim_kind kind);
/* state for n parameters, zeroed; NULL on allocation failure */
optim *optim_new(optim_cfg cfg, size_t n);
void optim_free(optim *o);
/* one update of p[0..n) from g[0..n) */
void optim_step(optim *o, float *p, const float *g);

#endif
