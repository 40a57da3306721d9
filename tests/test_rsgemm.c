/* test_rsgemm.c - the row-stable GEMM (kernels/rsgemm.h):
 *  1. accuracy: the forward (x W^T + b), input gradient (dY W) and weight
 *     gradient (dY^T X) against a naive double-precision product, relative
 *     to the sum of absolute terms, on odd and real shapes;
 *  2. the exact per-element sequence: every element equals a plain fmaf
 *     chain from +0 in k order (+ bias after), bit for bit, on the SIMD
 *     path (when the CPU has it) and the portable one;
 *  3. row stability: each row of one call equals the same row computed in
 *     a call of any row count r = 1 .. B at any position;
 *  4. the weight gradient's tree: for ns = 1, 2, 4, 8, 16 shards (even,
 *     uneven and empty shards) it equals an explicit balanced tree over the
 *     per-shard fmaf sums, bit for bit, and K = 1, 2, 4 "ranks" each
 *     calling it on ns / K consecutive shards, their results summed by the
 *     same tree over ranks, give those bits too; accumulate adds the tree
 *     sum onto G; for ns = 3, 5, 6, 7, 11, 13 the leftover partial sums are
 *     added from the smallest up, as the header says. The shapes reach both
 *     SIMD tiles (6 o-values; 4 for short shards and 32 or more columns),
 *     every o- and column tail of each, and last shards with and without
 *     rows (the last shard's sum goes to the root from registers);
 *  5. the row-pointer forms (rsgemm_rows_ptr, rsgemm_wgrad_tree_ptr) equal
 *     the contiguous calls on the gathered rows, bit for bit, on every
 *     path, for m = 0 .. 40 rows, n = 1 .. 70, k up to 300 (past the
 *     k-blocks), uneven and empty shards, shuffled, repeated (aliased) and
 *     unaligned row pointers;
 *  6. where the row-pointer forward prefetches (rsgemm_next_rows, which the
 *     SIMD paths call before each tile): the next tile's rows at this
 *     k-block, after the last tile the first tile's rows at the next
 *     k-block, nothing after the last k-block, and never an address
 *     outside the rows. (Prefetches change no bits, so part 5 cannot see
 *     them.) */
#include "check.h"
#include "rng.h"
#include "rsgemm.h"
#include "rsgemm_impl.h"
#include <math.h>
#include <stdlib.h>
#include <string.h>

/* x[n] ~ U(-1, 1) keyed by (seed, stream), with some exact zeros and -0 */
static void fill(float *x, size_t n, uint64_t seed, uint64_t stream)
{
    for (size_t i = 0; i < n; i++) {
        x[i] = 2.0f * rng_uniform(seed, stream, i) - 1.0f;
        if (i % 13 == 5) x[i] = i % 2 ? -0.0f : 0.0f;
    }
}

static size_t first_diff(const float *a, const float *b, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (memcmp(a + i, b + i, sizeof(float))) return i;
    return n;
}

static void *xmalloc(size_t bytes)
{
    void *p = malloc(bytes ? bytes : 1);
    if (!p) { fprintf(stderr, "test_rsgemm: out of memory\n"); exit(1); }
    return p;
}

/* the paths to check: the portable one always, then AVX2 and AVX-512 where
 * the CPU has them (RSGEMM_AVX2 forces AVX2 on an AVX-512 CPU) */
static int n_paths(void) { return 1 + rsgemm_have_simd(); }
static rsgemm_path path_of(int i)
{
    return i == 0 ? RSGEMM_PORTABLE : i == 1 && rsgemm_have_simd() == 2 ? RSGEMM_AVX2 : RSGEMM_AUTO;
}

/* ---- 1 + 2: forward and input gradient ---------------------------------- */

/* a dense layer din -> dout on B rows: forward and input gradient by
 * rsgemm on every path against fmaf chains (bits) and doubles (error) */
