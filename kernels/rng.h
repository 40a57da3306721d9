/* rng.h - counter-based random numbers.
 *
 * Every draw is a pure function of (seed, stream, index): no sequential state,
 * so sample i's randomness in epoch e is the same whatever rank computes it and
 * in whatever order. The mixer is SplitMix64's finaliser applied to the key
 * words in turn (a bijection per step, so distinct keys rarely collide).
 */
#ifndef DETT_RNG_H
#define DETT_RNG_H
#include <stdint.h>

/* 64 uniformly distributed bits for the key (seed, stream, index). */
uint64_t rng_u64(uint64_t seed, uint64_t stream, uint64_t index);
/* uniform float in [0, 1), 24 bits of resolution */
float rng_uniform(uint64_t seed, uint64_t stream, uint64_t index);
/* standard normal (Box-Muller on the two 32-bit halves of rng_u64) */
float rng_normal(uint64_t seed, uint64_t stream, uint64_t index);
/* uniform integer in [0, n), n > 0 (Lemire's multiply-shift; bias < 2^-32 * n) */
uint32_t rng_below(uint64_t seed, uint64_t stream, uint64_t index, uint32_t n);
/* perm[0..n) <- a permutation of 0..n-1 (Fisher-Yates keyed by (seed, stream)) */
void rng_permutation(int *perm, int n, uint64_t seed, uint64_t stream);
/* a stream id made of two small integers (e.g. epoch and micro-shard) */
uint64_t rng_stream2(uint64_t a, uint64_t b);

#endif
