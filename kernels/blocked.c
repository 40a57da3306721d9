/* blocked.c - image layers on channel-blocked rows (see blocked.h). The
 * innermost loops run over the BLK_C channels of one pixel; 2 x 2 max
 * pooling, the common case, is written out in SSE (the compiler left the
 * argmax of the generic loop scalar: 12 % of a CNN step). Per channel
 * nothing differs from the plain loops of conv.c. */
#include "blocked.h"
#include <stddef.h>
#include <string.h>
#if defined(__x86_64__) && defined(__SSE2__)
#include "win4_sse.h"
#define BLK_SSE 1
#endif

#define L BLK_C

void blk_from_plain(float *restrict dst, const float *restrict src, int C, int HW)
{
    for (int cb = 0; cb < C / L; cb++)
        for (int q = 0; q < HW; q++)
            for (int c = 0; c < L; c++)
                dst[((size_t)cb * HW + q) * L + c] = src[((size_t)cb * L + c) * HW + q];
}

void blk_to_plain(float *restrict dst, const float *restrict src, int C, int HW)
{
    for (int cb = 0; cb < C / L; cb++)
        for (int q = 0; q < HW; q++)
            for (int c = 0; c < L; c++)
                dst[((size_t)cb * L + c) * HW + q] = src[((size_t)cb * HW + q) * L + c];
}

/* the eight channels of pixel (h, w) in channel block cb of a blocked row */
static inline const float *pix(const float *row, int cb, int H, int W, int h, int w)
{
    return row + (((size_t)cb * H + h) * W + w) * L;
}

#ifdef BLK_SSE
/* 2 x 2 windows, eight channels as two SSE vectors (h = 0, 4), through
 * win4_sse.h */
static void pool2_fwd_sse(float *out, const float *in, int B, int C, int H, int W, int OH,
                          int OW)
{
    const size_t rin = (size_t)C * H * W, rout = (size_t)C * OH * OW;
    for (int b = 0; b < B; b++)
        for (int cb = 0; cb < C / L; cb++)
            for (int oh = 0; oh < OH; oh++)
                for (int ow = 0; ow < OW; ow++) {
                    const float *row = in + (size_t)b * rin;
                    const float *a = pix(row, cb, H, W, 2 * oh, 2 * ow), *b1 = a + L;
                    const float *c = pix(row, cb, H, W, 2 * oh + 1, 2 * ow), *d = c + L;
                    float *y = (float *)pix(out + (size_t)b * rout, cb, OH, OW, oh, ow);
                    for (int h = 0; h < L; h += 4)
                        _mm_storeu_ps(y + h, win4_max(_mm_loadu_ps(a + h), _mm_loadu_ps(b1 + h),
                                                      _mm_loadu_ps(c + h), _mm_loadu_ps(d + h)));
                }
}

static void pool2_bwd_sse(float *din, const float *dout, const float *in, int B, int C,
                          int H, int W, int OH, int OW)
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
                    const float *dy = pix(dout + (size_t)b * rout, cb, OH, OW, oh, ow);
                    for (int h = 0; h < L; h += 4) {
                        __m128 g[4];
                        win4_route(_mm_loadu_ps(x + ia + h), _mm_loadu_ps(x + ia + L + h),
                                   _mm_loadu_ps(x + ic + h), _mm_loadu_ps(x + ic + L + h),
                                   _mm_loadu_ps(dy + h), g);
                        _mm_storeu_ps(dx + ia + h, g[0]);
                        _mm_storeu_ps(dx + ia + L + h, g[1]);
                        _mm_storeu_ps(dx + ic + h, g[2]);
                        _mm_storeu_ps(dx + ic + L + h, g[3]);
                    }
                }
}
#endif

void blk_maxpool_forward(float *out, const float *in, int B, int C, int H, int W, int k,
                         int OH, int OW)
{
#ifdef BLK_SSE
    if (k == 2) {
        pool2_fwd_sse(out, in, B, C, H, W, OH, OW);
        return;
    }
#endif
    const size_t rin = (size_t)C * H * W, rout = (size_t)C * OH * OW;
    for (int b = 0; b < B; b++)
        for (int cb = 0; cb < C / L; cb++)
            for (int oh = 0; oh < OH; oh++)
                for (int ow = 0; ow < OW; ow++) {
                    const float *row = in + (size_t)b * rin;
                    float m[L];
                    memcpy(m, pix(row, cb, H, W, oh * k, ow * k), sizeof m);
                    for (int i = 0; i < k; i++)
                        for (int j = i == 0; j < k; j++) {
                            const float *x = pix(row, cb, H, W, oh * k + i, ow * k + j);
                            for (int c = 0; c < L; c++) m[c] = x[c] > m[c] ? x[c] : m[c];
                        }
                    memcpy((float *)pix(out + (size_t)b * rout, cb, OH, OW, oh, ow), m,
                           sizeof m);
                }
}

/* Per lane the entry index of the running maximum moves to (i, j) when that
 * entry is strictly greater, as conv.c's pool_argmax; then dout is added at
 * the winning entry and nothing at the others (0 + 0 keeps din's zeros). */
void blk_maxpool_backward(float *din, const float *dout, const float *in, int B, int C,
                          int H, int W, int k, int OH, int OW)
{
#ifdef BLK_SSE
    if (k == 2) {
        pool2_bwd_sse(din, dout, in, B, C, H, W, OH, OW);
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
                    const float *dy = pix(dout + (size_t)b * rout, cb, OH, OW, oh, ow);
                    float *drow = din + (size_t)b * rin;
                    float m[L];
                    int at[L] = { 0 };
                    memcpy(m, pix(row, cb, H, W, oh * k, ow * k), sizeof m);
                    for (int i = 0; i < k; i++)
                        for (int j = i == 0; j < k; j++) {
                            const float *x = pix(row, cb, H, W, oh * k + i, ow * k + j);
                            for (int c = 0; c < L; c++) {
                                const int t = x[c] > m[c];
                                at[c] = t ? i * k + j : at[c];
                                m[c] = t ? x[c] : m[c];
                            }
                        }
                    for (int c = 0; c < L; c++) {
                        float *dx = (float *)pix(drow, cb, H, W, oh * k + at[c] / k,
                                                 ow * k + at[c] % k);
                        dx[c] += dy[c];
                    }
                }
}

void blk_gap_forward(float *out, const float *in, int B, int C, int HW)
{
    const float scale = 1.0f / (float)HW;
    for (int b = 0; b < B; b++)
        for (int cb = 0; cb < C / L; cb++) {
            const float *x = in + ((size_t)b * C + (size_t)cb * L) * HW;
            float s[L] = { 0 };
            for (int q = 0; q < HW; q++)
                for (int c = 0; c < L; c++) s[c] += x[(size_t)q * L + c];
            for (int c = 0; c < L; c++) out[(size_t)b * C + (size_t)cb * L + c] = s[c] * scale;
        }
}

void blk_gap_backward(float *din, const float *dout, int B, int C, int HW)
{
    const float scale = 1.0f / (float)HW;
    for (int b = 0; b < B; b++)
        for (int cb = 0; cb < C / L; cb++) {
            float v[L];
            for (int c = 0; c < L; c++) v[c] = dout[(size_t)b * C + (size_t)cb * L + c] * scale;
            float *dx = din + ((size_t)b * C + (size_t)cb * L) * HW;
            for (int q = 0; q < HW; q++) memcpy(dx + (size_t)q * L, v, sizeof v);
        }
}
