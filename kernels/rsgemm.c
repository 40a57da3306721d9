/* rsgemm.c - row-stable GEMM (see rsgemm.h): packing, the portable path and
 * the AVX2 path, and the dispatch to rsgemm_avx512.c. The AVX2 path
 * computes a MR x 16 tile of C in 12 registers; the portable path walks the
 * same elements with fmaf(); all paths give each element the same fma
 * chain. */
#include "rsgemm_impl.h"
#include <math.h>
#include <string.h>

#define MR WG_MAXW    /* rows (forward) or o-values (weight gradient) per tile */
#define KC 256        /* k-block of rsgemm_rows (the panel block: 16 KB) */

#if RS_X86
#include <immintrin.h>
#endif
#define align64 rsgemm_align64

size_t rsgemm_pack_floats(int k, int n)
{
    return (size_t)k * (size_t)((n + NR - 1) / NR) * NR + 16;
}

#if RS_X86
/* panel rows kk0 .. kk0 + 7 of a full panel (16 columns j0 ..) of a
 * transposed source (sk = 1): two 8 x 8 transposes in registers */
__attribute__((target("avx2,fma"))) static void pack_t8(float *pk, const float *b, size_t sj,
                                                       int kk0)
{
    for (int h = 0; h < 2; h++) {
        const float *src = b + (size_t)(8 * h) * sj + kk0;
        __m256 r0 = _mm256_loadu_ps(src), r1 = _mm256_loadu_ps(src + sj);
        __m256 r2 = _mm256_loadu_ps(src + 2 * sj), r3 = _mm256_loadu_ps(src + 3 * sj);
        __m256 r4 = _mm256_loadu_ps(src + 4 * sj), r5 = _mm256_loadu_ps(src + 5 * sj);
        __m256 r6 = _mm256_loadu_ps(src + 6 * sj), r7 = _mm256_loadu_ps(src + 7 * sj);
        __m256 t0 = _mm256_unpacklo_ps(r0, r1), t1 = _mm256_unpackhi_ps(r0, r1);
        __m256 t2 = _mm256_unpacklo_ps(r2, r3), t3 = _mm256_unpackhi_ps(r2, r3);
        __m256 t4 = _mm256_unpacklo_ps(r4, r5), t5 = _mm256_unpackhi_ps(r4, r5);
        __m256 t6 = _mm256_unpacklo_ps(r6, r7), t7 = _mm256_unpackhi_ps(r6, r7);
        __m256 u0 = _mm256_shuffle_ps(t0, t2, 0x44), u1 = _mm256_shuffle_ps(t0, t2, 0xEE);
        __m256 u2 = _mm256_shuffle_ps(t1, t3, 0x44), u3 = _mm256_shuffle_ps(t1, t3, 0xEE);
        __m256 u4 = _mm256_shuffle_ps(t4, t6, 0x44), u5 = _mm256_shuffle_ps(t4, t6, 0xEE);
        __m256 u6 = _mm256_shuffle_ps(t5, t7, 0x44), u7 = _mm256_shuffle_ps(t5, t7, 0xEE);
        float *d = pk + (size_t)kk0 * NR + 8 * h;
        _mm256_storeu_ps(d + 0 * NR, _mm256_permute2f128_ps(u0, u4, 0x20));
        _mm256_storeu_ps(d + 1 * NR, _mm256_permute2f128_ps(u1, u5, 0x20));
        _mm256_storeu_ps(d + 2 * NR, _mm256_permute2f128_ps(u2, u6, 0x20));
        _mm256_storeu_ps(d + 3 * NR, _mm256_permute2f128_ps(u3, u7, 0x20));
        _mm256_storeu_ps(d + 4 * NR, _mm256_permute2f128_ps(u0, u4, 0x31));
        _mm256_storeu_ps(d + 5 * NR, _mm256_permute2f128_ps(u1, u5, 0x31));
        _mm256_storeu_ps(d + 6 * NR, _mm256_permute2f128_ps(u2, u6, 0x31));
        _mm256_storeu_ps(d + 7 * NR, _mm256_permute2f128_ps(u3, u7, 0x31));
    }
}
#endif

