/* pool2.h - 2 x 2 max pooling, stride 2, the fast path of conv.c's max
 * pooling layer (l->k == 2).
 *
 * Both functions do what conv.c's reference loops do (pool_argmax: the
 * window scanned in row-major order, the maximum moving to an entry only
 * when it is strictly greater, so ties and NaN keep the earlier entry), bit
 * for bit, including -0 and NaN (tests/test_perf_paths.c compares them).
 * On x86-64 four output columns go through SSE registers at a time: the
 * comparisons become masks and nothing branches on the data; the tail and
 * other targets run the scalar loop (as does a build with -DPOOL2_NO_SSE,
 * for timing one against the other).
 */
#ifndef DETT_POOL2_H
#define DETT_POOL2_H

/* out[p, oh, ow] = the maximum of in[p]'s window (2 oh .. 2 oh + 1,
 * 2 ow .. 2 ow + 1), for planes p < P of H x W in and OH x OW out
 * (H >= 2 OH, W >= 2 OW; rows and columns beyond are ignored) */
void pool2_max_forward(float *restrict out, const float *restrict in, long P, int H, int W,
                       int OH, int OW);

/* din = the gradient of pool2_max_forward: each window's four entries are
 * written, 0 except 0.0f + dout at the window's argmax (as += on a zeroed
 * din, which turns -0 into +0). Rows and columns outside every window are
 * not written (the caller zeroes them when H or W is odd).
 * relu = 1: in is a ReLU's output and din the gradient at the ReLU's input
 * (the ReLU's backward folded in, the same bits as the two one after the
 * other): 0.0f + dout at the argmax only where the window's maximum is
 * > 0, else +0. */
void pool2_max_backward(float *restrict din, const float *restrict dout,
                        const float *restrict in, long P, int H, int W, int OH, int OW,
                        int relu);

#endif
