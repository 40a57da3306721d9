/* blk_pool_avx.c - 2 x 2 max pooling on blocked rows with 8 (AVX2) or 16
 * (AVX-512F) channels per vector (see blk_pool_avx.h).
 *
 * The per-lane arithmetic of win4_sse.h, only wider: the running maximum
 * moves to an entry when it is strictly greater (MAXPS(x, m) is x > m ? x :
 * m, and ordered greater-than compares give the moves), so ties and NaN
 * keep the earlier entry and the bits are the SSE path's and conv.c's
 * reference loop's (tests/test_blocked.c runs every width). Compiled with
 * target attributes; blocked.c calls a width only on a CPU that has it. */
#include "blk_pool_avx.h"
#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>
#include <stddef.h>
#include <string.h>

#define AVX2 __attribute__((target("avx2")))
#define AVX512 __attribute__((target("avx512f")))
#define INLINE static inline __attribute__((always_inline))

/* element (cb, h, w)'s L channels in a blocked row of C H W (blocked.h) */
static inline size_t at(int cb, int H, int W, int h, int w, int L)
{
    return (((size_t)cb * H + h) * W + w) * L;
}

/* ---- 8 lanes ------------------------------------------------------------ */

AVX2 INLINE __m256 max8(__m256 a, __m256 b, __m256 c, __m256 d)
{
    return _mm256_max_ps(d, _mm256_max_ps(c, _mm256_max_ps(b, a)));
}

/* win4_route on 8 lanes: g[e] = 0 + dy at the winning entry e, +0 at the
 * others; relu: dy passes only where the window's maximum is > 0 */
AVX2 INLINE void route8(__m256 a, __m256 b, __m256 c, __m256 d, __m256 dy, int relu,
                        __m256 g[4])
{
    const __m256 k1 = _mm256_cmp_ps(b, a, _CMP_GT_OQ);
    __m256 m = _mm256_max_ps(b, a);
    const __m256 k2 = _mm256_cmp_ps(c, m, _CMP_GT_OQ);
    m = _mm256_max_ps(c, m);
    const __m256 k3 = _mm256_cmp_ps(d, m, _CMP_GT_OQ);
    const __m256 ones = _mm256_castsi256_ps(_mm256_set1_epi32(-1));
    const __m256 s2 = _mm256_andnot_ps(k3, k2);
    const __m256 s1 = _mm256_andnot_ps(_mm256_or_ps(k2, k3), k1);
    const __m256 s0 = _mm256_andnot_ps(_mm256_or_ps(k1, _mm256_or_ps(k2, k3)), ones);
    __m256 v = _mm256_add_ps(_mm256_setzero_ps(), dy);
    if (relu)
        v = _mm256_and_ps(_mm256_cmp_ps(_mm256_max_ps(d, m), _mm256_setzero_ps(), _CMP_GT_OQ), v);
    g[0] = _mm256_and_ps(s0, v);
    g[1] = _mm256_and_ps(s1, v);
    g[2] = _mm256_and_ps(s2, v);
    g[3] = _mm256_and_ps(k3, v);
}

AVX2 void blk_pool2_fwd_avx2(float *out, const float *in, int B, int C, int H, int W, int OH,
                             int OW, int L)
{
    const size_t rin = (size_t)C * H * W, rout = (size_t)C * OH * OW;
    for (int b = 0; b < B; b++) {
        const float *x = in + (size_t)b * rin;
        float *y = out + (size_t)b * rout;
        for (int cb = 0; cb < C / L; cb++)
            for (int oh = 0; oh < OH; oh++)
                for (int ow = 0; ow < OW; ow++) {
                    const size_t ia = at(cb, H, W, 2 * oh, 2 * ow, L), ic = ia + (size_t)W * L;
                    float *yo = y + at(cb, OH, OW, oh, ow, L);
                    for (int h = 0; h < L; h += 8)
                        _mm256_storeu_ps(yo + h, max8(_mm256_loadu_ps(x + ia + h),
                                                      _mm256_loadu_ps(x + ia + L + h),
                                                      _mm256_loadu_ps(x + ic + h),
                                                      _mm256_loadu_ps(x + ic + L + h)));
                }
    }
}

AVX2 INLINE void bwd8(float *din, const float *dout, const float *in, int B, int C, int H,
                      int W, int OH, int OW, int L, int relu)
{
    const size_t rin = (size_t)C * H * W, rout = (size_t)C * OH * OW;
    if (H != 2 * OH || W != 2 * OW)   /* rows, columns in no window */
        memset(din, 0, sizeof(float) * (size_t)B * rin);
    for (int b = 0; b < B; b++) {
        const float *x = in + (size_t)b * rin;
        float *dx = din + (size_t)b * rin;
        for (int cb = 0; cb < C / L; cb++)
            for (int oh = 0; oh < OH; oh++)
                for (int ow = 0; ow < OW; ow++) {
                    const size_t ia = at(cb, H, W, 2 * oh, 2 * ow, L), ic = ia + (size_t)W * L;
                    const float *dy = dout + (size_t)b * rout + at(cb, OH, OW, oh, ow, L);
                    for (int h = 0; h < L; h += 8) {
                        __m256 g[4];
                        route8(_mm256_loadu_ps(x + ia + h), _mm256_loadu_ps(x + ia + L + h),
                               _mm256_loadu_ps(x + ic + h), _mm256_loadu_ps(x + ic + L + h),
                               _mm256_loadu_ps(dy + h), relu, g);
                        _mm256_storeu_ps(dx + ia + h, g[0]);
                        _mm256_storeu_ps(dx + ia + L + h, g[1]);
                        _mm256_storeu_ps(dx + ic + h, g[2]);
                        _mm256_storeu_ps(dx + ic + L + h, g[3]);
                    }
                }
    }
}