static void check_rows(int B, int din, int dout)
{
    const size_t nx = (size_t)B * din, ny = (size_t)B * dout, nw = (size_t)din * dout;
    float *x = xmalloc(sizeof(float) * nx), *W = xmalloc(sizeof(float) * nw);
    float *b = xmalloc(sizeof(float) * dout), *dy = xmalloc(sizeof(float) * ny);
    float *y = xmalloc(sizeof(float) * ny), *yref = xmalloc(sizeof(float) * ny);
    float *dx = xmalloc(sizeof(float) * nx), *dxref = xmalloc(sizeof(float) * nx);
    size_t p1 = rsgemm_pack_floats(din, dout), p2 = rsgemm_pack_floats(dout, din);
    float *pk = xmalloc(sizeof(float) * (p1 > p2 ? p1 : p2));
    fill(x, nx, 1, (uint64_t)din); fill(W, nw, 2, (uint64_t)dout);
    fill(b, (size_t)dout, 3, 0); fill(dy, ny, 4, (uint64_t)B);
    double worst_f = 0.0, worst_b = 0.0;
    for (int r = 0; r < B; r++) {   /* the reference sequences */
        for (int j = 0; j < dout; j++) {
            float acc = 0.0f;
            double s = 0.0, sa = fabs((double)b[j]);
            for (int k = 0; k < din; k++) {
                acc = fmaf(x[(size_t)r * din + k], W[(size_t)j * din + k], acc);
                s += (double)x[(size_t)r * din + k] * W[(size_t)j * din + k];
                sa += fabs((double)x[(size_t)r * din + k] * W[(size_t)j * din + k]);
            }
            yref[(size_t)r * dout + j] = acc + b[j];
            double e = fabs((double)yref[(size_t)r * dout + j] - (s + b[j])) / (sa > 0 ? sa : 1);
            if (e > worst_f) worst_f = e;
        }
        for (int i = 0; i < din; i++) {
            float acc = 0.0f;
            double s = 0.0, sa = 0.0;
            for (int o = 0; o < dout; o++) {
                acc = fmaf(dy[(size_t)r * dout + o], W[(size_t)o * din + i], acc);
                s += (double)dy[(size_t)r * dout + o] * W[(size_t)o * din + i];
                sa += fabs((double)dy[(size_t)r * dout + o] * W[(size_t)o * din + i]);
            }
            dxref[(size_t)r * din + i] = acc;
            double e = fabs((double)acc - s) / (sa > 0 ? sa : 1);
            if (e > worst_b) worst_b = e;
        }
    }
    /* a chain of n fmas: relative error below (n + 1) u of the absolute sum */
    EXPECT(worst_f <= (din + 2) * 0x1p-24, "fwd %dx%d->%d: relative error %g", B, din, dout, worst_f);
    EXPECT(worst_b <= (dout + 2) * 0x1p-24, "dx %dx%d->%d: relative error %g", B, din, dout, worst_b);
    for (int p = 0; p < n_paths(); p++) {
        rsgemm_pack(pk, W, din, dout, 1, (size_t)din);
        rsgemm_rows(B, dout, din, x, (size_t)din, pk, b, y, (size_t)dout, path_of(p));
        size_t d = first_diff(y, yref, ny);
        EXPECT(d == ny, "fwd %dx%d->%d path %d: element %zu is %a, the fmaf chain %a", B, din,
               dout, p, d, d < ny ? y[d] : 0.0, d < ny ? yref[d] : 0.0);
        rsgemm_pack(pk, W, dout, din, (size_t)din, 1);
        rsgemm_rows(B, din, dout, dy, (size_t)dout, pk, NULL, dx, (size_t)din, path_of(p));
        d = first_diff(dx, dxref, nx);
        EXPECT(d == nx, "dx %dx%d->%d path %d: element %zu is %a, the fmaf chain %a", B, din,
               dout, p, d, d < nx ? dx[d] : 0.0, d < nx ? dxref[d] : 0.0);
    }
    free(x); free(W); free(b); free(dy); free(y); free(yref); free(dx); free(dxref); free(pk);
}

/* ---- 3: row stability ----------------------------------------------------- */

/* forward and input gradient of B rows in one call against calls of r rows
 * (the last call shorter), every r = 1 .. B: same bits for every row */