#if RS_X86
/* the np full panels of a row-major source (sj = 1), 16 floats per k row
 * each, 8 source rows at a time across all the panels: each row is read
 * left to right. Panel by panel, the walk down a column of a matrix whose
 * rows are a power of two bytes apart (the input gradient's W of 512
 * columns) lands on a few L1 sets and reloads every line from L2 or L3:
 * about 2x slower from memory, 1.5x from L3 (512 x 512). */
__attribute__((target("avx2,fma"))) static void pack_rows(float *pk, const float *b, size_t sk,
                                                         int k, int np)
{
    for (int k0 = 0; k0 < k; k0 += 8) {
        const int k1 = k - k0 < 8 ? k : k0 + 8;
        for (int p = 0; p < np; p++) {
            float *d = pk + (size_t)p * k * NR;
            for (int kk = k0; kk < k1; kk++) {
                const float *src = b + (size_t)kk * sk + (size_t)p * NR;
                _mm256_store_ps(d + (size_t)kk * NR, _mm256_loadu_ps(src));
                _mm256_store_ps(d + (size_t)kk * NR + 8, _mm256_loadu_ps(src + 8));
            }
        }
    }
}
#endif

/* Copies only (no arithmetic), so the path taken does not matter for bits;
 * full panels of a transposed source (sk = 1, the forward's W^T) go through
 * 8 x 8 register transposes when the CPU has AVX2. */
void rsgemm_pack(float *pk, const float *b, int k, int n, size_t sk, size_t sj)
{
#if RS_X86
    const int simd = sk == 1 && rsgemm_have_simd(), simd_rows = sj == 1 && rsgemm_have_simd();
#endif
    pk = align64(pk);
    int j0 = 0;
#if RS_X86
    if (simd_rows && n >= NR) {   /* the full panels together, then the tail below */
        pack_rows(pk, b, sk, k, n / NR);
        j0 = n / NR * NR;
        pk += (size_t)(n / NR) * k * NR;
    }
#endif
    for (; j0 < n; j0 += NR) {
        const int nj = n - j0 < NR ? n - j0 : NR;
        int kk = 0;
#if RS_X86
        if (simd && nj == NR)
            for (; kk + 8 <= k; kk += 8) pack_t8(pk, b + (size_t)j0 * sj, sj, kk);
#endif
        for (; kk < k; kk++) {
            float *d = pk + (size_t)kk * NR;
            const float *src = b + (size_t)kk * sk + (size_t)j0 * sj;
            int jj = 0;
            if (sj == 1) {
                memcpy(d, src, sizeof(float) * (size_t)nj);
                jj = nj;
            }
            for (; jj < nj; jj++) d[jj] = src[(size_t)jj * sj];
            for (; jj < NR; jj++) d[jj] = 0.0f;
        }
        pk += (size_t)k * NR;
    }
}

int rsgemm_have_simd(void)
{
#if RS_X86
    if (!__builtin_cpu_supports("avx2") || !__builtin_cpu_supports("fma")) return 0;
    return __builtin_cpu_supports("avx512f") ? 2 : 1;
#else
    return 0;
#endif
}

/* ---- portable path ------------------------------------------------------ */

/* rsgemm_rows with fmaf: element by element, k in order; A's rows at ap[r]
 * when ap is not NULL (rsgemm_rows_ptr), else a + r lda */
static void rows_portable(int m, int n, int k, const float *a, size_t lda,
                          const float *const *ap, const float *pk, const float *bias, float *c,
                          size_t ldc)
{
    for (int r = 0; r < m; r++) {
        const float *ar = rsgemm_row(a, lda, ap, r);
        for (int j = 0; j < n; j++) {
            const float *p = pk + (size_t)(j / NR) * k * NR + j % NR;
            float acc = 0.0f;
            for (int kk = 0; kk < k; kk++) acc = fmaf(ar[kk], p[(size_t)kk * NR], acc);
            c[(size_t)r * ldc + j] = bias ? acc + bias[j] : acc;
        }
    }
}

/* one o-row of the weight gradient for columns [i0, i0 + nc) with fmaf:
 * per shard a chain from +0 over its rows, shards by the binary counter */
