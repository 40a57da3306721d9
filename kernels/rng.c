/* rng.c - counter-based random numbers (see rng.h). */
#include "rng.h"
#include <math.h>

static uint64_t mix64(uint64_t z)
{
    z += 0x9e3779b97f4a7c15ULL;
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

uint64_t rng_u64(uint64_t seed, uint64_t stream, uint64_t index)
{
    return mix64(mix64(mix64(seed) ^ stream) ^ index);
}

float rng_uniform(uint64_t seed, uint64_t stream, uint64_t index)
{
    return (float)(rng_u64(seed, stream, index) >> 40) * (1.0f / 16777216.0f);
}

float rng_normal(uint64_t seed, uint64_t stream, uint64_t index)
{
    uint64_t r = rng_u64(seed, stream, index);
    double u1 = ((double)(r >> 32) + 1.0) / 4294967297.0;   /* (0, 1) */
    double u2 = (double)(r & 0xffffffffu) / 4294967296.0;   /* [0, 1) */
    return (float)(sqrt(-2.0 * log(u1)) * cos(6.283185307179586 * u2));
}

uint32_t rng_below(uint64_t seed, uint64_t stream, uint64_t index, uint32_t n)
{
    return (uint32_t)(((rng_u64(seed, stream, index) >> 32) * (uint64_t)n) >> 32);
}

void rng_permutation(int *perm, int n, uint64_t seed, uint64_t stream)
{
    for (int i = 0; i < n; i++) perm[i] = i;
    for (int i = n - 1; i > 0; i--) {
        int j = (int)rng_below(seed, stream, (uint64_t)i, (uint32_t)(i + 1));
        int t = perm[i]; perm[i] = perm[j]; perm[j] = t;
    }
}

uint64_t rng_stream2(uint64_t a, uint64_t b)
{
    return mix64(a * 0x100000001b3ULL ^ mix64(b));
}
