/* blk_pool_avx.h - the wide forms of blocked.c's 2 x 2 max pooling on
 * blocked rows (blocked.h): 8 channels per AVX2 vector (any L, 8 or 16) and
 * 16 per AVX-512F vector (L = 16). The same arguments, bits and relu as
 * blk_maxpool_forward and blk_maxpool_backward with k = 2; x86-64 with GCC
 * only, and only on a CPU that has the instructions (blocked.c asks). */
#ifndef DETT_BLK_POOL_AVX_H
#define DETT_BLK_POOL_AVX_H

void blk_pool2_fwd_avx2(float *out, const float *in, int B, int C, int H, int W, int OH,
                        int OW, int L);
void blk_pool2_bwd_avx2(float *din, const float *dout, const float *in, int B, int C, int H,
                        int W, int OH, int OW, int L, int relu);
void blk_pool2_fwd_avx512(float *out, const float *in, int B, int C, int H, int W, int OH,
                          int OW);
void blk_pool2_bwd_avx512(float *din, const float *dout, const float *in, int B, int C,
                          int H, int W, int OH, int OW, int relu);

#endif