static void wgrad_portable_row(int o, int i0, int nc, const float *dout, size_t ldo,
                               const float *in, size_t ldi, const float *const *inrows,
                               const int *off, int ns, float *gr, int accumulate)
{
    float stk[MAX_LEVELS][NR], acc[NR];
    int full[MAX_LEVELS] = { 0 };
    for (int s = 0; s < ns; s++) {
        for (int jj = 0; jj < nc; jj++) acc[jj] = 0.0f;
        for (int r = off[s]; r < off[s + 1]; r++) {
            const float d = dout[(size_t)r * ldo + o];
            const float *x = rsgemm_row(in, ldi, inrows, r) + i0;
            for (int jj = 0; jj < nc; jj++) acc[jj] = fmaf(d, x[jj], acc[jj]);
        }
        int l = 0;
        for (; full[l]; l++) {   /* left (earlier shards) + right */
            for (int jj = 0; jj < nc; jj++) acc[jj] = stk[l][jj] + acc[jj];
            full[l] = 0;
        }
        memcpy(stk[l], acc, sizeof(float) * (size_t)nc);
        full[l] = 1;
    }
    int have = 0;
    for (int l = 0; l < MAX_LEVELS; l++) {   /* one level when ns is a power of two */
        if (!full[l]) continue;
        for (int jj = 0; jj < nc; jj++) acc[jj] = have ? stk[l][jj] + acc[jj] : stk[l][jj];
        have = 1;
    }
    if (!have)
        for (int jj = 0; jj < nc; jj++) acc[jj] = 0.0f;
    for (int jj = 0; jj < nc; jj++) gr[i0 + jj] = accumulate ? gr[i0 + jj] + acc[jj] : acc[jj];
}

/* ---- AVX2 + FMA path ---------------------------------------------------- */
#if RS_X86
#define RS_TARGET __attribute__((target("avx2,fma")))
#define RS_INLINE static inline __attribute__((always_inline))

/* one k-block of a tile: acc[r] (2 x 8 lanes) = (first ? +0 : the partial
 * stored in c) + sum_kk a[r, kk] p[kk, 0..16) for r < mr, one fma chain per
 * lane (A's row r at a + r lda, or at ap[r] + ak when ptr: the same floats
 * in the same order; mr and ptr constants after inlining); stored back
 * to c for nc valid columns, + bias when bias is not NULL (the last
 * k-block). A stored partial is the float the chain holds, so
 * blocking k does not change bits. */
RS_TARGET RS_INLINE void rows_tile(int mr, int ptr, int k, const float *a, size_t lda,
                                   const float *const *ap, int ak, const float *const *pf,
                                   int pfn, const float *p, int first, const float *bias,
                                   float *c, size_t ldc, int nc)
{
    __m256 acc[MR][2];
    const float *ar[MR];   /* ptr: the tile's rows, from column ak (hoisted) */
#pragma GCC unroll 6
    for (int r = 0; r < MR; r++) {
        if (r >= mr) break;
        ar[r] = ptr ? ap[r] + ak : NULL;
    }
#pragma GCC unroll 6
    for (int r = 0; r < MR; r++) {
        if (r >= mr) break;
        if (first) {
            acc[r][0] = acc[r][1] = _mm256_setzero_ps();
        } else if (nc == NR) {
            acc[r][0] = _mm256_loadu_ps(c + (size_t)r * ldc);
            acc[r][1] = _mm256_loadu_ps(c + (size_t)r * ldc + 8);
        } else {
            float t[NR] = { 0 };
            memcpy(t, c + (size_t)r * ldc, sizeof(float) * (size_t)nc);
            acc[r][0] = _mm256_loadu_ps(t);
            acc[r][1] = _mm256_loadu_ps(t + 8);
        }
    }
    for (int kk = 0; kk < k; kk++) {
        if (ptr && (kk & 15) == 0 && kk < pfn)   /* the next tile's rows, a line per row */
#pragma GCC unroll 6
            for (int r = 0; r < MR; r++) _mm_prefetch((const char *)(pf[r] + kk), _MM_HINT_T0);
        const __m256 b0 = _mm256_load_ps(p + (size_t)kk * NR);
        const __m256 b1 = _mm256_load_ps(p + (size_t)kk * NR + 8);
#pragma GCC unroll 6
        for (int r = 0; r < MR; r++) {
            if (r >= mr) break;
            const __m256 av = _mm256_broadcast_ss(ptr ? ar[r] + kk : a + (size_t)r * lda + kk);
            acc[r][0] = _mm256_fmadd_ps(av, b0, acc[r][0]);
            acc[r][1] = _mm256_fmadd_ps(av, b1, acc[r][1]);
        }
    }
#pragma GCC unroll 6
    for (int r = 0; r < MR; r++) {
        if (r >= mr) break;
        float *cr = c + (size_t)r * ldc;
        if (nc == NR) {
            __m256 v0 = acc[r][0], v1 = acc[r][1];
            if (bias) {
                v0 = _mm256_add_ps(v0, _mm256_loadu_ps(bias));
                v1 = _mm256_add_ps(v1, _mm256_loadu_ps(bias + 8));
            }
            _mm256_storeu_ps(cr, v0);
            _mm256_storeu_ps(cr + 8, v1);
        } else {
            float t[NR];
            _mm256_storeu_ps(t, acc[r][0]);
            _mm256_storeu_ps(t + 8, acc[r][1]);
            for (int jj = 0; jj < nc; jj++) cr[jj] = bias ? t[jj] + bias[jj] : t[jj];
        }
    }
}

