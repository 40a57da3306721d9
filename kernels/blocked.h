/* blocked.h - the channel-blocked image layout between oneDNN convolutions.
 *
 * A row (one sample) of an image [C, H, W] is stored plain, element (c, h, w)
 * at (c H + h) W + w, or blocked by L = 8 or 16 channels (oneDNN's nChw8c,
 * nChw16c), element (c, h, w) at ((c / L) H + h) W + w) L + c % L: L
 * channels of one pixel side by side. oneDNN's f32 convolutions pick 8 on
 * AVX2 and 16 on AVX-512; blk_preferred() says which, and the model's plan
 * stores its choice in layer.h blk_in, blk_out. Rows stay rows (each
 * sample's C H W floats are contiguous in both layouts), so anything that
 * slices a batch into rows works on either; only per-element readers care.
 * Every function below takes the block L (8 or 16); C must be a multiple
 * of it.
 *
 * model.c decides which activations are blocked (model.h, "Layouts"): a
 * oneDNN convolution's output stays blocked through ReLU and max pooling
 * into the next convolution or the global average pooling, which saves the
 * reorders oneDNN would do at every layer boundary. The functions below
 * are the layers' blocked forms. Each does, for every channel, the
 * arithmetic of the plain loop in conv.c in the same order, so blocked and
 * plain give the same bits, with either block (tests/test_blocked.c
 * compares them).
 *
 * Pure functions over caller-owned buffers; no state, no allocation
 * (blk_preferred asks the CPU each call).
 */
#ifndef DETT_BLOCKED_H
#define DETT_BLOCKED_H

#define BLK_MAX 16   /* the largest block */

/* the block oneDNN's f32 convolutions use on this CPU: 16 where it has
 * AVX-512 (avx512f, bw, vl, dq: oneDNN's avx512_core) and the build has
 * oneDNN, else 8 */
int blk_preferred(void);

/* one row [C, H, W]: plain -> blocked and blocked -> plain (dst and src
 * must not overlap) */
void blk_from_plain(float *restrict dst, const float *restrict src, int C, int HW, int L);
void blk_to_plain(float *restrict dst, const float *restrict src, int C, int HW, int L);

/* k x k max pooling with stride k over B blocked rows [C, H, W] ->
 * [C, OH, OW]: per channel the window scanned in row-major order, the
 * maximum moving only to a strictly greater entry (ties and NaN keep the
 * earlier one) */
void blk_maxpool_forward(float *out, const float *in, int B, int C, int H, int W, int k,
                         int OH, int OW, int L);
/* its gradient: din zeroed, then din[argmax] += dout for every window.
 * relu = 1: in is a ReLU's output and din the gradient at the ReLU's input
 * (the ReLU's backward folded in, the same bits as the two one after the
 * other): dout is added only where the window's maximum is > 0. */
void blk_maxpool_backward(float *din, const float *dout, const float *in, int B, int C,
                          int H, int W, int k, int OH, int OW, int L, int relu);

/* global average pooling of B blocked rows [C, H, W] -> plain [B, C]:
 * out[b, c] = (sum over h, w in order from +0) * (1 / (H W)) */
void blk_gap_forward(float *out, const float *in, int B, int C, int HW, int L);
/* din[b, c, h, w] = dout[b, c] * (1 / (H W)), din blocked */
void blk_gap_backward(float *din, const float *dout, int B, int C, int HW, int L);

#endif
