/* rsgemm_avx512.c - the row-stable GEMM's AVX-512F path (see rsgemm.h).
 *
 * The same per-element sequences as the AVX2 and portable paths: one fma
 * chain per output element from +0 in k (or row) order, + bias after the
 * chain, the weight gradient's shards combined by the same binary counter.
 * Only the register width differs: a packed panel's 16 columns are one
 * 16-lane register, and column tails are masked lanes instead of padded
 * copies, so the bits are the AVX2 path's on every shape (test_rsgemm
 * compares the three paths). Compiled with a target attribute, called by
 * rsgemm.c when the CPU has AVX-512F. */
#include "rsgemm_impl.h"
#if RS_X86
#include <immintrin.h>
#include <string.h>

#define RS5 __attribute__((target("avx512f,fma")))
#define RS_INLINE static inline __attribute__((always_inline))
#define MR5 12  /* rows per forward tile: 12 x 2 accumulators of 16 lanes */
#define KC5 192 /* k-block: two panels of it are 24 KB, in L1 across rows */

/* the first nc lanes (1 <= nc <= 16) */
static inline __mmask16 lanes(int nc) { return (__mmask16)((1u << nc) - 1u); }

/* one k-block of a tile of mr rows by np panels (16 columns each, np 1 or
 * 2; p0, p1 the panels' k-blocks), A's rows at a + r lda (ptr = 0) or at
 * ap[r] + ak (ptr = 1: row pointers, the same loads of the same floats):
 * acc = (first ? +0 : the partial stored
 * in c), one fma chain per lane over kk, stored back to c's valid lanes
 * (masks m0, m1), + bias when bias is not NULL (the last k-block). mr, np
 * and ptr are constants after inlining, so acc stays in registers. */
RS5 RS_INLINE void rows_tile(int mr, int np, int ptr, int k, const float *a, size_t lda,
                             const float *const *ap, int ak, const float *const *pf, int pfn,
                             const float *p0, const float *p1, int first, const float *bias,
                             float *c, size_t ldc, __mmask16 m0, __mmask16 m1)
{
    __m512 acc[MR5][2];
    const float *ar[MR5];   /* ptr: the tile's rows, from column ak (hoisted) */
#pragma GCC unroll 12
    for (int r = 0; r < MR5; r++) {
        if (r >= mr) break;
        ar[r] = ptr ? ap[r] + ak : NULL;
    }
#pragma GCC unroll 12
    for (int r = 0; r < MR5; r++) {
        if (r >= mr) break;
        const float *cr = c + (size_t)r * ldc;
        acc[r][0] = first ? _mm512_setzero_ps() : _mm512_maskz_loadu_ps(m0, cr);
        if (np == 2) acc[r][1] = first ? _mm512_setzero_ps() : _mm512_maskz_loadu_ps(m1, cr + NR);
    }
    for (int kk = 0; kk < k; kk++) {
        if (ptr && (kk & 15) == 0 && kk < pfn)   /* the next tile's rows, a line per row */
#pragma GCC unroll 12
            for (int r = 0; r < MR5; r++) _mm_prefetch((const char *)(pf[r] + kk), _MM_HINT_T0);
        const __m512 b0 = _mm512_load_ps(p0 + (size_t)kk * NR);
        const __m512 b1 = np == 2 ? _mm512_load_ps(p1 + (size_t)kk * NR) : b0;
#pragma GCC unroll 12
        for (int r = 0; r < MR5; r++) {
            if (r >= mr) break;
            const __m512 av = _mm512_set1_ps(ptr ? ar[r][kk] : a[(size_t)r * lda + kk]);
            acc[r][0] = _mm512_fmadd_ps(av, b0, acc[r][0]);
            if (np == 2) acc[r][1] = _mm512_fmadd_ps(av, b1, acc[r][1]);
        }
    }
#pragma GCC unroll 12
    for (int r = 0; r < MR5; r++) {
        if (r >= mr) break;
        float *cr = c + (size_t)r * ldc;
        __m512 v0 = acc[r][0];
        if (bias) v0 = _mm512_add_ps(v0, _mm512_maskz_loadu_ps(m0, bias));
        _mm512_mask_storeu_ps(cr, m0, v0);
        if (np == 2) {
            __m512 v1 = acc[r][1];
            if (bias) v1 = _mm512_add_ps(v1, _mm512_maskz_loadu_ps(m1, bias + NR));
            _mm512_mask_storeu_ps(cr + NR, m1, v1);
        }
    }
}

/* all m rows of one k-block of np panels: MR5 at a time, the row tail
 * through the same tile with fewer rows (each lane's chain unchanged); A's
 * rows as rows_tile (ptr: ap[r] + ak; kn the next k-block's length, 0 for
 * none: where the last tile prefetches) */
