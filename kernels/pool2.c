/* pool2.c - 2 x 2 max pooling (see pool2.h) */
#include "pool2.h"
#include <stddef.h>
#if defined(__x86_64__) && defined(__SSE2__) && !defined(POOL2_NO_SSE)
#include "win4_sse.h"
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
                _mm_storeu_ps(yr + ow, win4_max(a, b, c, d));
            }
#endif
            for (; ow < OW; ow++) yr[ow] = window_max(x0 + 2 * ow, x1 + 2 * ow);
        }
    }
}

void pool2_max_backward(float *restrict din, const float *restrict dout,
                        const float *restrict in, long P, int H, int W, int OH, int OW,
                        int relu)
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
                __m128 g[4];
                win4_route(a, b, c, d, _mm_loadu_ps(dyr + ow), relu, g);
                _mm_storeu_ps(d0 + 2 * ow, _mm_unpacklo_ps(g[0], g[1]));
                _mm_storeu_ps(d0 + 2 * ow + 4, _mm_unpackhi_ps(g[0], g[1]));
                _mm_storeu_ps(d1 + 2 * ow, _mm_unpacklo_ps(g[2], g[3]));
                _mm_storeu_ps(d1 + 2 * ow + 4, _mm_unpackhi_ps(g[2], g[3]));
            }
#endif
            for (; ow < OW; ow++) {
                const int at = window_at(x0 + 2 * ow, x1 + 2 * ow);
                d0[2 * ow] = 0.0f;
                d0[2 * ow + 1] = 0.0f;
                d1[2 * ow] = 0.0f;
                d1[2 * ow + 1] = 0.0f;
                const int pass = !relu || window_max(x0 + 2 * ow, x1 + 2 * ow) > 0.0f;
                d0[(size_t)(at >> 1) * W + 2 * ow + (at & 1)] = pass ? 0.0f + dyr[ow] : 0.0f;
            }
        }
    }
}