/* rsgemm_rows on AVX2: panel by panel and k-block by k-block (KC rows of
 * the panel, 16 KB, stay in L1 across the row blocks), MR rows at a time;
 * the row tail through the same tile code with fewer rows (each lane's
 * chain unchanged). ptr: A's rows at ap[r] (a constant after inlining into
 * rows_avx_contig / rows_avx_ptr). */
RS_TARGET RS_INLINE void rows_avx(int ptr, int m, int n, int k, const float *a, size_t lda,
                                  const float *const *ap, const float *pk, const float *bias,
                                  float *c, size_t ldc)
{
    for (int j0 = 0; j0 < n; j0 += NR) {
        const int nc = n - j0 < NR ? n - j0 : NR;
        for (int k0 = 0; k0 < k; k0 += KC) {
            const int kc = k - k0 < KC ? k - k0 : KC, first = k0 == 0;
            const float *p = pk + (size_t)(j0 / NR) * k * NR + (size_t)k0 * NR;
            const float *bj = bias && k0 + kc == k ? bias + j0 : NULL;
            const int kn = k - k0 - kc < KC ? k - k0 - kc : KC;   /* the next block's */
            const float *pf[MR];   /* ptr: where the tile prefetches (rsgemm_next_rows) */
            int pfn = 0, r = 0;
            for (; r + MR <= m; r += MR) {
                if (ptr) pfn = rsgemm_next_rows(pf, MR, ap, m, r + MR, k0, kc, kn);
                rows_tile(MR, ptr, kc, ptr ? NULL : a + (size_t)r * lda + k0, lda,
                          ptr ? ap + r : NULL, k0, pf, pfn, p, first, bj,
                          c + (size_t)r * ldc + j0, ldc, nc);
            }
            const float *ar = ptr ? NULL : a + (size_t)r * lda + k0;
            const float *const *apr = ptr ? ap + r : NULL;
            float *cr = c + (size_t)r * ldc + j0;
            if (ptr && r < m) pfn = rsgemm_next_rows(pf, MR, ap, m, m, k0, kc, kn);
#define RS_TAIL(t)                                                                        \
    case t: rows_tile(t, ptr, kc, ar, lda, apr, k0, pf, pfn, p, first, bj, cr, ldc, nc); break
            switch (m - r) {
                RS_TAIL(5); RS_TAIL(4); RS_TAIL(3); RS_TAIL(2); RS_TAIL(1);
            default: break;
            }
#undef RS_TAIL
        }
    }
}

/* rows_avx on a contiguous A */
RS_TARGET static void rows_avx_contig(int m, int n, int k, const float *a, size_t lda,
                                      const float *pk, const float *bias, float *c, size_t ldc)
{
    rows_avx(0, m, n, k, a, lda, NULL, pk, bias, c, ldc);
}

/* rows_avx on A's row pointers */
RS_TARGET static void rows_avx_ptr(int m, int n, int k, const float *const *ap, const float *pk,
                                   const float *bias, float *c, size_t ldc)
{
    rows_avx(1, m, n, k, NULL, 0, ap, pk, bias, c, ldc);
}

