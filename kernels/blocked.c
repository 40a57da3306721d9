/* blocked.c - image layers on channel-blocked rows (see blocked.h). The
 * innermost loops run over the L (8 or 16) channels of one pixel; 2 x 2
 * max pooling, the common case, is written out in SSE, four channels per
 * vector (the compiler left the argmax of the generic loop scalar: 12 % of
 * a CNN step). Per channel nothing differs from the plain loops of conv.c. */
#include "blocked.h"
#include "conv_dnnl.h"
#include <stddef.h>
#include <string.h>
#if defined(__x86_64__) && defined(__SSE2__)
#include "win4_sse.h"
#define BLK_SSE 1
#endif

/* 1 if the CPU has what oneDNN calls avx512_core */
static int cpu_avx512_core(void)
{
#if (defined(__x86_64__) || defined(__i386__)) && defined(__GNUC__)
    return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw")
        && __builtin_cpu_supports("avx512vl") && __builtin_cpu_supports("avx512dq");
#else
    return 0;
#endif
}

int blk_preferred(void)
{
    return conv_dnnl_built() && cpu_avx512_core() ? 16 : 8;
}

void blk_from_plain(float *restrict dst, const float *restrict src, int C, int HW,
                    int L)
{
    for (int cb = 0; cb < C / L; cb++)
        for (int q = 0; q < HW; q++)
            for (int c = 0; c < L; c++)
                dst[((size_t)cb * HW + q) * L + c] = src[((size_t)cb * L + c) * HW + q];
}

void blk_to_plain(float *restrict dst, const float *restrict src, int C, int HW,
                  int L)
{
    for (int cb = 0; cb < C / L; cb++)
        for (int q = 0; q < HW; q++)
            for (int c = 0; c < L; c++)
                dst[((size_t)cb * L + c) * HW + q] = src[((size_t)cb * HW + q) * L + c];
}

/* the L channels of pixel (h, w) in channel block cb of a blocked row */
static inline const float *pix(const float *row, int cb, int H, int W, int h, int w, int L)
{
    return row + (((size_t)cb * H + h) * W + w) * L;
}

#ifdef BLK_SSE
/* 2 x 2 windows, L channels as L / 4 SSE vectors (h = 0, 4, ...), through
 * win4_sse.h */
static void pool2_fwd_sse(float *out, const float *in, int B, int C, int H, int W, int OH,
                          int OW, int L)
{
    const size_t rin = (size_t)C * H * W, rout = (size_t)C * OH * OW;
    for (int b = 0; b < B; b++)
        for (int cb = 0; cb < C / L; cb++)
            for (int oh = 0; oh < OH; oh++)
                for (int ow = 0; ow < OW; ow++) {
                    const float *row = in + (size_t)b * rin;
                    const float *a = pix(row, cb, H, W, 2 * oh, 2 * ow, L), *b1 = a + L;
                    const float *c = pix(row, cb, H, W, 2 * oh + 1, 2 * ow, L), *d = c + L;
                    float *y = (float *)pix(out + (size_t)b * rout, cb, OH, OW, oh, ow, L);
                    for (int h = 0; h < L; h += 4)
                        _mm_storeu_ps(y + h, win4_max(_mm_loadu_ps(a + h), _mm_loadu_ps(b1 + h),
                                                      _mm_loadu_ps(c + h), _mm_loadu_ps(d + h)));
                }
}

/* relu: as blk_maxpool_backward's */
static void pool2_bwd_sse(float *din, const float *dout, const float *in, int B, int C,
                              int H, int W, int OH, int OW, int L, int relu)
{
    const size_t rin = (size_t)C * H * W, rout = (size_t)C * OH * OW;
    if (H != 2 * OH || W != 2 * OW)   /* rows, columns in no window */
        memset(din, 0, sizeof(float) * (size_t)B * rin);
    for (int b = 0; b < B; b++)
        for (int cb = 0; cb < C / L; cb++)
            for (int oh = 0; oh < OH; oh++)
                for (int ow = 0; ow < OW; ow++) {
                    const size_t ia = (((size_t)cb * H + 2 * oh) * W + 2 * ow) * L;
                    const size_t ic = ia + (size_t)W * L;
                    const float *x = in + (size_t)b * rin;
                    float *dx = din + (size_t)b * rin;
                    const float *dy = pix(dout + (size_t)b * rout, cb, OH, OW, oh, ow, L);
                    for (int h = 0; h < L; h += 4) {
                        __m128 g[4];
                        win4_route(_mm_loadu_ps(x + ia + h), _mm_loadu_ps(x + ia + L + h),
                                   _mm_loadu_ps(x + ic + h), _mm_loadu_ps(x + ic + L + h),
                                   _mm_loadu_ps(dy + h), relu, g);
                        _mm_storeu_ps(dx + ia + h, g[0]);
                        _mm_storeu_ps(dx + ia + L + h, g[1]);
                        _mm_storeu_ps(dx + ic + h, g[2]);
                        _mm_storeu_ps(dx + ic + L + h, g[3]);
                    }
                }
}
#endif