static void check_row_counts(int B, int din, int dout)
{
    const size_t nx = (size_t)B * din, ny = (size_t)B * dout, nw = (size_t)din * dout;
    float *x = xmalloc(sizeof(float) * nx), *W = xmalloc(sizeof(float) * nw);
    float *b = xmalloc(sizeof(float) * dout), *dy = xmalloc(sizeof(float) * ny);
    float *y0 = xmalloc(sizeof(float) * ny), *y1 = xmalloc(sizeof(float) * ny);
    float *dx0 = xmalloc(sizeof(float) * nx), *dx1 = xmalloc(sizeof(float) * nx);
    float *pf = xmalloc(sizeof(float) * rsgemm_pack_floats(din, dout));
    float *pb = xmalloc(sizeof(float) * rsgemm_pack_floats(dout, din));
    fill(x, nx, 5, (uint64_t)din); fill(W, nw, 6, (uint64_t)dout);
    fill(b, (size_t)dout, 7, 0); fill(dy, ny, 8, (uint64_t)B);
    rsgemm_pack(pf, W, din, dout, 1, (size_t)din);
    rsgemm_pack(pb, W, dout, din, (size_t)din, 1);
    int bad = 0;
    /* the portable path's loops are per element by construction: checked
     * on the smaller shapes only (its fmaf calls are slow) */
    for (int p = (size_t)din * dout > 20000 && n_paths() > 1; p < n_paths(); p++) {
        rsgemm_rows(B, dout, din, x, (size_t)din, pf, b, y0, (size_t)dout, path_of(p));
        rsgemm_rows(B, din, dout, dy, (size_t)dout, pb, NULL, dx0, (size_t)din, path_of(p));
        for (int r = 1; r <= B; r++) {
            for (int i0 = 0; i0 < B; i0 += r) {
                const int m = B - i0 < r ? B - i0 : r;
                rsgemm_rows(m, dout, din, x + (size_t)i0 * din, (size_t)din, pf, b,
                            y1 + (size_t)i0 * dout, (size_t)dout, path_of(p));
                rsgemm_rows(m, din, dout, dy + (size_t)i0 * dout, (size_t)dout, pb, NULL,
                            dx1 + (size_t)i0 * din, (size_t)din, path_of(p));
            }
            if (first_diff(y0, y1, ny) < ny || first_diff(dx0, dx1, nx) < nx) bad++;
        }
    }
    EXPECT(bad == 0, "dense %d -> %d, %d rows: %d row counts per call change bits", din, dout,
           B, bad);
    free(x); free(W); free(b); free(dy); free(y0); free(y1); free(dx0); free(dx1);
    free(pf); free(pb);
}

/* ---- 4: the weight gradient's tree ---------------------------------------- */

/* ((v0 + v1) + (v2 + v3)) + ... over count (a power of two) vectors of n
 * floats, written out plainly; the result in v[0 .. n) */
static void ref_tree(float *v, int count, size_t n)
{
    for (int stride = 1; stride < count; stride *= 2)
        for (int i = 0; i + stride < count; i += 2 * stride)
            for (size_t j = 0; j < n; j++) v[(size_t)i * n + j] += v[(size_t)(i + stride) * n + j];
}

/* shard heights h[ns]: G by rsgemm_wgrad_tree against the reference tree
 * of per-shard fmaf chains, on every path and for K = 1, 2, 4 ranks */
