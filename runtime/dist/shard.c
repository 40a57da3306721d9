/* shard.c - micro-shard arithmetic (see shard.h). */
#include "shard.h"
#include <stdio.h>

int shard_is_pow2(int x) { return x > 0 && (x & (x - 1)) == 0; }

int64_t shard_row0(const shard_plan *p, int s) { return (int64_t)s * p->n / p->M; }

int64_t shard_rows(const shard_plan *p, int s)
{
    return shard_row0(p, s + 1) - shard_row0(p, s);
}

int64_t shard_home_row0(int64_t n, int M, int K, int r)
{
    return (int64_t)r * (M / K) * n / M;
}

int shard_batch_rows(const shard_plan *p, int s)
{
    return p->B / p->M + (s < p->B % p->M ? 1 : 0);
}

int shard_plan_make(shard_plan *p, int64_t n, int M, int K, int r, int B, char *why)
{
    *p = (shard_plan){ .n = n, .M = M, .K = K, .r = r, .B = B };
    if (!shard_is_pow2(M)) {
        snprintf(why, 256, "micro-shards M = %d must be a power of two", M);
        return -1;
    }
    if (!shard_is_pow2(K)) {
        snprintf(why, 256, "ranks per job K = %d must be a power of two (the "
                 "deterministic allreduce sums a balanced tree)", K);
        return -1;
    }
    if (M < K) {
        snprintf(why, 256, "micro-shards M = %d is smaller than the ranks per job "
                 "K = %d: raise --micro-shards", M, K);
        return -1;
    }
    if (B < M) {
        snprintf(why, 256, "global batch %d is smaller than the %d micro-shards", B, M);
        return -1;
    }
    if (n < M) {
        snprintf(why, 256, "%lld training rows cannot fill %d micro-shards",
                 (long long)n, M);
        return -1;
    }
    p->s0 = r * (M / K);
    p->s1 = p->s0 + M / K;
    p->steps = -1;
    for (int s = 0; s < M; s++) {
        int64_t st = shard_rows(p, s) / shard_batch_rows(p, s);
        if (p->steps < 0 || st < p->steps) p->steps = st;
    }
    if (p->steps < 1) {
        snprintf(why, 256, "global batch %d is larger than the %lld training rows",
                 B, (long long)n);
        return -1;
    }
    return 0;
}