RS5 RS_INLINE void rows_block(int np, int ptr, int m, int k, const float *a, size_t lda,
                              const float *const *ap, int ak, int kn, const float *p0,
                              const float *p1, int first, const float *bias, float *c,
                              size_t ldc, __mmask16 m0, __mmask16 m1)
{
    const float *pf[MR5];   /* ptr: where the tile prefetches (rsgemm_next_rows) */
    int pfn = 0, r = 0;
    for (; r + MR5 <= m; r += MR5) {
        if (ptr) pfn = rsgemm_next_rows(pf, MR5, ap, m, r + MR5, ak, k, kn);
        rows_tile(MR5, np, ptr, k, ptr ? NULL : a + (size_t)r * lda, lda, ptr ? ap + r : NULL,
                  ak, pf, pfn, p0, p1, first, bias, c + (size_t)r * ldc, ldc, m0, m1);
    }
    const float *ar = ptr ? NULL : a + (size_t)r * lda;
    const float *const *apr = ptr ? ap + r : NULL;
    float *cr = c + (size_t)r * ldc;
    if (ptr && r < m) pfn = rsgemm_next_rows(pf, MR5, ap, m, m, ak, k, kn);
#define RS5_TAIL(t)                                                                       \
    case t:                                                                               \
        rows_tile(t, np, ptr, k, ar, lda, apr, ak, pf, pfn, p0, p1, first, bias, cr, ldc, m0, \
                  m1);                                                                    \
        break
    switch (m - r) {
        RS5_TAIL(11); RS5_TAIL(10); RS5_TAIL(9); RS5_TAIL(8); RS5_TAIL(7); RS5_TAIL(6);
        RS5_TAIL(5); RS5_TAIL(4); RS5_TAIL(3); RS5_TAIL(2); RS5_TAIL(1);
    default: break;
    }
#undef RS5_TAIL
}

/* rows_block instances: two panels or one, contiguous A or row pointers */
RS5 static void rows_block2(int m, int k, const float *a, size_t lda, const float *p0,
                            const float *p1, int first, const float *bias, float *c, size_t ldc,
                            __mmask16 m0, __mmask16 m1)
{
    rows_block(2, 0, m, k, a, lda, NULL, 0, 0, p0, p1, first, bias, c, ldc, m0, m1);
}

RS5 static void rows_block1(int m, int k, const float *a, size_t lda, const float *p0,
                            int first, const float *bias, float *c, size_t ldc, __mmask16 m0)
{
    rows_block(1, 0, m, k, a, lda, NULL, 0, 0, p0, p0, first, bias, c, ldc, m0, 0);
}

RS5 static void rows_block2_ptr(int m, int k, const float *const *ap, int ak, int kn,
                                const float *p0, const float *p1, int first, const float *bias,
                                float *c, size_t ldc, __mmask16 m0, __mmask16 m1)
{
    rows_block(2, 1, m, k, NULL, 0, ap, ak, kn, p0, p1, first, bias, c, ldc, m0, m1);
}

RS5 static void rows_block1_ptr(int m, int k, const float *const *ap, int ak, int kn,
                                const float *p0, int first, const float *bias, float *c,
                                size_t ldc, __mmask16 m0)
{
    rows_block(1, 1, m, k, NULL, 0, ap, ak, kn, p0, p0, first, bias, c, ldc, m0, 0);
}

/* rsgemm_rows (ap NULL: A at a with lda) and rsgemm_rows_ptr (A's rows at
 * ap[r]): two panels (32 columns) at a time, the odd last panel alone;
 * k-block by k-block (a stored partial is the float its chain holds, so
 * blocking k does not change bits) */
RS5 void rsgemm_rows_avx512(int m, int n, int k, const float *a, size_t lda,
                            const float *const *ap, const float *pk, const float *bias, float *c,
                            size_t ldc)
{
    const int npan = (n + NR - 1) / NR;
    for (int pp = 0; pp < npan; pp += 2) {
        const int j0 = pp * NR, two = npan - pp >= 2;
        const __mmask16 m0 = lanes(n - j0 < NR ? n - j0 : NR);
        const __mmask16 m1 = two ? lanes(n - j0 - NR < NR ? n - j0 - NR : NR) : 0;
        for (int k0 = 0; k0 < k; k0 += KC5) {
            const int kc = k - k0 < KC5 ? k - k0 : KC5;
            const float *p0 = pk + (size_t)pp * k * NR + (size_t)k0 * NR;
            const float *p1 = p0 + (size_t)k * NR;
            const float *bj = bias && k0 + kc == k ? bias + j0 : NULL;
            const int kn = k - k0 - kc < KC5 ? k - k0 - kc : KC5;   /* the next block's */
            if (ap && two)
                rows_block2_ptr(m, kc, ap, k0, kn, p0, p1, k0 == 0, bj, c + j0, ldc, m0, m1);
            else if (ap)
                rows_block1_ptr(m, kc, ap, k0, kn, p0, k0 == 0, bj, c + j0, ldc, m0);
            else if (two)
                rows_block2(m, kc, a + k0, lda, p0, p1, k0 == 0, bj, c + j0, ldc, m0, m1);
            else
                rows_block1(m, kc, a + k0, lda, p0, k0 == 0, bj, c + j0, ldc, m0);
        }
    }
}

