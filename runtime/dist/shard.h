/* shard.h - micro-shard arithmetic (pure functions, no MPI).
 *
 * The n training rows are split into M fixed micro-shards of contiguous rows
 * (shard s holds rows [s n / M, (s + 1) n / M)). A job group of K ranks gives
 * rank r the shards [r M / K, (r + 1) M / K), so each rank reads one
 * contiguous row range. A global batch of B rows takes b_s = B / M rows from
 * each shard (the first B % M shards one more); in epoch e shard s visits its
 * rows in the order rng_permutation(seed, rng_stream2(e, s)), so a batch is
 * the same set of samples whatever K is. Gradients are summed over shards by
 * a balanced binary tree (see allreduce.h), which is why M and K must be
 * powers of two with K <= M.
 */
#ifndef DETT_SHARD_H
#define DETT_SHARD_H
#include <stdint.h>

typedef struct {
    int64_t n;        /* training rows */
    int M;            /* micro-shards */
    int K, r;         /* ranks in the group, this rank */
    int B;            /* global batch */
    int s0, s1;       /* this rank's shards [s0, s1) */
    int64_t steps;    /* steps per epoch (the last partial batch is dropped) */
} shard_plan;

/* fills p; returns 0, or -1 with a reason in why[256] (M or K not a power
 * of two, K > M, B < M, a shard smaller than its per-step rows, ...) */
int shard_plan_make(shard_plan *p, int64_t n, int M, int K, int r, int B, char *why);
int64_t shard_row0(const shard_plan *p, int s);    /* first row of shard s */
int64_t shard_rows(const shard_plan *p, int s);    /* rows in shard s */
int shard_batch_rows(const shard_plan *p, int s);  /* b_s */
int shard_is_pow2(int x);
/* first row of rank r's block when K ranks split n rows in M shards
 * (= shard_row0 of the rank's first shard r M / K; r = K gives n); K must
 * divide M. The row exchange (runtime/train/rowx.h) uses it to find a
 * row's home rank without a plan. */
int64_t shard_home_row0(int64_t n, int M, int K, int r);

#endif