/* one shard's rows r0 .. r1 - 1 into a weight-gradient tile of mw
 * o-values: acc[o] = +0, then one fma chain per lane over the rows in
 * order (see wgrad_tile; mw a constant after inlining) */
RS_TARGET RS_INLINE void wgrad_shard(int mw, __m256 acc[MR][2], const float *xp,
                                     const float *dp, int r0, int r1)
{
#pragma GCC unroll 6
    for (int o = 0; o < mw; o++) acc[o][0] = acc[o][1] = _mm256_setzero_ps();
    for (int r = r0; r < r1; r++) {
        const __m256 x0 = _mm256_load_ps(xp + (size_t)r * NR);
        const __m256 x1 = _mm256_load_ps(xp + (size_t)r * NR + 8);
        const float *d = dp + (size_t)r * mw;
#pragma GCC unroll 6
        for (int o = 0; o < mw; o++) {
            const __m256 dv = _mm256_broadcast_ss(d + o);
            acc[o][0] = _mm256_fmadd_ps(dv, x0, acc[o][0]);
            acc[o][1] = _mm256_fmadd_ps(dv, x1, acc[o][1]);
        }
    }
}

/* acc = stk[l] + acc for l = l0, l0 + 1, .. while bit l of s is set: shard
 * s (its sum in acc, already merged with the levels below l0) merged with
 * the counter's full levels, left (earlier shards) plus right; returns the
 * level acc belongs to */
RS_TARGET RS_INLINE int wgrad_merge(int mw, __m256 acc[MR][2], __m256 stk[][MR][2], int s,
                                    int l0)
{
    int l = l0;
    for (; (s >> l) & 1; l++) {   /* left (earlier shards) + right */
#pragma GCC unroll 6
        for (int o = 0; o < mw; o++) {
            acc[o][0] = _mm256_add_ps(stk[l][o][0], acc[o][0]);
            acc[o][1] = _mm256_add_ps(stk[l][o][1], acc[o][1]);
        }
    }
    return l;
}

/* the even shard s and the odd shard s + 1 (s + 1 < ns) into a tile: lo =
 * shard s, acc = shard s + 1, then acc = lo + acc, what the counter would
 * hold on level 1 after the two (the same adds, left plus right). lo is
 * not pushed to the stack: 4 x 16 tiles need 8 + 8 + 3 registers, so the
 * compiler spills 3 of lo's 8, where the counter stores and reloads all 8
 * (the stores and merges after each 16-row shard cost ~12 % on Zen 1) */
RS_TARGET RS_INLINE void wgrad_pair(int mw, __m256 acc[MR][2], const float *xp, const float *dp,
                                    const int *off, int s)
{
    __m256 lo[MR][2];
    wgrad_shard(mw, lo, xp, dp, off[s], off[s + 1]);
    wgrad_shard(mw, acc, xp, dp, off[s + 1], off[s + 2]);
#pragma GCC unroll 6
    for (int o = 0; o < mw; o++) {
        acc[o][0] = _mm256_add_ps(lo[o][0], acc[o][0]);
        acc[o][1] = _mm256_add_ps(lo[o][1], acc[o][1]);
    }
}

/* an mw x 16 tile of the weight gradient from packed operands: dp
 * [rows][mw] (dout's o-values of the tile), xp [rows][16] (in's columns of
 * the tile, 64-byte aligned), both zero-padded. Per shard one fma chain
 * per lane in registers from +0, shards combined by a binary counter of
 * tiles (level l of the stack is full when bit l of the shards done is
 * set, so shard s merges as many levels as s has trailing one bits, with
 * no flag array to clear per tile: 10-15 % faster on small layers); mo x
 * nc of it written once. The last shard's sum is not pushed: its level is
 * the lowest set bit of ns, the root's first term, so the root starts from
 * it in registers and adds the higher full levels. G's rows are prefetched
 * at the start, so that the accumulate's loads (G is bigger than L2)
 * overlap the tile's fmas. pair: the shards two at a time through
 * wgrad_pair (level 0 of the counter stays in registers, the counter's
 * levels from 1 up as before); the same adds in the same order. Inlined
 * into wgrad_tile6 and wgrad_tile4, so that mw and pair are constants and
 * acc, res stay in registers. */
