/* test_optshard_mpi.c - the sharded optimiser step (runtime/train/optshard.h)
 * under mpiexec -n K: after several steps of SGD with momentum and weight
 * decay and of AdamW, the parameters are bit-identical to a serial
 * reference (the balanced tree over all M micro-shards' gradients, then
 * optim_step over all n parameters, in its plain reference loops: the
 * vectorized SGD and AdamW loops match them), sharded (with both forms of
 * the reduce-scatter) and unsharded (DETT_SHARDED_OPT=0), for sizes not
 * divisible by K (uneven chunks), sizes beyond one exchange piece, and a
 * single parameter (empty chunks).
 * The whole state gathered for a checkpoint (optshard_full) equals the
 * reference's, and a state restored from it (optshard_blank, _take)
 * continues with the same bits. */
#define _POSIX_C_SOURCE 200809L
#include "allreduce.h"
#include "check.h"
#include "optim.h"
#include "optshard.h"
#include "rng.h"
#include <mpi.h>
#include <stdlib.h>
#include <string.h>

enum { M = 8, STEPS = 3 };

/* shard s's gradient at step t, element i: magnitudes that differ by
 * orders, so that another summation order gives other bits */
static float grad_of(int t, int s, size_t i, uint64_t seed)
{
    return rng_normal(seed, (uint64_t)(t * M + s), i) * (1.0f + (float)(i % 7) * 300.0f);
}

/* every shard's gradient of every step for n parameters, drawn once per
 * (n, seed) and kept (the draws are most of the test's time); n = 0 frees */
static const float *all_grads(size_t n, uint64_t seed)
{
    static float *cache;
    static size_t cn;
    static uint64_t cseed;
    if (cache && cn == n && cseed == seed) return cache;
    free(cache);
    cache = NULL;
    if (n == 0) return NULL;
    cache = malloc(sizeof(float) * STEPS * M * n);
    cn = n;
    cseed = seed;
    for (int t = 0; t < STEPS; t++)
        for (int s = 0; s < M; s++)
            for (size_t i = 0; i < n; i++)
                cache[((size_t)t * M + s) * n + i] = grad_of(t, s, i, seed);
    return cache;
}

/* this rank's partial of step t (the tree over its aligned M / K shards)
 * into g, and the tree over all M shards (the reference) into all */
static void step_grads(int t, int r, int K, size_t n, uint64_t seed, float *g, float *all)
{
    memcpy(all, all_grads(n, seed) + (size_t)t * M * n, sizeof(float) * M * n);
    memcpy(g, all + (size_t)r * (M / K) * n, sizeof(float) * (M / K) * n);
    tree_sum_f(g, M / K, n);
    tree_sum_f(all, M, n);
}

/* equal bits of n floats, or a message naming the first difference */
static int same(const float *a, const float *b, size_t n, const char *what, size_t n_all,
                const char *opt, int K, int sharded)
{
    for (size_t i = 0; i < n; i++)
        if (memcmp(&a[i], &b[i], sizeof(float))) {
            EXPECT(0, "%s, %s, n = %zu, K = %d, sharded %d: element %zu %.9g vs %.9g", what,
                   opt, n_all, K, sharded, i, a[i], b[i]);
            return 0;
        }
    return 1;
}

/* STEPS steps of optimiser cfg over n parameters, checked against the
 * serial reference; halfway, the state goes through a checkpoint's
 * gather and restore */
