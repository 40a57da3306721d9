/* rsgemm_impl.h - what rsgemm.c (portable and AVX2 paths) shares with
 * rsgemm_avx512.c; not part of the kernels' API (see rsgemm.h). */
#ifndef DETT_RSGEMM_IMPL_H
#define DETT_RSGEMM_IMPL_H
#include "rsgemm.h"
#include <stdint.h>

#define NR RSGEMM_NR
#define MAX_LEVELS 24 /* tree levels: up to 2^23 shards */
#define WG_MAXW 6     /* o-values per weight-gradient tile (dout's packed width) */

/* p rounded up to a 64-byte boundary: panels and tiles start on a cache
 * line, so that no vector load straddles two (the workspace sizes include
 * the 16 floats this may skip) */
static inline float *rsgemm_align64(const float *p)
{
    const uintptr_t u = (uintptr_t)p;
    return (float *)((u + 63) & ~(uintptr_t)63);
}

/* row r of an A (or `in`) operand: rows[r] when row pointers are given,
 * else a + r * lda */
static inline const float *rsgemm_row(const float *a, size_t lda, const float *const *rows,
                                      int r)
{
    return rows ? rows[r] : a + (size_t)r * lda;
}

/* where a forward tile of mr rows of the row-pointer form prefetches, as
 * it runs, rows it does not read: the next tile's rows (r0 ..) of this
 * k-block (ak, kc floats), or, after the last tile, the first tile's rows
 * of the next k-block (ak + kc, kn floats; kn = 0: there is none). Rows
 * past m repeat the last. Returns how many floats from pf[r] the tile may
 * prefetch: every address stays inside the rows. Prefetches only move
 * cache lines: no bits change. A's rows come from anywhere in the data
 * (read in place, not gathered), so without this each tile's first pass
 * over them waits on memory. */
static inline int rsgemm_next_rows(const float **pf, int mr, const float *const *ap, int m,
                                   int r0, int ak, int kc, int kn)
{
    int off = ak, len = kc;
    if (r0 >= m) {
        r0 = 0;
        off = kn > 0 ? ak + kc : ak;
        len = kn;
    }
    for (int r = 0; r < mr; r++) pf[r] = ap[r0 + r < m ? r0 + r : m - 1] + off;
    return len;
}

#if (defined(__x86_64__) || defined(__i386__)) && defined(__GNUC__)
#define RS_X86 1
/* rsgemm_rows and rsgemm_wgrad_tree on AVX-512F (rsgemm_avx512.c): the
 * AVX2 path's per-element sequences in 16-lane registers; pk aligned, ws as
 * for rsgemm_wgrad_tree. ap / inrows not NULL: the row-pointer forms
 * (rsgemm_rows_ptr, rsgemm_wgrad_tree_ptr; a / in unused). */
void rsgemm_rows_avx512(int m, int n, int k, const float *a, size_t lda,
                        const float *const *ap, const float *pk, const float *bias, float *c,
                        size_t ldc);
void rsgemm_wgrad_avx512(int no, int ni, const float *dout, size_t ldo, const float *in,
                         size_t ldi, const float *const *inrows, const int *off, int ns,
                         float *g, size_t ldg, int accumulate, float *ws);
#else
#define RS_X86 0
#endif

#endif