RS_TARGET RS_INLINE void wgrad_tile(int mw, int pair, const float *dp, const float *xp,
                                    const int *off, int ns, float *g, size_t ldg, int mo, int nc,
                                    int accumulate)
{
    __m256 stk[MAX_LEVELS][MR][2];
    __m256 res[MR][2];
    for (int o = 0; o < mo; o++) {
        _mm_prefetch((const char *)(g + (size_t)o * ldg), _MM_HINT_T0);
        _mm_prefetch((const char *)(g + (size_t)o * ldg + nc - 1), _MM_HINT_T0);
    }
    int s = 0, l = 0;   /* s: shards done; l: the level res ends on */
    if (pair)
        for (; s + 2 < ns; s += 2) {
            __m256 acc[MR][2];
            wgrad_pair(mw, acc, xp, dp, off, s);
            const int lp = wgrad_merge(mw, acc, stk, s + 1, 1);
#pragma GCC unroll 6
            for (int o = 0; o < mw; o++) {
                stk[lp][o][0] = acc[o][0];
                stk[lp][o][1] = acc[o][1];
            }
        }
    else
        for (; s + 1 < ns; s++) {
            __m256 acc[MR][2];
            wgrad_shard(mw, acc, xp, dp, off[s], off[s + 1]);
            const int lp = wgrad_merge(mw, acc, stk, s, 0);
#pragma GCC unroll 6
            for (int o = 0; o < mw; o++) {
                stk[lp][o][0] = acc[o][0];
                stk[lp][o][1] = acc[o][1];
            }
        }
    /* the last shard (with its left neighbour when paired), merged as it
     * would be pushed (to level l, the lowest set bit of ns), then the
     * root: the higher set bits of ns, smallest first (one level when ns
     * is a power of two) */
    if (ns - s == 2) {
        wgrad_pair(mw, res, xp, dp, off, s);
        l = wgrad_merge(mw, res, stk, s + 1, 1);
    } else if (ns - s == 1) {
        wgrad_shard(mw, res, xp, dp, off[s], off[s + 1]);
        l = wgrad_merge(mw, res, stk, s, 0);
    } else {   /* ns == 0 */
#pragma GCC unroll 6
        for (int o = 0; o < mw; o++) res[o][0] = res[o][1] = _mm256_setzero_ps();
        l = MAX_LEVELS;
    }
    for (l++; l < MAX_LEVELS; l++) {
        if (!((ns >> l) & 1)) continue;
#pragma GCC unroll 6
        for (int o = 0; o < mw; o++) {
            res[o][0] = _mm256_add_ps(stk[l][o][0], res[o][0]);
            res[o][1] = _mm256_add_ps(stk[l][o][1], res[o][1]);
        }
    }
#pragma GCC unroll 6
    for (int o = 0; o < mw; o++) {
        if (o >= mo) break;
        float *gr = g + (size_t)o * ldg;
        if (nc == NR) {
            __m256 v0 = res[o][0], v1 = res[o][1];
            if (accumulate) {
                v0 = _mm256_add_ps(_mm256_loadu_ps(gr), v0);
                v1 = _mm256_add_ps(_mm256_loadu_ps(gr + 8), v1);
            }
            _mm256_storeu_ps(gr, v0);
            _mm256_storeu_ps(gr + 8, v1);
        } else {
            float t[NR];
            _mm256_storeu_ps(t, res[o][0]);
            _mm256_storeu_ps(t + 8, res[o][1]);
            for (int jj = 0; jj < nc; jj++) gr[jj] = accumulate ? gr[jj] + t[jj] : t[jj];
        }
    }
}

/* the tile of 6 o-values (12 accumulators, 2 x-loads and 6 broadcasts per
 * 12 fmas): one shard, long chains */
RS_TARGET static void wgrad_tile6(const float *dp, const float *xp, const int *off, int ns,
                                  float *g, size_t ldg, int mo, int nc, int accumulate)
{
    wgrad_tile(6, 0, dp, xp, off, ns, g, ldg, mo, nc, accumulate);
}

