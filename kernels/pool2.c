/* pool2.c - 2 x 2 max pooling (see pool2.h) */
#include "pool2.h"
#include <stddef.h>
#if defined(__x86_64__) && defined(__SSE2__) && !defined(POOL2_NO_SSE)
#include <emmintrin.h>
#define POOL2_SSE 1
#endif

/* the maximum of the window (a b / c d) = (x0[0] x0[1] / x1[0] x1[1])
 * scanned with strict comparisons: each step is (x > m ? x : m), a MAXSS */
static inline float window_max(const float *x0, const float *x1)
{
    float m = x0[0];
    m = x0[1] > m ? x0[1] : m;
    m = x1[0] > m ? x1[0] : m;
    m = x1[1] > m ? x1[1] : m;
    return m;
}

/* the window's argmax (0..3 in row-major order): the index moves to entry e
 * when x_e > the running maximum; comparisons give 0/1 and the index is
 * updated by integer arithmetic, so nothing branches on the data */
static inline int window_at(const float *x0, const float *x1)
{
    float m = x0[0];
    int t = x0[1] > m, w = t;
    m = x0[1] > m ? x0[1] : m;
    t = x1[0] > m;
    w += t * (2 - w);
    m = x1[0] > m ? x1[0] : m;
    t = x1[1] > m;
    w += t * (3 - w);
    return w;
}

#ifdef POOL2_SSE
/* the even and odd entries of x[0 .. 8): four windows' left and right
 * columns */
static inline void split_pairs(const float *x, __m128 *even, __m128 *odd)
{
    const __m128 lo = _mm_loadu_ps(x), hi = _mm_loadu_ps(x + 4);
    *even = _mm_shuffle_ps(lo, hi, _MM_SHUFFLE(2, 0, 2, 0));
    *odd = _mm_shuffle_ps(lo, hi, _MM_SHUFFLE(3, 1, 3, 1));
}
#endif

void pool2_max_forward(float *restrict out, const float *restrict in, long P, int H, int W,
                       int OH, int OW)
{
    for (long pl = 0; pl < P; pl++) {
        const float *x = in + (size_t)pl * H * W;
        float *y = out + (size_t)pl * OH * OW;
        for (int oh = 0; oh < OH; oh++) {
            const float *x0 = x + (size_t)2 * oh * W, *x1 = x0 + W;
            float *yr = y + (size_t)oh * OW;
            int ow = 0;
#ifdef POOL2_SSE
            for (; ow + 4 <= OW; ow += 4) {
                __m128 a, b, c, d;
                split_pairs(x0 + 2 * ow, &a, &b);
                split_pairs(x1 + 2 * ow, &c, &d);
                /* _mm_max_ps(x, m) is (x > m ? x : m), as window_max */
                __m128 m = _mm_max_ps(b, a);
                m = _mm_max_ps(c, m);
                _mm_storeu_ps(yr + ow, _mm_max_ps(d, m));
            }
#endif
            for (; ow < OW; ow++) yr[ow] = window_max(x0 + 2 * ow, x1 + 2 * ow);
        }
    }
}

void pool2_max_backward(float *restrict din, const float *restrict dout,
                        const float *restrict in, long P, int H, int W, int OH, int OW)
{
    for (long pl = 0; pl < P; pl++) {
        const float *x = in + (size_t)pl * H * W, *dy = dout + (size_t)pl * OH * OW;
        float *dx = din + (size_t)pl * H * W;
        for (int oh = 0; oh < OH; oh++) {
            const float *x0 = x + (size_t)2 * oh * W, *x1 = x0 + W;
            float *d0 = dx + (size_t)2 * oh * W, *d1 = d0 + W;
            const float *dyr = dy + (size_t)oh * OW;
            int ow = 0;
#ifdef POOL2_SSE
            for (; ow + 4 <= OW; ow += 4) {
                __m128 a, b, c, d;
                split_pairs(x0 + 2 * ow, &a, &b);
                split_pairs(x1 + 2 * ow, &c, &d);
                /* k_e: entry e beats the running maximum (window_at's t) */
                const __m128 k1 = _mm_cmpgt_ps(b, a);
                __m128 m = _mm_max_ps(b, a);
                const __m128 k2 = _mm_cmpgt_ps(c, m);
                m = _mm_max_ps(c, m);
                const __m128 k3 = _mm_cmpgt_ps(d, m);
                /* the winner: the last entry that beat the maximum */
                const __m128 s3 = k3, s2 = _mm_andnot_ps(k3, k2);
                const __m128 s1 = _mm_andnot_ps(_mm_or_ps(k2, k3), k1);
                const __m128 s0 = _mm_andnot_ps(_mm_or_ps(k1, _mm_or_ps(k2, k3)),
                                                _mm_castsi128_ps(_mm_set1_epi32(-1)));
                const __m128 v = _mm_add_ps(_mm_setzero_ps(), _mm_loadu_ps(dyr + ow));
                const __m128 ga = _mm_and_ps(s0, v), gb = _mm_and_ps(s1, v);
                const __m128 gc = _mm_and_ps(s2, v), gd = _mm_and_ps(s3, v);
                _mm_storeu_ps(d0 + 2 * ow, _mm_unpacklo_ps(ga, gb));
                _mm_storeu_ps(d0 + 2 * ow + 4, _mm_unpackhi_ps(ga, gb));
                _mm_storeu_ps(d1 + 2 * ow, _mm_unpacklo_ps(gc, gd));
                _mm_storeu_ps(d1 + 2 * ow + 4, _mm_unpackhi_ps(gc, gd));
            }
#endif
            for (; ow < OW; ow++) {
                const int at = window_at(x0 + 2 * ow, x1 + 2 * ow);
                d0[2 * ow] = 0.0f;
                d0[2 * ow + 1] = 0.0f;
                d1[2 * ow] = 0.0f;
                d1[2 * ow + 1] = 0.0f;
                d0[(size_t)(at >> 1) * W + 2 * ow + (at & 1)] = 0.0f + dyr[ow];
            }
        }
    }
}