static void check_wgrad(int no, int ni, const int *h, int ns)
{
    int off[65] = { 0 };
    for (int s = 0; s < ns; s++) off[s + 1] = off[s] + h[s];
    const int R = off[ns];
    const size_t P = (size_t)no * ni;
    float *dy = xmalloc(sizeof(float) * (size_t)R * no), *x = xmalloc(sizeof(float) * (size_t)R * ni);
    float *parts = xmalloc(sizeof(float) * P * ns), *g = xmalloc(sizeof(float) * P * 4);
    float *ws = xmalloc(sizeof(float) * rsgemm_wgrad_ws_floats(R, ni));
    fill(dy, (size_t)R * no, 9, (uint64_t)no); fill(x, (size_t)R * ni, 10, (uint64_t)ni);
    double worst = 0.0;
    for (int s = 0; s < ns; s++)   /* per shard: one fmaf chain per element from +0 */
        for (int o = 0; o < no; o++)
            for (int i = 0; i < ni; i++) {
                float acc = 0.0f;
                for (int r = off[s]; r < off[s + 1]; r++)
                    acc = fmaf(dy[(size_t)r * no + o], x[(size_t)r * ni + i], acc);
                parts[(size_t)s * P + (size_t)o * ni + i] = acc;
            }
    for (int o = 0; o < no && ns == 1; o++)   /* accuracy, one shard */
        for (int i = 0; i < ni; i++) {
            double sum = 0.0, sa = 0.0;
            for (int r = 0; r < R; r++) {
                double t = (double)dy[(size_t)r * no + o] * x[(size_t)r * ni + i];
                sum += t; sa += fabs(t);
            }
            double e = fabs(parts[(size_t)o * ni + i] - sum) / (sa > 0 ? sa : 1);
            if (e > worst) worst = e;
        }
    EXPECT(worst <= (R + 2) * 0x1p-24, "dw %d->%d, %d rows: relative error %g", ni, no, R, worst);
    ref_tree(parts, ns, P);
    for (int p = 0; p < n_paths(); p++) {
        for (int K = 1; K <= 4 && K <= ns; K *= 2) {
            const int nl = ns / K;
            for (int k = 0; k < K; k++) {   /* rank k: shards [k nl, (k + 1) nl) */
                int loff[65];
                const int R0 = off[k * nl];
                for (int s = 0; s <= nl; s++) loff[s] = off[k * nl + s] - R0;
                float *gk = g + (size_t)k * P;
                for (size_t i = 0; i < P; i++) gk[i] = 777.0f;   /* written, not accumulated */
                rsgemm_wgrad_tree(no, ni, dy + (size_t)R0 * no, (size_t)no, x + (size_t)R0 * ni,
                                  (size_t)ni, loff, nl, gk, (size_t)ni, 0, ws, path_of(p));
            }
            ref_tree(g, K, P);
            size_t d = first_diff(g, parts, P);
            EXPECT(d == P, "dw %d->%d ns %d K %d path %d: element %zu is %a, the tree %a", ni, no,
                   ns, K, p, d, d < P ? g[d] : 0.0, d < P ? parts[d] : 0.0);
        }
        for (size_t i = 0; i < P; i++) g[i] = (float)i * 0.25f;   /* accumulate: G + tree */
        rsgemm_wgrad_tree(no, ni, dy, (size_t)no, x, (size_t)ni, off, ns, g, (size_t)ni, 1, ws,
                          path_of(p));
        size_t bad = 0;
        for (size_t i = 0; i < P; i++) {
            float want = (float)i * 0.25f + parts[i];
            bad += memcmp(&want, g + i, sizeof want) != 0;
        }
        EXPECT(bad == 0, "dw %d->%d ns %d path %d accumulate: %zu elements differ", ni, no, ns, p,
               bad);
    }
    free(dy); free(x); free(parts); free(g); free(ws);
}

/* ns not a power of two (header: the leftover partial sums added from the
 * smallest up): the shards split into power-of-two blocks from the start,
 * largest first (the binary counter's full levels), each block by ref_tree,
 * then res = last block, res = block + res backwards. Both paths, bit for
 * bit, written and accumulated. */