AVX2 void blk_pool2_bwd_avx2(float *din, const float *dout, const float *in, int B, int C,
                             int H, int W, int OH, int OW, int L, int relu)
{
    if (relu)
        bwd8(din, dout, in, B, C, H, W, OH, OW, L, 1);
    else
        bwd8(din, dout, in, B, C, H, W, OH, OW, L, 0);
}

/* ---- 16 lanes ----------------------------------------------------------- */

/* route8 on 16 lanes, the compares as masks */
AVX512 INLINE void route16(__m512 a, __m512 b, __m512 c, __m512 d, __m512 dy, int relu,
                           __m512 g[4])
{
    const __mmask16 k1 = _mm512_cmp_ps_mask(b, a, _CMP_GT_OQ);
    __m512 m = _mm512_max_ps(b, a);
    const __mmask16 k2 = _mm512_cmp_ps_mask(c, m, _CMP_GT_OQ);
    m = _mm512_max_ps(c, m);
    const __mmask16 k3 = _mm512_cmp_ps_mask(d, m, _CMP_GT_OQ);
    __m512 v = _mm512_add_ps(_mm512_setzero_ps(), dy);
    if (relu)
        v = _mm512_maskz_mov_ps(
            _mm512_cmp_ps_mask(_mm512_max_ps(d, m), _mm512_setzero_ps(), _CMP_GT_OQ), v);
    g[0] = _mm512_maskz_mov_ps((__mmask16)~(k1 | k2 | k3), v);
    g[1] = _mm512_maskz_mov_ps((__mmask16)(k1 & ~(k2 | k3)), v);
    g[2] = _mm512_maskz_mov_ps((__mmask16)(k2 & ~k3), v);
    g[3] = _mm512_maskz_mov_ps(k3, v);
}

AVX512 void blk_pool2_fwd_avx512(float *out, const float *in, int B, int C, int H, int W,
                                 int OH, int OW)
{
    const int L = 16;
    const size_t rin = (size_t)C * H * W, rout = (size_t)C * OH * OW;
    for (int b = 0; b < B; b++) {
        const float *x = in + (size_t)b * rin;
        float *y = out + (size_t)b * rout;
        for (int cb = 0; cb < C / L; cb++)
            for (int oh = 0; oh < OH; oh++)
                for (int ow = 0; ow < OW; ow++) {
                    const size_t ia = at(cb, H, W, 2 * oh, 2 * ow, L), ic = ia + (size_t)W * L;
                    __m512 m = _mm512_max_ps(_mm512_loadu_ps(x + ia + L), _mm512_loadu_ps(x + ia));
                    m = _mm512_max_ps(_mm512_loadu_ps(x + ic), m);
                    m = _mm512_max_ps(_mm512_loadu_ps(x + ic + L), m);
                    _mm512_storeu_ps(y + at(cb, OH, OW, oh, ow, L), m);
                }
    }
}

AVX512 INLINE void bwd16(float *din, const float *dout, const float *in, int B, int C, int H,
                         int W, int OH, int OW, int relu)
{
    const int L = 16;
    const size_t rin = (size_t)C * H * W, rout = (size_t)C * OH * OW;
    if (H != 2 * OH || W != 2 * OW)   /* rows, columns in no window */
        memset(din, 0, sizeof(float) * (size_t)B * rin);
    for (int b = 0; b < B; b++) {
        const float *x = in + (size_t)b * rin;
        float *dx = din + (size_t)b * rin;
        for (int cb = 0; cb < C / L; cb++)
            for (int oh = 0; oh < OH; oh++)
                for (int ow = 0; ow < OW; ow++) {
                    const size_t ia = at(cb, H, W, 2 * oh, 2 * ow, L), ic = ia + (size_t)W * L;
                    const float *dy = dout + (size_t)b * rout + at(cb, OH, OW, oh, ow, L);
                    __m512 g[4];
                    route16(_mm512_loadu_ps(x + ia), _mm512_loadu_ps(x + ia + L),
                            _mm512_loadu_ps(x + ic), _mm512_loadu_ps(x + ic + L),
                            _mm512_loadu_ps(dy), relu, g);
                    _mm512_storeu_ps(dx + ia, g[0]);
                    _mm512_storeu_ps(dx + ia + L, g[1]);
                    _mm512_storeu_ps(dx + ic, g[2]);
                    _mm512_storeu_ps(dx + ic + L, g[3]);
                }
    }
}

AVX512 void blk_pool2_bwd_avx512(float *din, const float *dout, const float *in, int B, int C,
                                 int H, int W, int OH, int OW, int relu)
{
    if (relu)
        bwd16(din, dout, in, B, C, H, W, OH, OW, 1);
    else
        bwd16(din, dout, in, B, C, H, W, OH, OW, 0);
}
#endif