/* the tile of 4 o-values (8 accumulators), for short shards: a shard's
 * push costs one vector store per accumulator, and on Zen 3 the 12 stores
 * of the 6-row tile after each 16-row shard cost more than the larger
 * tile saves in broadcasts (128 x 784 -> 512 in 8 shards: 1.09-1.17x the
 * 6-row tile; in 1 shard 0.95x, in 2 0.95-1.02x, in 4 1.03-1.05x). The
 * shards in pairs (wgrad_pair: 1.02-1.04x on Zen 1 in 8 shards) */
RS_TARGET static void wgrad_tile4(const float *dp, const float *xp, const int *off, int ns,
                                  float *g, size_t ldg, int mo, int nc, int accumulate)
{
    wgrad_tile(4, 1, dp, xp, off, ns, g, ldg, mo, nc, accumulate);
}

/* rsgemm_wgrad_tree on AVX2 (in's rows at inrows[r] when inrows is not
 * NULL, else in + r ldi): in packed once into blocks of 16 columns (full
 * blocks with two vector copies per row); per block of 6 o-values (4 when
 * the shards average 32 rows or fewer and in has 32 or more columns:
 * wgrad_tile4), dout's values
 * packed (3 KB for 128 rows, in L1 across the column blocks) and the
 * tiles computed along G's rows (so G is read and written in 6 sequential
 * streams). Grouping several o-blocks per pass over in (so that a column
 * block of in is reused from L1) measured no faster and slower on narrow
 * layers, so the order stays this one. */
RS_TARGET static void wgrad_avx(int no, int ni, const float *dout, size_t ldo, const float *in,
                                size_t ldi, const float *const *inrows, const int *off, int ns,
                                float *g, size_t ldg, int accumulate, float *ws)
{
    const int rows = off[ns], nib = (ni + NR - 1) / NR;
    float *xp = align64(ws), *dp = align64(xp + (size_t)rows * nib * NR);
    for (int ib = 0; ib < nib; ib++) {
        const int i0 = ib * NR, nc = ni - i0 < NR ? ni - i0 : NR;
        float *x = xp + (size_t)ib * rows * NR;
        if (nc == NR && inrows)   /* the test hoisted out of the row loop */
            for (int r = 0; r < rows; r++, x += NR) {
                const float *src = inrows[r] + i0;
                _mm256_store_ps(x, _mm256_loadu_ps(src));
                _mm256_store_ps(x + 8, _mm256_loadu_ps(src + 8));
            }
        else if (nc == NR)
            for (int r = 0; r < rows; r++, x += NR) {
                const float *src = in + (size_t)r * ldi + i0;
                _mm256_store_ps(x, _mm256_loadu_ps(src));
                _mm256_store_ps(x + 8, _mm256_loadu_ps(src + 8));
            }
        else
            for (int r = 0; r < rows; r++, x += NR) {
                memcpy(x, rsgemm_row(in, ldi, inrows, r) + i0, sizeof(float) * (size_t)nc);
                for (int jj = nc; jj < NR; jj++) x[jj] = 0.0f;
            }
    }
    const int mw = ns >= 2 && rows <= 32 * ns && ni >= 2 * NR ? 4 : MR;
    for (int o0 = 0; o0 < no; o0 += mw) {
        const int mo = no - o0 < mw ? no - o0 : mw;
        /* full blocks by fixed-size copies (the loop over mo per row cost
         * 8-18 % of 64 x 20 -> 64 and 64 x 64 -> 64 on Zen 1) */
        if (mo == 4 && mw == 4)
            for (int r = 0; r < rows; r++)
                memcpy(dp + (size_t)r * 4, dout + (size_t)r * ldo + o0, 4 * sizeof(float));
        else if (mo == MR && mw == MR)
            for (int r = 0; r < rows; r++)
                memcpy(dp + (size_t)r * MR, dout + (size_t)r * ldo + o0, MR * sizeof(float));
        else
            for (int r = 0; r < rows; r++) {
                const float *src = dout + (size_t)r * ldo + o0;
                float *d = dp + (size_t)r * mw;
                int t = 0;
                for (; t < mo; t++) d[t] = src[t];
                for (; t < mw; t++) d[t] = 0.0f;
            }
        for (int ib = 0; ib < nib; ib++) {
            const int i0 = ib * NR, nc = ni - i0 < NR ? ni - i0 : NR;
            float *gt = g + (size_t)o0 * ldg + i0;
            const float *x = xp + (size_t)ib * rows * NR;
            if (mw == 4)
                wgrad_tile4(dp, x, off, ns, gt, ldg, mo, nc, accumulate);
            else
                wgrad_tile6(dp, x, off, ns, gt, ldg, mo, nc, accumulate);
        }
    }
}
#endif