static void check_wgrad_odd(int no, int ni, int ns, int h)
{
    int off[65] = { 0 };
    for (int s = 0; s < ns; s++) off[s + 1] = off[s] + h + s % 3;
    const int R = off[ns];
    const size_t P = (size_t)no * ni;
    float *dy = xmalloc(sizeof(float) * (size_t)R * no), *x = xmalloc(sizeof(float) * (size_t)R * ni);
    float *parts = xmalloc(sizeof(float) * P * ns), *g = xmalloc(sizeof(float) * P);
    float *ref = xmalloc(sizeof(float) * P);
    float *ws = xmalloc(sizeof(float) * rsgemm_wgrad_ws_floats(R, ni));
    fill(dy, (size_t)R * no, 11, (uint64_t)ns); fill(x, (size_t)R * ni, 12, (uint64_t)ns);
    for (int s = 0; s < ns; s++)
        for (size_t e = 0; e < P; e++) {
            const int o = (int)(e / (size_t)ni), i = (int)(e % (size_t)ni);
            float acc = 0.0f;
            for (int r = off[s]; r < off[s + 1]; r++)
                acc = fmaf(dy[(size_t)r * no + o], x[(size_t)r * ni + i], acc);
            parts[(size_t)s * P + e] = acc;
        }
    int start[32], len[32], nb = 0;
    for (int b = 30, s0 = 0; b >= 0; b--)
        if ((ns >> b) & 1) { start[nb] = s0; len[nb++] = 1 << b; s0 += 1 << b; }
    for (int b = 0; b < nb; b++) ref_tree(parts + (size_t)start[b] * P, len[b], P);
    memcpy(ref, parts + (size_t)start[nb - 1] * P, sizeof(float) * P);
    for (int b = nb - 2; b >= 0; b--)
        for (size_t e = 0; e < P; e++) ref[e] = parts[(size_t)start[b] * P + e] + ref[e];
    for (int p = 0; p < n_paths(); p++) {
        for (int accumulate = 0; accumulate < 2; accumulate++) {
            for (size_t e = 0; e < P; e++) g[e] = accumulate ? (float)e * 0.5f : 777.0f;
            rsgemm_wgrad_tree(no, ni, dy, (size_t)no, x, (size_t)ni, off, ns, g, (size_t)ni,
                              accumulate, ws, path_of(p));
            size_t bad = 0;
            for (size_t e = 0; e < P; e++) {
                float want = accumulate ? (float)e * 0.5f + ref[e] : ref[e];
                bad += memcmp(&want, g + e, sizeof want) != 0;
            }
            EXPECT(bad == 0, "dw %d->%d ns %d (not a power of two) path %d accumulate %d: %zu "
                   "elements differ", ni, no, ns, p, accumulate, bad);
        }
    }
    free(dy); free(x); free(parts); free(g); free(ref); free(ws);
}

/* ---- 5: row pointers ---------------------------------------------------- */

/* m row pointers into a pool of rows (leading dimension k + 3, one float
 * off alignment), shuffled, every 7th a repeat of the one before; the
 * gathered copy in ag[m][k] */
static void ptr_rows(const float **ap, float *ag, float *pool, int m, int k, uint64_t seed)
{
    const size_t ld = (size_t)k + 3;
    const int P = m + 5;
    fill(pool, (size_t)P * ld + 1, seed, (uint64_t)k);
    for (int r = 0; r < m; r++) {
        int src = (int)(rng_uniform(seed, 99, (uint64_t)r) * (float)P) % P;
        if (r % 7 == 3) src = (int)((ap[r - 1] - (pool + 1)) / (ptrdiff_t)ld);
        ap[r] = pool + 1 + (size_t)src * ld;
        memcpy(ag + (size_t)r * k, ap[r], sizeof(float) * (size_t)k);
    }
}

/* the forward and the weight gradient of one shape, by row pointers and
 * by the gathered rows, on every path: the same bits */
static void check_ptr(int m, int n, int k, int ns)
{
    const float **ap = xmalloc(sizeof(float *) * (size_t)(m ? m : 1));
    float *pool = xmalloc(sizeof(float) * ((size_t)(m + 5) * (size_t)(k + 3) + 1));
    float *ag = xmalloc(sizeof(float) * (size_t)m * k);
    float *W = xmalloc(sizeof(float) * (size_t)n * k);
    float *b = xmalloc(sizeof(float) * (size_t)n), *dy = xmalloc(sizeof(float) * (size_t)m * n);
    float *pk = xmalloc(sizeof(float) * rsgemm_pack_floats(k, n));
    float *c1 = xmalloc(sizeof(float) * (size_t)m * n);
    float *c2 = xmalloc(sizeof(float) * (size_t)m * n);
    float *g1 = xmalloc(sizeof(float) * (size_t)n * k);
    float *g2 = xmalloc(sizeof(float) * (size_t)n * k);
    float *ws = xmalloc(sizeof(float) * rsgemm_wgrad_ws_floats(m, k));
    int off[9] = { 0 };
    for (int s = 1; s < ns; s++) {   /* uneven cuts, some shards empty */
        int c = (int)(rng_uniform(7, (uint64_t)(m * 131 + k), (uint64_t)s) * (float)(m + 1));
        off[s] = c > m ? m : c < off[s - 1] ? off[s - 1] : c;
    }
    off[ns] = m;
    ptr_rows(ap, ag, pool, m, k, (uint64_t)(m * 1000 + n));
    fill(W, (size_t)n * k, 2, (uint64_t)n); fill(b, (size_t)n, 3, 1);
    fill(dy, (size_t)m * n, 4, (uint64_t)m);
    rsgemm_pack(pk, W, k, n, 1, (size_t)k);
    const float *bias = (m + n) % 3 ? b : NULL;
    const int acc = (n + k) % 2;
    for (int pi = 0; pi < n_paths(); pi++) {
        const rsgemm_path path = path_of(pi);
        memset(c1, 0xa5, sizeof(float) * (size_t)m * n);
        memset(c2, 0x5a, sizeof(float) * (size_t)m * n);
        rsgemm_rows(m, n, k, ag, (size_t)k, pk, bias, c1, (size_t)n, path);
        rsgemm_rows_ptr(m, n, k, ap, pk, bias, c2, (size_t)n, path);
        size_t at = first_diff(c1, c2, (size_t)m * n);
        EXPECT(at == (size_t)m * n, "rows_ptr m %d n %d k %d path %d: element %zu differs", m, n,
               k, pi, at);
        fill(g1, (size_t)n * k, 5, 0);
        memcpy(g2, g1, sizeof(float) * (size_t)n * k);
        rsgemm_wgrad_tree(n, k, dy, (size_t)n, ag, (size_t)k, off, ns, g1, (size_t)k, acc, ws,
                          path);
        rsgemm_wgrad_tree_ptr(n, k, dy, (size_t)n, ap, off, ns, g2, (size_t)k, acc, ws, path);
        at = first_diff(g1, g2, (size_t)n * k);
        EXPECT(at == (size_t)n * k, "wgrad_tree_ptr m %d n %d k %d ns %d path %d: element %zu "
               "differs", m, n, k, ns, pi, at);
    }
    free(ap); free(pool); free(ag); free(W); free(b); free(dy); free(pk);
    free(c1); free(c2); free(g1); free(g2); free(ws);
}