/* ---- weight gradient ---------------------------------------------------- */

/* one shard's rows r0 .. r1 - 1 into a tile of WG_MAXW o-values by np
 * blocks of 16 columns: acc = +0, one fma chain per lane over the rows */
RS5 RS_INLINE void wg_shard(int np, __m512 acc[WG_MAXW][2], const float *x0, const float *x1,
                            const float *dp, int r0, int r1)
{
#pragma GCC unroll 6
    for (int o = 0; o < WG_MAXW; o++) acc[o][0] = acc[o][1] = _mm512_setzero_ps();
    for (int r = r0; r < r1; r++) {
        const __m512 v0 = _mm512_load_ps(x0 + (size_t)r * NR);
        const __m512 v1 = np == 2 ? _mm512_load_ps(x1 + (size_t)r * NR) : v0;
        const float *d = dp + (size_t)r * WG_MAXW;
#pragma GCC unroll 6
        for (int o = 0; o < WG_MAXW; o++) {
            const __m512 dv = _mm512_set1_ps(d[o]);
            acc[o][0] = _mm512_fmadd_ps(dv, v0, acc[o][0]);
            if (np == 2) acc[o][1] = _mm512_fmadd_ps(dv, v1, acc[o][1]);
        }
    }
}

/* acc = left + acc for a tile (the counter's merge: earlier shards left) */
RS5 RS_INLINE void wg_add(int np, __m512 acc[WG_MAXW][2], __m512 left[WG_MAXW][2])
{
#pragma GCC unroll 6
    for (int o = 0; o < WG_MAXW; o++) {
        acc[o][0] = _mm512_add_ps(left[o][0], acc[o][0]);
        if (np == 2) acc[o][1] = _mm512_add_ps(left[o][1], acc[o][1]);
    }
}

/* shards s and s + 1 into acc: (shard s) + (shard s + 1), level 1 of the
 * counter; 4 x 6 accumulators fit the 32 registers */
RS5 RS_INLINE void wg_pair(int np, __m512 acc[WG_MAXW][2], const float *x0, const float *x1,
                           const float *dp, const int *off, int s)
{
    __m512 lo[WG_MAXW][2];
    wg_shard(np, lo, x0, x1, dp, off[s], off[s + 1]);
    wg_shard(np, acc, x0, x1, dp, off[s + 1], off[s + 2]);
    wg_add(np, acc, lo);
}

/* a WG_MAXW x 16 np tile of G: the AVX2 path's wgrad_tile with shards in
 * pairs (rsgemm.c describes the counter), mo x valid lanes written once */
RS5 RS_INLINE void wg_tile(int np, const float *dp, const float *x0, const float *x1,
                           const int *off, int ns, float *g, size_t ldg, int mo, __mmask16 m0,
                           __mmask16 m1, int accumulate)
{
    __m512 stk[MAX_LEVELS][WG_MAXW][2];
    __m512 res[WG_MAXW][2];
    for (int o = 0; o < mo; o++) _mm_prefetch((const char *)(g + (size_t)o * ldg), _MM_HINT_T0);
    int s = 0, l;
    for (; s + 2 < ns; s += 2) {
        __m512 acc[WG_MAXW][2];
        wg_pair(np, acc, x0, x1, dp, off, s);
        for (l = 1; ((s + 1) >> l) & 1; l++) wg_add(np, acc, stk[l]);
#pragma GCC unroll 6
        for (int o = 0; o < WG_MAXW; o++) {
            stk[l][o][0] = acc[o][0];
            if (np == 2) stk[l][o][1] = acc[o][1];
        }
    }
    if (ns - s == 2) {
        wg_pair(np, res, x0, x1, dp, off, s);
        for (l = 1; ((s + 1) >> l) & 1; l++) wg_add(np, res, stk[l]);
    } else if (ns - s == 1) {
        wg_shard(np, res, x0, x1, dp, off[s], off[s + 1]);
        for (l = 0; (s >> l) & 1; l++) wg_add(np, res, stk[l]);
    } else {   /* ns == 0 */
#pragma GCC unroll 6
        for (int o = 0; o < WG_MAXW; o++) res[o][0] = res[o][1] = _mm512_setzero_ps();
        l = MAX_LEVELS;
    }
    for (l++; l < MAX_LEVELS; l++)   /* the root: higher set bits of ns */
        if ((ns >> l) & 1) wg_add(np, res, stk[l]);
#pragma GCC unroll 6
    for (int o = 0; o < WG_MAXW; o++) {
        if (o >= mo) break;
        float *gr = g + (size_t)o * ldg;
        __m512 v0 = res[o][0];
        if (accumulate) v0 = _mm512_add_ps(_mm512_maskz_loadu_ps(m0, gr), v0);
        _mm512_mask_storeu_ps(gr, m0, v0);
        if (np == 2) {
            __m512 v1 = res[o][1];
            if (accumulate) v1 = _mm512_add_ps(_mm512_maskz_loadu_ps(m1, gr + NR), v1);
            _mm512_mask_storeu_ps(gr + NR, m1, v1);
        }
    }
}