/* ---- entry points ------------------------------------------------------- */

/* rsgemm_rows (ap NULL) and rsgemm_rows_ptr (A's rows at ap[r]) on path */
static void rows_any(int m, int n, int k, const float *a, size_t lda, const float *const *ap,
                     const float *pk, const float *bias, float *c, size_t ldc, rsgemm_path path)
{
    pk = align64(pk);
#if RS_X86
    const int simd = path == RSGEMM_PORTABLE ? 0 : rsgemm_have_simd();
    if (simd == 2 && path == RSGEMM_AUTO) {
        rsgemm_rows_avx512(m, n, k, a, lda, ap, pk, bias, c, ldc);
        return;
    }
    if (simd) {
        if (ap) rows_avx_ptr(m, n, k, ap, pk, bias, c, ldc);
        else rows_avx_contig(m, n, k, a, lda, pk, bias, c, ldc);
        return;
    }
#endif
    (void)path;
    rows_portable(m, n, k, a, lda, ap, pk, bias, c, ldc);
}

void rsgemm_rows(int m, int n, int k, const float *a, size_t lda, const float *pk,
                 const float *bias, float *c, size_t ldc, rsgemm_path path)
{
    rows_any(m, n, k, a, lda, NULL, pk, bias, c, ldc, path);
}

void rsgemm_rows_ptr(int m, int n, int k, const float *const *arows, const float *pk,
                     const float *bias, float *c, size_t ldc, rsgemm_path path)
{
    rows_any(m, n, k, NULL, 0, arows, pk, bias, c, ldc, path);
}

size_t rsgemm_wgrad_ws_floats(int rows, int ni)
{
    return (size_t)rows * ((size_t)(ni + NR - 1) / NR * NR + MR) + 32;
}

/* rsgemm_wgrad_tree (inrows NULL) and rsgemm_wgrad_tree_ptr (in's rows at
 * inrows[r]) on path */
static void wgrad_any(int no, int ni, const float *dout, size_t ldo, const float *in, size_t ldi,
                      const float *const *inrows, const int *off, int ns, float *g, size_t ldg,
                      int accumulate, float *ws, rsgemm_path path)
{
#if RS_X86
    const int simd = path == RSGEMM_PORTABLE ? 0 : rsgemm_have_simd();
    if (simd == 2 && path == RSGEMM_AUTO) {
        rsgemm_wgrad_avx512(no, ni, dout, ldo, in, ldi, inrows, off, ns, g, ldg, accumulate, ws);
        return;
    }
    if (simd) {
        wgrad_avx(no, ni, dout, ldo, in, ldi, inrows, off, ns, g, ldg, accumulate, ws);
        return;
    }
#endif
    (void)path; (void)ws;
    for (int o = 0; o < no; o++)
        for (int i0 = 0; i0 < ni; i0 += NR)
            wgrad_portable_row(o, i0, ni - i0 < NR ? ni - i0 : NR, dout, ldo, in, ldi, inrows,
                               off, ns, g + (size_t)o * ldg, accumulate);
}

void rsgemm_wgrad_tree(int no, int ni, const float *dout, size_t ldo, const float *in,
                       size_t ldi, const int *off, int ns, float *g, size_t ldg,
                       int accumulate, float *ws, rsgemm_path path)
{
    wgrad_any(no, ni, dout, ldo, in, ldi, NULL, off, ns, g, ldg, accumulate, ws, path);
}

void rsgemm_wgrad_tree_ptr(int no, int ni, const float *dout, size_t ldo,
                           const float *const *inrows, const int *off, int ns, float *g,
                           size_t ldg, int accumulate, float *ws, rsgemm_path path)
{
    wgrad_any(no, ni, dout, ldo, NULL, 0, inrows, off, ns, g, ldg, accumulate, ws, path);
}