void blk_maxpool_forward(float *out, const float *in, int B, int C, int H, int W, int k,
                         int OH, int OW, int L)
{
#ifdef BLK_SSE
    if (k == 2) {
        pool2_fwd_sse(out, in, B, C, H, W, OH, OW, L);
        return;
    }
#endif
    const size_t rin = (size_t)C * H * W, rout = (size_t)C * OH * OW;
    for (int b = 0; b < B; b++)
        for (int cb = 0; cb < C / L; cb++)
            for (int oh = 0; oh < OH; oh++)
                for (int ow = 0; ow < OW; ow++) {
                    const float *row = in + (size_t)b * rin;
                    float m[BLK_MAX];
                    memcpy(m, pix(row, cb, H, W, oh * k, ow * k, L), sizeof(float) * L);
                    for (int i = 0; i < k; i++)
                        for (int j = i == 0; j < k; j++) {
                            const float *x = pix(row, cb, H, W, oh * k + i, ow * k + j, L);
                            for (int c = 0; c < L; c++) m[c] = x[c] > m[c] ? x[c] : m[c];
                        }
                    memcpy((float *)pix(out + (size_t)b * rout, cb, OH, OW, oh, ow, L), m,
                           sizeof(float) * L);
                }
}

/* Per lane the entry index of the running maximum moves to (i, j) when that
 * entry is strictly greater, as conv.c's pool_argmax; then dout is added at
 * the winning entry and nothing at the others (0 + 0 keeps din's zeros);
 * with relu, 0 is added instead where the maximum is not > 0. */
void blk_maxpool_backward(float *din, const float *dout, const float *in, int B, int C,
                          int H, int W, int k, int OH, int OW, int L, int relu)
{
#ifdef BLK_SSE
    if (k == 2) {
        pool2_bwd_sse(din, dout, in, B, C, H, W, OH, OW, L, relu);
        return;
    }
#endif
    const size_t rin = (size_t)C * H * W, rout = (size_t)C * OH * OW;
    memset(din, 0, sizeof(float) * (size_t)B * rin);
    for (int b = 0; b < B; b++)
        for (int cb = 0; cb < C / L; cb++)
            for (int oh = 0; oh < OH; oh++)
                for (int ow = 0; ow < OW; ow++) {
                    const float *row = in + (size_t)b * rin;
                    const float *dy = pix(dout + (size_t)b * rout, cb, OH, OW, oh, ow, L);
                    float *drow = din + (size_t)b * rin;
                    float m[BLK_MAX];
                    int at[BLK_MAX] = { 0 };
                    memcpy(m, pix(row, cb, H, W, oh * k, ow * k, L), sizeof(float) * L);
                    for (int i = 0; i < k; i++)
                        for (int j = i == 0; j < k; j++) {
                            const float *x = pix(row, cb, H, W, oh * k + i, ow * k + j, L);
                            for (int c = 0; c < L; c++) {
                                const int t = x[c] > m[c];
                                at[c] = t ? i * k + j : at[c];
                                m[c] = t ? x[c] : m[c];
                            }
                        }
                    for (int c = 0; c < L; c++) {
                        float *dx = (float *)pix(drow, cb, H, W, oh * k + at[c] / k,
                                                 ow * k + at[c] % k, L);
                        dx[c] += relu && !(m[c] > 0.0f) ? 0.0f : dy[c];
                    }
                }
}

void blk_gap_forward(float *out, const float *in, int B, int C, int HW, int L)
{
    const float scale = 1.0f / (float)HW;
    for (int b = 0; b < B; b++)
        for (int cb = 0; cb < C / L; cb++) {
            const float *x = in + ((size_t)b * C + (size_t)cb * L) * HW;
            float s[BLK_MAX] = { 0 };
            for (int q = 0; q < HW; q++)
                for (int c = 0; c < L; c++) s[c] += x[(size_t)q * L + c];
            for (int c = 0; c < L; c++) out[(size_t)b * C + (size_t)cb * L + c] = s[c] * scale;
        }
}

void blk_gap_backward(float *din, const float *dout, int B, int C, int HW, int L)
{
    const float scale = 1.0f / (float)HW;
    for (int b = 0; b < B; b++)
        for (int cb = 0; cb < C / L; cb++) {
            float v[BLK_MAX];
            for (int c = 0; c < L; c++) v[c] = dout[(size_t)b * C + (size_t)cb * L + c] * scale;
            float *dx = din + ((size_t)b * C + (size_t)cb * L) * HW;
            for (int q = 0; q < HW; q++) memcpy(dx + (size_t)q * L, v, sizeof(float) * L);
        }
}