RS5 static void wg_tile2(const float *dp, const float *x0, const float *x1, const int *off,
                         int ns, float *g, size_t ldg, int mo, __mmask16 m0, __mmask16 m1,
                         int accumulate)
{
    wg_tile(2, dp, x0, x1, off, ns, g, ldg, mo, m0, m1, accumulate);
}

RS5 static void wg_tile1(const float *dp, const float *x0, const int *off, int ns, float *g,
                         size_t ldg, int mo, __mmask16 m0, int accumulate)
{
    wg_tile(1, dp, x0, x0, off, ns, g, ldg, mo, m0, 0, accumulate);
}

/* rsgemm_wgrad_tree (inrows NULL) and rsgemm_wgrad_tree_ptr (in's rows at
 * inrows[r]): in packed once into blocks of 16 columns (zero lanes
 * past ni); per block of WG_MAXW o-values dout's values packed (zeros past
 * no), then the tiles along G's rows, two column blocks at a time */
RS5 void rsgemm_wgrad_avx512(int no, int ni, const float *dout, size_t ldo, const float *in,
                             size_t ldi, const float *const *inrows, const int *off, int ns,
                             float *g, size_t ldg, int accumulate, float *ws)
{
    const int rows = off[ns], nib = (ni + NR - 1) / NR;
    float *xp = rsgemm_align64(ws), *dp = rsgemm_align64(xp + (size_t)rows * nib * NR);
    for (int ib = 0; ib < nib; ib++) {
        const __mmask16 m = lanes(ni - ib * NR < NR ? ni - ib * NR : NR);
        float *x = xp + (size_t)ib * rows * NR;
        const size_t i0 = (size_t)ib * NR;
        if (inrows)   /* the test hoisted out of the row loops (-O2 does not unswitch) */
            for (int r = 0; r < rows; r++)
                _mm512_store_ps(x + (size_t)r * NR, _mm512_maskz_loadu_ps(m, inrows[r] + i0));
        else
            for (int r = 0; r < rows; r++)
                _mm512_store_ps(x + (size_t)r * NR,
                                _mm512_maskz_loadu_ps(m, in + (size_t)r * ldi + i0));
    }
    for (int o0 = 0; o0 < no; o0 += WG_MAXW) {
        const int mo = no - o0 < WG_MAXW ? no - o0 : WG_MAXW;
        if (mo == WG_MAXW)
            for (int r = 0; r < rows; r++)
                memcpy(dp + (size_t)r * WG_MAXW, dout + (size_t)r * ldo + o0,
                       WG_MAXW * sizeof(float));
        else
            for (int r = 0; r < rows; r++) {
                float *d = dp + (size_t)r * WG_MAXW;
                int t = 0;
                for (; t < mo; t++) d[t] = dout[(size_t)r * ldo + o0 + t];
                for (; t < WG_MAXW; t++) d[t] = 0.0f;
            }
        for (int ib = 0; ib < nib; ib += 2) {
            const int i0 = ib * NR;
            const __mmask16 m0 = lanes(ni - i0 < NR ? ni - i0 : NR);
            float *gt = g + (size_t)o0 * ldg + i0;
            const float *x0 = xp + (size_t)ib * rows * NR;
            if (ib + 1 < nib)
                wg_tile2(dp, x0, x0 + (size_t)rows * NR, off, ns, gt, ldg, mo,
                         m0, lanes(ni - i0 - NR < NR ? ni - i0 - NR : NR), accumulate);
            else
                wg_tile1(dp, x0, off, ns, gt, ldg, mo, m0, accumulate);
        }
    }
}
#endif
