/* optim.c - SGD with momentum and AdamW (see optim.h). */
#include "optim.h"
#include <math.h>
#include <stdlib.h>

#define SGD_BLOCK 16  /* elements per block of the vectorized loops */

/* The two fast loops are compiled for AVX-512F, AVX2 and the baseline,
 * and the widest the CPU has is chosen when the program loads (GCC's
 * function multiversioning). Each operation is exactly rounded in a lane
 * of any width, and no clone contracts a multiply and an add into an fma
 * (ISO C mode: -ffp-contract=off), so all clones give the same bits. */
#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__) && defined(__linux__)
#define OPTIM_CLONES __attribute__((target_clones("avx512f", "avx2", "default")))
#else
#define OPTIM_CLONES
#endif

/* the SGD update of optim_step on blocks of SGD_BLOCK (vectorized at -O2,
 * see vec.h), then the scalar tail: the same operations per element */
OPTIM_CLONES static void sgd_fast(float *restrict p, float *restrict v, const float *restrict g,
                     size_t n, float mu, float lr, float wd)
{
    size_t i = 0;
    for (; i + SGD_BLOCK <= n; i += SGD_BLOCK)
        for (int j = 0; j < SGD_BLOCK; j++) {
            float gi = g[i + j] + wd * p[i + j];
            v[i + j] = mu * v[i + j] + gi;
            p[i + j] -= lr * v[i + j];
        }
    for (; i < n; i++) {
        float gi = g[i] + wd * p[i];
        v[i] = mu * v[i] + gi;
        p[i] -= lr * v[i];
    }
}

/* AdamW's moments below this magnitude are set to +0 (optim.h): the first
 * moment of a parameter whose gradient is exactly zero decays by beta1 per
 * step through the subnormal range, where every multiply and divide that
 * touches it takes a microcode assist (~22x slower per element on x86) */
#define ADAMW_TINY 0x1p-100f

/* the AdamW update of optim_step on blocks of SGD_BLOCK with restrict
 * pointers and the loop's constants hoisted, so that it vectorizes at -O2
 * (optim.c is built with -fno-math-errno: sqrtf inline), then the scalar
 * tail. The same operations per element in the same order as the
 * reference loop, each exactly rounded in a vector lane as in a scalar
 * register: the same bits (tests/test_optshard_mpi.c compares them) */
OPTIM_CLONES static void adamw_fast(float *restrict p, float *restrict m, float *restrict v,
                       const float *restrict g, size_t n, optim_cfg c, float step, float rbc2)
{
    const float lrwd = c.lr * c.wd, b1 = c.beta1, b2 = c.beta2, eps = c.eps;
    const float ob1 = 1.0f - c.beta1, ob2 = 1.0f - c.beta2;
    size_t i = 0;
    for (; i + SGD_BLOCK <= n; i += SGD_BLOCK)
        for (int j = 0; j < SGD_BLOCK; j++) {
            const size_t k = i + (size_t)j;
            p[k] -= lrwd * p[k];
            const float mk = b1 * m[k] + ob1 * g[k], vk = b2 * v[k] + ob2 * g[k] * g[k];
            m[k] = fabsf(mk) < ADAMW_TINY ? 0.0f : mk;
            v[k] = vk < ADAMW_TINY ? 0.0f : vk;
            p[k] -= step * m[k] / (sqrtf(v[k]) * rbc2 + eps);
        }
    for (; i < n; i++) {
        p[i] -= lrwd * p[i];
        const float mi = b1 * m[i] + ob1 * g[i], vi = b2 * v[i] + ob2 * g[i] * g[i];
        m[i] = fabsf(mi) < ADAMW_TINY ? 0.0f : mi;
        v[i] = vi < ADAMW_TINY ? 0.0f : vi;
        p[i] -= step * m[i] / (sqrtf(v[i]) * rbc2 + eps);
    }
}

optim_cfg optim_defaults(optim_kind kind)
{
    optim_cfg c = { OPTIM_SGD, 1e-2f, 0.9f, 1e-4f, 0.9f, 0.999f, 1e-8f };
    if (kind == OPTIM_ADAMW) {
        c.kind = OPTIM_ADAMW;
        c.lr = 1e-3f;
        c.momentum = 0.0f;
    }
    return c;
}

optim *optim_new(optim_cfg cfg, size_t n)
{
    optim *o = calloc(1, sizeof *o);
    if (!o) return NULL;
    o->cfg = cfg;
    o->n = n;
    o->m = calloc(n ? n : 1, sizeof(float));
    o->v = cfg.kind == OPTIM_ADAMW ? calloc(n ? n : 1, sizeof(float)) : NULL;
    if (!o->m || (cfg.kind == OPTIM_ADAMW && !o->v)) { optim_free(o); return NULL; }
    return o;
}

void optim_free(optim *o)
{
    if (!o) return;
    free(o->m);
    free(o->v);
    free(o);
}

void optim_step(optim *o, float *p, const float *g)
{
    const optim_cfg c = o->cfg;
    const size_t n = o->n;
    o->t++;
    if (c.kind == OPTIM_SGD && !o->ref) {
        sgd_fast(p, o->m, g, n, c.momentum, c.lr, c.wd);
        return;
    }
    if (c.kind == OPTIM_SGD) {
        float *v = o->m;
        for (size_t i = 0; i < n; i++) {
            float gi = g[i] + c.wd * p[i];
            v[i] = c.momentum * v[i] + gi;
            p[i] -= c.lr * v[i];
        }
        return;
    }
    const float bc1 = 1.0f - powf(c.beta1, (float)o->t);
    const float bc2 = 1.0f - powf(c.beta2, (float)o->t);
    const float step = c.lr / bc1, rbc2 = 1.0f / sqrtf(bc2);
    if (!o->ref) {
        adamw_fast(p, o->m, o->v, g, n, c, step, rbc2);
        return;
    }
    for (size_t i = 0; i < n; i++) {
        p[i] -= c.lr * c.wd * p[i];
        o->m[i] = c.beta1 * o->m[i] + (1.0f - c.beta1) * g[i];
        o->v[i] = c.beta2 * o->v[i] + (1.0f - c.beta2) * g[i] * g[i];
        if (fabsf(o->m[i]) < ADAMW_TINY) o->m[i] = 0.0f;
        if (o->v[i] < ADAMW_TINY) o->v[i] = 0.0f;
        p[i] -= step * o->m[i] / (sqrtf(o->v[i]) * rbc2 + c.eps);
    }
}