/* part 6: the prefetch targets of every tile of an m x k forward with
 * tiles of mr rows and k-blocks of kmax, as the SIMD paths walk them */
static void check_next_rows(int m, int k, int mr, int kmax)
{
    float *pool = xmalloc(sizeof(float) * (size_t)m * k);
    const float **ap = xmalloc(sizeof(float *) * (size_t)m);
    const float *pf[12];
    for (int i = 0; i < m; i++) ap[i] = pool + (size_t)((i * 5 + 3) % m) * k;   /* shuffled */
    int bad = 0;
    for (int k0 = 0; k0 < k; k0 += kmax) {
        const int kc = k - k0 < kmax ? k - k0 : kmax;
        const int kn = k - k0 - kc < kmax ? k - k0 - kc : kmax;
        for (int r = 0; r < m; r += mr) {
            const int r0 = r + mr < m ? r + mr : m;   /* the tile after r's, or none */
            const int len = rsgemm_next_rows(pf, mr, ap, m, r0, k0, kc, kn);
            const int want_len = r0 < m ? kc : kn;
            if (len != want_len) bad++;
            for (int t = 0; t < mr; t++) {
                const int row = r0 < m ? (r0 + t < m ? r0 + t : m - 1) : (t < m ? t : m - 1);
                const int off = r0 < m || kn == 0 ? k0 : k0 + kc;
                if (pf[t] != ap[row] + off) bad++;
                /* the tile prefetches pf[t] + kk for kk < min(kc, len) */
                const int reach = len < kc ? len : kc;
                if (reach > 0 && (off < 0 || off + reach > k)) bad++;
            }
        }
    }
    EXPECT(bad == 0, "next_rows m %d k %d mr %d kmax %d: %d wrong targets", m, k, mr, kmax, bad);
    free(pool);
    free(ap);
}

