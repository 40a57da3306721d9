/* rsgemm.h - row-stable GEMM: dett's own products for dense layers, with a
 * fixed summation order per output element.
 *
 * Every output element is one accumulator: acc = +0; for k in order:
 * acc = fma(a_k, b_k, acc); then (forward only) + bias. Nothing else touches
 * it, so a row's bits do not depend on how many rows a call has, where the
 * row sits, or how the work is tiled (tails are computed on zero-padded
 * panels or masked lanes with the same per-element sequence). That is what
 * lets the stacked micro-shard step (stacked.h) run a dense layer once over
 * all of a rank's rows and still give every row the bits of its own shard.
 *
 * Three code paths with the same bits: AVX-512F and AVX2+FMA (compiled with
 * target attributes, the widest the CPU has chosen at run time) and a
 * portable one with fmaf(). RSGEMM_PORTABLE forces the portable one and
 * RSGEMM_AVX2 the AVX2 one where the CPU has it (tests compare them;
 * layer.h's `ref` flag selects the portable one for dense layers).
 *
 * The weight gradient is a sum over micro-shards: per shard the rows in order
 * (one fma chain from +0), the shards combined by the balanced binary tree
 * over shard index of runtime/dist/allreduce.h: ((s0 + s1) + (s2 + s3)) + ...
 * built tile by tile in registers and a small stack, written once.
 *
 * Pure computation, no state, no allocation; the caller owns the packing
 * workspaces. No failure returns (arguments are trusted: n, k >= 1, m >= 0).
 */
#ifndef DETT_RSGEMM_H
#define DETT_RSGEMM_H
#include <stddef.h>

typedef enum { RSGEMM_AUTO = 0, RSGEMM_PORTABLE = 1, RSGEMM_AVX2 = 2 } rsgemm_path;

/* columns per packed panel */
#define RSGEMM_NR 16

/* floats of a packed k x n operand (n rounded up to whole panels, plus 16:
 * the panels start at the first 64-byte boundary of the buffer) */
size_t rsgemm_pack_floats(int k, int n);

/* Packs the k x n operand B, element (kk, j) at b[kk * sk + j * sj], into
 * panels of RSGEMM_NR columns: panel p holds B[0..k)[16p .. 16p + 16) row
 * after row, columns past n zero. pk: rsgemm_pack_floats(k, n) floats, passed
 * as is to rsgemm_rows (both start the panels at its first 64-byte boundary). */
void rsgemm_pack(float *pk, const float *b, int k, int n, size_t sk, size_t sj);

/* C[r, j] = sum_kk A[r, kk] B[kk, j] (+ bias[j] after the sum if bias is
 * not NULL) for r < m, j < n; A row-major with leading dimension lda, B as
 * packed by rsgemm_pack(pk, .., k, n, ..), C with leading dimension ldc
 * (written, not accumulated). */
void rsgemm_rows(int m, int n, int k, const float *a, size_t lda, const float *pk,
                 const float *bias, float *c, size_t ldc, rsgemm_path path);

/* rsgemm_rows with A given by row pointers: row r of A is arows[r][0 .. k)
 * (rows may repeat or alias; each is read, never written). Each element's
 * fma chain reads the same floats in the same order as rsgemm_rows on the
 * gathered rows, so C's bits are those of the contiguous call. */
void rsgemm_rows_ptr(int m, int n, int k, const float *const *arows, const float *pk,
                     const float *bias, float *c, size_t ldc, rsgemm_path path);

/* The weight gradient over ns micro-shards (shard s: rows off[s] ..
 * off[s + 1] - 1 of dout and in): G[o, i] = TREE over s of (sum over the
 * shard's rows r, in order, of dout[r, o] in[r, i]), o < no, i < ni; dout
 * [rows, no] with leading dimension ldo, in [rows, ni] with ldi. A shard
 * without rows gives +0. ns should be a power of two (the tree of
 * allreduce.h); otherwise the leftover partial sums are added from the
 * smallest up. accumulate = 0: G is written; 1: G[o, i] += the tree sum.
 * G has leading dimension ldg. Rows 0 .. off[ns] - 1 are read (off[0] >= 0,
 * off non-decreasing). ws: rsgemm_wgrad_ws_floats(off[ns], ni) floats of
 * workspace (the operands packed into tiles), clobbered. */
void rsgemm_wgrad_tree(int no, int ni, const float *dout, size_t ldo, const float *in,
                       size_t ldi, const int *off, int ns, float *g, size_t ldg,
                       int accumulate, float *ws, rsgemm_path path);

/* rsgemm_wgrad_tree with in given by row pointers: row r of in is
 * inrows[r][0 .. ni), r < off[ns]; the bits of rsgemm_wgrad_tree on the
 * gathered rows (the rows are packed into the same tiles). Same ws. */
void rsgemm_wgrad_tree_ptr(int no, int ni, const float *dout, size_t ldo,
                           const float *const *inrows, const int *off, int ns, float *g,
                           size_t ldg, int accumulate, float *ws, rsgemm_path path);

/* floats of workspace rsgemm_wgrad_tree needs for rows rows of ni inputs */
size_t rsgemm_wgrad_ws_floats(int rows, int ni);

/* the path RSGEMM_AUTO runs on this CPU: 2 AVX-512F, 1 AVX2+FMA, 0 portable */
int rsgemm_have_simd(void);

#endif
