/* win4_sse.h - the arithmetic of a 2 x 2 max-pooling window, four lanes at
 * a time in SSE, shared by the plain layout's pooling (pool2.c: four
 * windows side by side) and the blocked one's (blocked.c: four channels of
 * one window). The window's entries are a b / c d in row-major order.
 *
 * Both functions do what conv.c's reference loop does per lane: the
 * maximum moves to an entry only when it is strictly greater (ties and NaN
 * keep the earlier entry). _mm_max_ps(x, m) is (x > m ? x : m), that step;
 * nothing branches on the data. Include only where SSE2 is available. */
#ifndef DETT_WIN4_SSE_H
#define DETT_WIN4_SSE_H
#include <emmintrin.h>

/* the window's maximum */
static inline __m128 win4_max(__m128 a, __m128 b, __m128 c, __m128 d)
{
    __m128 m = _mm_max_ps(b, a);
    m = _mm_max_ps(c, m);
    return _mm_max_ps(d, m);
}

/* the window's gradient: g[e] = 0 + dy at the winning entry e, +0 at the
 * others (as += on a zeroed din, which turns -0 into +0). k_e: entry e
 * beats the running maximum; the winner is the last entry that did.
 * relu: the entries are a ReLU's outputs and g
 * is the gradient at the ReLU's input, the ReLU's backward folded in: the
 * winner's value is the window's maximum, so dy passes only where that is
 * > 0 and g is +0 elsewhere, as the ReLU's [out > 0] ? din : 0 gives. */
static inline void win4_route(__m128 a, __m128 b, __m128 c, __m128 d, __m128 dy, int relu,
                              __m128 g[4])
{
    const __m128 k1 = _mm_cmpgt_ps(b, a);
    __m128 m = _mm_max_ps(b, a);
    const __m128 k2 = _mm_cmpgt_ps(c, m);
    m = _mm_max_ps(c, m);
    const __m128 k3 = _mm_cmpgt_ps(d, m);
    const __m128 ones = _mm_castsi128_ps(_mm_set1_epi32(-1));
    const __m128 s2 = _mm_andnot_ps(k3, k2);
    const __m128 s1 = _mm_andnot_ps(_mm_or_ps(k2, k3), k1);
    const __m128 s0 = _mm_andnot_ps(_mm_or_ps(k1, _mm_or_ps(k2, k3)), ones);
    __m128 v = _mm_add_ps(_mm_setzero_ps(), dy);
    if (relu) v = _mm_and_ps(_mm_cmpgt_ps(_mm_max_ps(d, m), _mm_setzero_ps()), v);
    g[0] = _mm_and_ps(s0, v);
    g[1] = _mm_and_ps(s1, v);
    g[2] = _mm_and_ps(s2, v);
    g[3] = _mm_and_ps(k3, v);
}

#endif