int main(void)
{
    static const char *simd[] = { "absent (portable only)",
                                  "avx2+fma (checked against portable)",
                                  "avx-512f (checked with avx2+fma against portable)" };
    printf("rsgemm: SIMD path %s\n", simd[rsgemm_have_simd()]);
    /* 1 + 2: odd shapes and the ones dett runs (B, din, dout) */
    static const int rows[][3] = {
        { 1, 1, 1 }, { 5, 3, 1 }, { 5, 1, 3 }, { 7, 17, 13 }, { 13, 13, 17 }, { 6, 16, 16 },
        { 12, 32, 48 }, { 64, 20, 64 }, { 64, 64, 2 }, { 33, 588, 16 }, { 16, 588, 64 },
        { 9, 784, 512 }, { 3, 2, 6 }, { 40, 100, 3 },
        /* k past one and two k-blocks of the SIMD path (the partial stored
         * in C and reloaded must be the chain's own float), with row and
         * column tails */
        { 7, 515, 19 }, { 11, 300, 33 }, { 5, 40, 300 }, { 13, 257, 6 },
    };
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++)
        check_rows(rows[i][0], rows[i][1], rows[i][2]);
    /* 3: every row count 1..B, for the 21 dense shapes of test_stacked */
    static const int shapes[][2] = {
        { 20, 64 }, { 64, 64 }, { 64, 2 }, { 784, 512 }, { 512, 512 }, { 512, 2 },
        { 588, 256 }, { 256, 256 }, { 256, 2 }, { 588, 16 }, { 16, 2 }, { 588, 64 },
        { 588, 8 }, { 8, 2 }, { 2, 6 }, { 6, 2 }, { 16, 256 }, { 64, 256 }, { 8, 256 },
        { 100, 3 }, { 33, 17 },
    };
    for (size_t i = 0; i < sizeof shapes / sizeof shapes[0]; i++)
        check_row_counts(shapes[i][0] * shapes[i][1] > 100000 ? 32 : 64, shapes[i][0],
                         shapes[i][1]);
    /* 4: the weight gradient's tree (no x ni, shard heights) */
    static const int h1[1] = { 23 }, h2[2] = { 7, 0 }, h4[4] = { 5, 0, 9, 1 };
    static const int h8[8] = { 16, 16, 16, 16, 16, 16, 16, 16 };
    static const int h8s[8] = { 3, 3, 2, 2, 2, 0, 0, 0 };
    static const int h16[16] = { 9, 8, 8, 8, 8, 8, 8, 8, 1, 0, 2, 3, 8, 8, 8, 7 };
    static const int h16z[16] = { 0 };
    /* o-counts of every remainder modulo the 6- and 4-row tiles, columns
     * below and above the 4-row tile's 32 */
    static const int dims[][2] = { { 1, 1 }, { 5, 3 }, { 17, 13 }, { 6, 16 }, { 64, 20 },
                                   { 2, 64 }, { 16, 588 }, { 64, 64 }, { 5, 33 }, { 7, 48 },
                                   { 3, 40 }, { 9, 31 } };
    for (size_t i = 0; i < sizeof dims / sizeof dims[0]; i++) {
        const int no = dims[i][0], ni = dims[i][1];
        check_wgrad(no, ni, h1, 1);
        check_wgrad(no, ni, h2, 2);
        check_wgrad(no, ni, h4, 4);
        check_wgrad(no, ni, h8, 8);
        check_wgrad(no, ni, h8s, 8);
        check_wgrad(no, ni, h16, 16);
        check_wgrad(no, ni, h16z, 16);
    }
    check_wgrad(512, 784, h1, 1);
    static const int odd[] = { 3, 5, 6, 7, 11, 13 };
    for (size_t i = 0; i < sizeof odd / sizeof odd[0]; i++) {
        check_wgrad_odd(13, 37, odd[i], 2);
        check_wgrad_odd(6, 32, odd[i], 5);
    }
    /* 5: every m 0 .. 40 with every n 1 .. 70, k cycling through block
     * edges, 1 to 8 shards */
    static const int ks[] = { 1, 2, 3, 7, 15, 16, 17, 31, 33, 64, 191, 192, 193, 255, 256, 257,
                              300 };
    static const int nss[] = { 1, 2, 3, 4, 8 };
    const int nk = (int)(sizeof ks / sizeof ks[0]);
    for (int m = 0; m <= 40; m++)
        for (int n = 1; n <= 70; n++)
            check_ptr(m, n, ks[(m * 7 + n) % nk], nss[(m + 3 * n) % 5]);
    /* 6: the AVX-512 (12 rows, k-blocks of 192) and AVX2 (6, 256) walks */
    for (int m = 1; m <= 40; m++)
        for (int i = 0; i < nk; i++) {
            check_next_rows(m, ks[i], 12, 192);
            check_next_rows(m, ks[i], 6, 256);
        }
    check_next_rows(128, 588, 12, 192);
    check_next_rows(128, 784, 6, 256);
    return TEST_END();
}
