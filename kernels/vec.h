/* vec.h - elementwise loops written so that the compiler vectorizes them at
 * -O2 (kernels/ and the runtime's gradient sums, runtime/dist/allreduce.c).
 *
 * GCC's default cost model at -O2 vectorizes a loop only when the vector code
 * replaces the scalar code entirely: a trip count that is a multiple of the
 * vector width, and no run-time alias check. So each helper runs an inner
 * loop of exactly VEC_BLOCK elements over restrict-qualified pointers, then a
 * scalar tail. Every element gets the same IEEE operations, in the same order,
 * as in the plain loop it replaces (the build is ISO C, so no contraction into
 * FMA): results are bit-identical to the reference loops (see
 * tests/test_perf_paths.c). The pointers of one call must not overlap.
 */
#ifndef DETT_VEC_H
#define DETT_VEC_H
#include <stddef.h>

#define VEC_BLOCK 8

/* out[n] = max{0, in[n]} as (x > 0 ? x : 0): NaN and -0 give +0 */
static inline void vec_relu(float *restrict out, const float *restrict in, size_t n)
{
    size_t i = 0;
    for (; i + VEC_BLOCK <= n; i += VEC_BLOCK)
        for (int j = 0; j < VEC_BLOCK; j++) {
            float v = in[i + j];
            out[i + j] = v > 0.0f ? v : 0.0f;
        }
    for (; i < n; i++) out[i] = in[i] > 0.0f ? in[i] : 0.0f;
}

/* din[n] = out[n] > 0 ? dout[n] : 0 (dout is read unconditionally, which
 * lets the select be vectorized) */
static inline void vec_relu_back(float *restrict din, const float *restrict dout,
                                 const float *restrict out, size_t n)
{
    size_t i = 0;
    for (; i + VEC_BLOCK <= n; i += VEC_BLOCK)
        for (int j = 0; j < VEC_BLOCK; j++) {
            float d = dout[i + j], o = out[i + j];
            din[i + j] = o > 0.0f ? d : 0.0f;
        }
    for (; i < n; i++) din[i] = out[i] > 0.0f ? dout[i] : 0.0f;
}

/* dst[n] = max(src[n] + b, 0) as the ReLU layer computes it (v > 0 ? v : +0) */
static inline void vec_add_scalar_relu(float *restrict dst, const float *restrict src,
                                       float b, size_t n)
{
    size_t i = 0;
    for (; i + VEC_BLOCK <= n; i += VEC_BLOCK)
        for (int j = 0; j < VEC_BLOCK; j++) {
            const float v = src[i + j] + b;
            dst[i + j] = v > 0.0f ? v : 0.0f;
        }
    for (; i < n; i++) {
        const float v = src[i] + b;
        dst[i] = v > 0.0f ? v : 0.0f;
    }
}

/* dst[n] = src[n] + b */
static inline void vec_add_scalar(float *restrict dst, const float *restrict src,
                                  float b, size_t n)
{
    size_t i = 0;
    for (; i + VEC_BLOCK <= n; i += VEC_BLOCK)
        for (int j = 0; j < VEC_BLOCK; j++) dst[i + j] = src[i + j] + b;
    for (; i < n; i++) dst[i] = src[i] + b;
}

/* acc[n] += x[n] */
static inline void vec_acc(float *restrict acc, const float *restrict x, size_t n)
{
    size_t i = 0;
    for (; i + VEC_BLOCK <= n; i += VEC_BLOCK)
        for (int j = 0; j < VEC_BLOCK; j++) acc[i + j] += x[i + j];
    for (; i < n; i++) acc[i] += x[i];
}

/* acc[n] += x[n], then x[n] = +0 (a tree sum that hands the right operand's
 * buffer back zeroed, for the next GEMM to accumulate into) */
static inline void vec_acc_clear(float *restrict acc, float *restrict x, size_t n)
{
    size_t i = 0;
    for (; i + VEC_BLOCK <= n; i += VEC_BLOCK)
        for (int j = 0; j < VEC_BLOCK; j++) {
            acc[i + j] += x[i + j];
            x[i + j] = 0.0f;
        }
    for (; i < n; i++) {
        acc[i] += x[i];
        x[i] = 0.0f;
    }
}

/* dst[n] = a[n] + b[n], then a[n] = b[n] = +0 */
static inline void vec_add_clear(float *restrict dst, float *restrict a, float *restrict b,
                                 size_t n)
{
    size_t i = 0;
    for (; i + VEC_BLOCK <= n; i += VEC_BLOCK)
        for (int j = 0; j < VEC_BLOCK; j++) {
            dst[i + j] = a[i + j] + b[i + j];
            a[i + j] = 0.0f;
            b[i + j] = 0.0f;
        }
    for (; i < n; i++) {
        dst[i] = a[i] + b[i];
        a[i] = 0.0f;
        b[i] = 0.0f;
    }
}

/* dst[n] = src[n], then src[n] = +0 */
static inline void vec_move_clear(float *restrict dst, float *restrict src, size_t n)
{
    size_t i = 0;
    for (; i + VEC_BLOCK <= n; i += VEC_BLOCK)
        for (int j = 0; j < VEC_BLOCK; j++) {
            dst[i + j] = src[i + j];
            src[i + j] = 0.0f;
        }
    for (; i < n; i++) {
        dst[i] = src[i];
        src[i] = 0.0f;
    }
}

#endif