static void run_case(optim_cfg cfg, size_t n, int sharded_env, int r, int K)
{
    const char *name = cfg.kind == OPTIM_SGD ? "sgd" : "adamw";
    const uint64_t seed = 17 + n;
    dett_err e = { "" };
    float *p = malloc(sizeof(float) * n), *pref = malloc(sizeof(float) * n);
    float *g = malloc(sizeof(float) * M * n), *all = malloc(sizeof(float) * M * n);
    for (size_t i = 0; i < n; i++) p[i] = pref[i] = rng_normal(seed, 999, i);
    optim *ref = optim_new(cfg, n);
    ref->ref = 1;   /* the plain loops: the vectorized ones must give their bits */
    optshard os;
    if (sharded_env) unsetenv("DETT_SHARDED_OPT");
    else setenv("DETT_SHARDED_OPT", "0", 1);
    EXPECT(optshard_init(&os, MPI_COMM_WORLD, cfg, n, &e) == 0, "optshard_init: %s", e.msg);
    EXPECT(os.sharded == (sharded_env && K > 1), "sharded %d with env %d at K = %d",
           os.sharded, sharded_env, K);
    for (int t = 0; t < STEPS; t++) {
        step_grads(t, r, K, n, seed, g, all);
        optim_step(ref, pref, all);
        EXPECT(optshard_step(&os, p, g, &e) == 0, "optshard_step: %s", e.msg);
        if (!same(p, pref, n, "params", n, name, K, os.sharded)) break;
        if (t == 0) {   /* a checkpoint: gather, then restore into a new one */
            optim *full = optshard_full(&os, &e);
            EXPECT(full != NULL, "optshard_full: %s", e.msg);
            if (!full) break;
            EXPECT(full->t == ref->t && full->n == n, "t %ld vs %ld", full->t, ref->t);
            same(full->m, ref->m, n, "state m", n, name, K, os.sharded);
            if (ref->v) same(full->v, ref->v, n, "state v", n, name, K, os.sharded);
            optshard back;
            EXPECT(optshard_init(&back, MPI_COMM_WORLD, cfg, n, &e) == 0, "init: %s", e.msg);
            optim *blank = optshard_blank(&back, &e);
            EXPECT(blank && blank->n == n, "optshard_blank");
            blank->t = full->t;
            memcpy(blank->m, full->m, sizeof(float) * n);
            if (full->v) memcpy(blank->v, full->v, sizeof(float) * n);
            optshard_take(&back, blank);
            optshard_done(&os, full);
            optshard_free(&os);
            os = back;
        }
    }
    optshard_free(&os);
    optim_free(ref);
    free(p); free(pref); free(g); free(all);
}

int main(int argc, char **argv)
{
    MPI_Init(&argc, &argv);
    int r, K;
    MPI_Comm_rank(MPI_COMM_WORLD, &r);
    MPI_Comm_size(MPI_COMM_WORLD, &K);
    /* a chunk of 0 or 1 element, uneven chunks, beyond one exchange piece
     * (DAR_SEGMENT / K floats per peer) and beyond a small buffer */
    const size_t sizes[] = { 1, 7, 1001, DAR_SMALL + 3, DAR_SEGMENT + 5 };
    optim_cfg sgd = optim_defaults(OPTIM_SGD), adamw = optim_defaults(OPTIM_ADAMW);
    sgd.lr = 0.05f;
    sgd.wd = 1e-3f;
    adamw.wd = 1e-2f;
    /* sharded with either form of the reduce-scatter (allreduce.h), then
     * unsharded */
    const char *forms[] = { "pairs", "scatter" };
    for (int k = 0; k < 5; k++)
        for (int f = 0; f < 3; f++) {
            if (f < 2) setenv("DETT_ALLREDUCE", forms[f], 1);
            else unsetenv("DETT_ALLREDUCE");
            run_case(sgd, sizes[k], f < 2, r, K);
            run_case(adamw, sizes[k], f < 2, r, K);
        }
    unsetenv("DETT_ALLREDUCE");
    /* the reduce-scatter alone, both forms: each rank's chunk is the
     * allreduce's */
    for (int k = 0; k < 10; k++) {
        size_t n = sizes[k % 5], lo, hi;
        dar d;
        dett_err e = { "" };
        float *g = malloc(sizeof(float) * M * n), *all = malloc(sizeof(float) * M * n);
        float *h = malloc(sizeof(float) * n);
        step_grads(0, r, K, n, 5, g, all);
        memcpy(h, g, sizeof(float) * n);
        EXPECT(dar_init(&d, MPI_COMM_WORLD, n, k < 5 ? DAR_PAIRS : DAR_SCATTER, &e) == 0,
               "dar_init: %s", e.msg);
        dar_chunk(&d, r, &lo, &hi);
        EXPECT(hi - lo == (size_t)(r + 1) * n / K - (size_t)r * n / K, "chunk of rank %d", r);
        EXPECT(dar_reduce_scatter(&d, g, &e) == 0, "dar_reduce_scatter: %s", e.msg);
        EXPECT(dar_allreduce(&d, h, &e) == 0, "dar_allreduce: %s", e.msg);
        const char *form = k < 5 ? "pairs" : "scatter";
        same(g + lo, all + lo, hi - lo, "reduce-scatter vs tree", n, form, K, 1);
        same(g + lo, h + lo, hi - lo, "reduce-scatter vs allreduce", n, form, K, 1);
        dar_free(&d);
        free(g); free(all); free(h);
    }
    all_grads(0, 0);
    int fails = TEST_END(), any;
    MPI_Allreduce(&fails, &any, 1, MPI_INT, MPI_MAX, MPI_COMM_WORLD);
    MPI_Finalize();
    return any;
}
