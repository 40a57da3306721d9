/* conv.c - image layers: 2-D convolution (im2col + sgemm), k x k max and
 * average pooling, global average pooling. Images are [B, C, H, W] row-major.
 *
 * Convolution shape letters: R = C*k*k rows of an im2col matrix (one per
 * input channel and kernel offset), P = OH*OW output positions per sample.
 * The batch is processed in chunks of G samples: one im2col of the chunk into
 * col[R, G*P] and one sgemm per chunk; G is chosen so the chunk's workspace
 * stays under CONV_CHUNK_FLOATS (but is at least one sample).
 *
 * Fast paths: im2col/col2im move whole runs of valid columns instead of
 * testing every element (one run per sample and kernel offset for a stride-1
 * "same" convolution), the bias sums run eight output channels side by side,
 * the elementwise loops come from vec.h, and 2 x 2 max pooling (pool2.h)
 * finds its maximum and argmax without branches, four windows at a time. Each does the reference's arithmetic
 * in the reference's order, so results are bit-identical to the plain loops
 * (run when l->ref; compared in tests/test_perf_paths.c).
 *
 * When the build has oneDNN (conv_dnnl.h) the convolution runs there
 * instead, unless l->ref or layer_conv_set_dnnl(l, 0); its bits differ from
 * the im2col path's. tests/test_conv.c checks it against im2col and by
 * finite differences.
 */
#include "blocked.h"
#include "conv_dnnl.h"
#include "layer.h"
#include "pool2.h"
#include "rng.h"
#include "vec.h"
#include <cblas.h>
#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#define CONV_CHUNK_FLOATS ((size_t)1 << 20)

/* ---- shared helpers ------------------------------------------------------ */

/* 1 if a, b, c > 0 and a*b*c fits in an int */
static int dims_ok(int a, int b, int c)
{
    if (a <= 0 || b <= 0 || c <= 0) return 0;
    return (long long)a * b <= INT_MAX / c;
}

/* a zeroed layer mapping an image [C, H, W] to [OC, OH, OW]; NULL if a size
 * is not positive, a row exceeds INT_MAX elements, or memory runs out */
static layer *image_layer(const layer_ops *ops, layer_kind kind, int C, int H,
                          int W, int OC, int OH, int OW)
{
    if (!dims_ok(C, H, W) || !dims_ok(OC, OH, OW)) return NULL;
    layer *l = calloc(1, sizeof *l);
    if (!l) return NULL;
    l->ops = ops;
    l->kind = kind;
    l->C = C; l->H = H; l->W = W;
    l->OC = OC; l->OH = OH; l->OW = OW;
    l->in_dim = C * H * W;
    l->out_dim = OC * OH * OW;
    return l;
}

static size_t no_ws(const layer *l, int B) { (void)l; (void)B; return 0; }

static void no_init(const layer *l, float *p, uint64_t seed, uint64_t stream)
{
    (void)l; (void)p; (void)seed; (void)stream;
}

/* ---- convolution --------------------------------------------------------- */

static size_t conv_R(const layer *l) { return (size_t)l->C * l->k * l->k; }
static size_t conv_P(const layer *l) { return (size_t)l->OH * l->OW; }

/* samples per chunk for a batch of B (0 only when B is 0) */
static int conv_chunk(const layer *l, int B)
{
    size_t per = conv_P(l) * (conv_R(l) + (size_t)l->OC);
    size_t G = CONV_CHUNK_FLOATS / per;
    if (G < 1) G = 1;
    return G < (size_t)B ? (int)G : B;
}

/* col[R, G*P] <- patches of x[G, C, H, W]:
 * col[(c*k + i)*k + j, g*P + oh*OW + ow] = x[g, c, oh*s - pad + i, ow*s - pad + j],
 * 0 where the index falls in the padding */
static void conv_im2col_ref(const layer *l, float *col, const float *x, int G)
{
    const int C = l->C, H = l->H, W = l->W, k = l->k, s = l->stride, pad = l->pad;
    const int OH = l->OH, OW = l->OW;
    const size_t P = conv_P(l), N = (size_t)G * P;
    for (int c = 0; c < C; c++)
        for (int i = 0; i < k; i++)
            for (int j = 0; j < k; j++) {
                float *row = col + ((size_t)(c * k + i) * k + j) * N;
                for (int g = 0; g < G; g++) {
                    const float *xc = x + ((size_t)g * C + c) * H * W;
                    for (int oh = 0; oh < OH; oh++) {
                        float *r = row + (size_t)g * P + (size_t)oh * OW;
                        int ih = oh * s - pad + i;
                        if (ih < 0 || ih >= H) {
                            memset(r, 0, sizeof(float) * OW);
                            continue;
                        }
                        const float *xr = xc + (size_t)ih * W;
                        for (int ow = 0; ow < OW; ow++) {
                            int iw = ow * s - pad + j;
                            r[ow] = (iw >= 0 && iw < W) ? xr[iw] : 0.0f;
                        }
                    }
                }
            }
}

/* the output columns ow of kernel column j whose input column
 * iw = ow*s - pad + j lies inside [0, W): [*lo, *hi) */
static void conv_valid_cols(const layer *l, int j, int *lo, int *hi)
{
    const int s = l->stride, a = l->pad - j, b = l->W - 1 + l->pad - j;
    int first = a <= 0 ? 0 : (a + s - 1) / s;
    int last = b < 0 ? 0 : b / s + 1;
    if (last > l->OW) last = l->OW;
    if (first > last) first = last;
    *lo = first;
    *hi = last;
}

/* the output rows oh whose input row ih = oh*s - pad + i lies inside
 * [0, H): [*lo, *hi) (conv_valid_cols for rows) */
static void conv_valid_rows(const layer *l, int i, int *lo, int *hi)
{
    const int s = l->stride, a = l->pad - i, b = l->H - 1 + l->pad - i;
    int first = a <= 0 ? 0 : (a + s - 1) / s;
    int last = b < 0 ? 0 : b / s + 1;
    if (last > l->OH) last = l->OH;
    if (first > last) first = last;
    *lo = first;
    *hi = last;
}

/* where kernel offset (i, j) reads the input: valid output columns
 * [lo, hi) starting at input column off, valid output rows [rlo, rhi);
 * one_run: stride 1 and OW == W, so a sample's valid rows are the one run
 * [q0, q1) of output positions, reading input position q + delta */
typedef struct {
    int lo, hi, off, rlo, rhi, one_run;
    size_t q0, q1;
    ptrdiff_t delta;
} conv_span;

static conv_span conv_span_of(const layer *l, int i, int j)
{
    conv_span sp;
    conv_valid_cols(l, j, &sp.lo, &sp.hi);
    conv_valid_rows(l, i, &sp.rlo, &sp.rhi);
    sp.off = sp.lo * l->stride - l->pad + j;
    sp.one_run = l->stride == 1 && l->OW == l->W && sp.rlo < sp.rhi && sp.lo < sp.hi;
    sp.q0 = sp.q1 = 0;
    sp.delta = 0;
    if (sp.one_run) {
        sp.q0 = (size_t)sp.rlo * l->W + sp.lo;
        sp.q1 = (size_t)(sp.rhi - 1) * l->W + sp.hi;
        sp.delta = (ptrdiff_t)(i - l->pad) * l->W + (j - l->pad);
    }
    return sp;
}

/* in one sample's run r (one_run spans): the entries that wrapped around a
 * row edge, i.e. invalid columns inside [q0, q1), set to +0 */
static void conv_zero_wrapped(const layer *l, const conv_span *sp, float *r)
{
    const int W = l->W;
    for (int oh = sp->rlo; oh < sp->rhi; oh++) {
        float *ro = r + (size_t)oh * W;
        if (oh > sp->rlo) for (int ow = 0; ow < sp->lo; ow++) ro[ow] = 0.0f;
        if (oh < sp->rhi - 1) for (int ow = sp->hi; ow < W; ow++) ro[ow] = 0.0f;
    }
}

/* conv_im2col_ref with each output row as zeros | a run of input | zeros.
 * With stride 1 and OW == W ("same" width), output position q = oh*W + ow
 * reads input q + (i - pad)*W + (j - pad) wherever it is valid, so the valid
 * rows of one sample are one copy, after which the columns that wrapped
 * around a row edge are zeroed. */
static void conv_im2col_fast(const layer *l, float *restrict col,
                             const float *restrict x, int G)
{
    const int C = l->C, H = l->H, W = l->W, k = l->k, s = l->stride, pad = l->pad;
    const int OH = l->OH, OW = l->OW;
    const size_t P = conv_P(l), N = (size_t)G * P;
    for (int c = 0; c < C; c++)
        for (int i = 0; i < k; i++)
            for (int j = 0; j < k; j++) {
                float *row = col + ((size_t)(c * k + i) * k + j) * N;
                const conv_span sp = conv_span_of(l, i, j);
                const int lo = sp.lo, hi = sp.hi, off = sp.off;
                if (sp.one_run) {
                    for (int g = 0; g < G; g++) {
                        float *r = row + (size_t)g * P;
                        const float *xc = x + ((size_t)g * C + c) * H * W;
                        memset(r, 0, sizeof(float) * sp.q0);
                        memcpy(r + sp.q0, xc + (ptrdiff_t)sp.q0 + sp.delta,
                               sizeof(float) * (sp.q1 - sp.q0));
                        memset(r + sp.q1, 0, sizeof(float) * (P - sp.q1));
                        conv_zero_wrapped(l, &sp, r);
                    }
                    continue;
                }
                for (int g = 0; g < G; g++) {
                    const float *xc = x + ((size_t)g * C + c) * H * W;
                    for (int oh = 0; oh < OH; oh++) {
                        float *r = row + (size_t)g * P + (size_t)oh * OW;
                        int ih = oh * s - pad + i;
                        if (ih < 0 || ih >= H) {
                            memset(r, 0, sizeof(float) * OW);
                            continue;
                        }
                        const float *xr = xc + (size_t)ih * W + off;
                        for (int ow = 0; ow < lo; ow++) r[ow] = 0.0f;
                        if (s == 1)
                            memcpy(r + lo, xr, sizeof(float) * (size_t)(hi - lo));
                        else
                            for (int ow = lo; ow < hi; ow++) r[ow] = xr[(size_t)(ow - lo) * s];
                        for (int ow = hi; ow < OW; ow++) r[ow] = 0.0f;
                    }
                }
            }
}

static void conv_im2col(const layer *l, float *col, const float *x, int G)
{
    if (l->ref) conv_im2col_ref(l, col, x, G);
    else conv_im2col_fast(l, col, x, G);
}

/* dx[G, C, H, W] += col2im(col[R, G*P]): the adjoint of conv_im2col */
static void conv_col2im_ref(const layer *l, float *dx, const float *col, int G)
{
    const int C = l->C, H = l->H, W = l->W, k = l->k, s = l->stride, pad = l->pad;
    const int OH = l->OH, OW = l->OW;
    const size_t P = conv_P(l), N = (size_t)G * P;
    for (int c = 0; c < C; c++)
        for (int i = 0; i < k; i++)
            for (int j = 0; j < k; j++) {
                const float *row = col + ((size_t)(c * k + i) * k + j) * N;
                for (int g = 0; g < G; g++) {
                    float *dxc = dx + ((size_t)g * C + c) * H * W;
                    for (int oh = 0; oh < OH; oh++) {
                        int ih = oh * s - pad + i;
                        if (ih < 0 || ih >= H) continue;
                        const float *r = row + (size_t)g * P + (size_t)oh * OW;
                        float *dxr = dxc + (size_t)ih * W;
                        for (int ow = 0; ow < OW; ow++) {
                            int iw = ow * s - pad + j;
                            if (iw >= 0 && iw < W) dxr[iw] += r[ow];
                        }
                    }
                }
            }
}

/* conv_col2im_ref over the valid columns only; every dx element receives
 * the same nonzero additions in the same order. With stride 1 and OW == W
 * the valid rows of a sample are added as one run (as in conv_im2col_fast)
 * after the entries that wrap around a row edge are set to +0 in col: dx
 * starts at +0 and a round-to-nearest sum that starts at +0 is never -0, so
 * adding +0 leaves it unchanged, bit for bit. col is overwritten there.
 * So dx must hold no -0 on entry: conv_backward zeroes it first. */
static void conv_col2im_fast(const layer *l, float *restrict dx,
                             float *restrict col, int G)
{
    const int C = l->C, H = l->H, W = l->W, k = l->k, s = l->stride, pad = l->pad;
    const int OH = l->OH, OW = l->OW;
    const size_t P = conv_P(l), N = (size_t)G * P;
    for (int c = 0; c < C; c++)
        for (int i = 0; i < k; i++)
            for (int j = 0; j < k; j++) {
                float *row = col + ((size_t)(c * k + i) * k + j) * N;
                const conv_span sp = conv_span_of(l, i, j);
                const int lo = sp.lo, hi = sp.hi, off = sp.off;
                if (sp.one_run) {
                    for (int g = 0; g < G; g++) {
                        float *r = row + (size_t)g * P;
                        conv_zero_wrapped(l, &sp, r);
                        float *dxc = dx + ((size_t)g * C + c) * H * W;
                        vec_acc(dxc + (ptrdiff_t)sp.q0 + sp.delta, r + sp.q0, sp.q1 - sp.q0);
                    }
                    continue;
                }
                for (int g = 0; g < G; g++) {
                    float *dxc = dx + ((size_t)g * C + c) * H * W;
                    for (int oh = 0; oh < OH; oh++) {
                        int ih = oh * s - pad + i;
                        if (ih < 0 || ih >= H) continue;
                        const float *r = row + (size_t)g * P + (size_t)oh * OW;
                        float *dxr = dxc + (size_t)ih * W + off;
                        if (s == 1)
                            vec_acc(dxr, r + lo, (size_t)(hi - lo));
                        else
                            for (int ow = lo; ow < hi; ow++) dxr[(size_t)(ow - lo) * s] += r[ow];
                    }
                }
            }
}

/* col is overwritten by the fast path (see conv_col2im_fast) */
static void conv_col2im(const layer *l, float *dx, float *col, int G)
{
    if (l->ref) conv_col2im_ref(l, dx, col, G);
    else conv_col2im_fast(l, dx, col, G);
}

/* gb[o] += sum_q dy[o, q] over q = 0..N-1 in order, for o < OC; the fast
 * form runs eight channels' sums side by side (same order within each) */
static void conv_bias_grad(const layer *l, float *gb, const float *dy, size_t N)
{
    const int OC = l->OC;
    int o = 0;
    if (!l->ref)
        for (; o + 8 <= OC; o += 8) {
            const float *r = dy + (size_t)o * N;
            float s[8] = { 0.0f };
            for (size_t q = 0; q < N; q++)
                for (int u = 0; u < 8; u++) s[u] += r[(size_t)u * N + q];
            for (int u = 0; u < 8; u++) gb[o + u] += s[u];
        }
    for (; o < OC; o++) {
        const float *r = dy + (size_t)o * N;
        float s = 0.0f;
        for (size_t q = 0; q < N; q++) s += r[q];
        gb[o] += s;
    }
}

/* the im2col path's room for blocked rows (model.h, "Layouts"): a chunk's
 * input rows made plain, and one row for converting in place */
static size_t conv_blk_floats(const layer *l, int G)
{
    const size_t row = (size_t)(l->in_dim > l->out_dim ? l->in_dim : l->out_dim);
    return (size_t)G * l->in_dim + row;
}

/* x's g rows from b0 as plain rows: x itself, or (blocked input) copies in
 * xin */
static const float *conv_plain_in(const layer *l, const float *x, int b0, int g, float *xin)
{
    const float *rows = x + (size_t)b0 * l->in_dim;
    if (!l->blk_in) return rows;
    for (int t = 0; t < g; t++)
        blk_to_plain(xin + (size_t)t * l->in_dim, rows + (size_t)t * l->in_dim, l->C,
                     l->H * l->W, l->blk_in);
    return xin;
}

/* g plain rows of n floats at y, blocked by L in place (through row) */
static void conv_block_rows(float *y, int g, int C, int HW, int L, float *row)
{
    const size_t n = (size_t)C * HW;
    for (int t = 0; t < g; t++) {
        blk_from_plain(row, y + (size_t)t * n, C, HW, L);
        memcpy(y + (size_t)t * n, row, sizeof(float) * n);
    }
}

/* out[b, o, q] = bias[o] + sum_r Wt[o, r] col_b[r, q]
 * ws: col[R, G*P] then y[OC, G*P], then conv_blk_floats(l, G). Blocked
 * rows (l->blk_in, l->blk_out) are made plain for im2col and blocked again
 * after, so both layouts give the same bits. */
static void conv_forward(const layer *l, const float *p, float *out,
                         const float *in, int B, float *ws)
{
    if (l->dnnl && !l->ref && conv_dnnl_forward(l, l->dnnl, p, out, in, B) == 0)
        return;
    const int OC = l->OC, G = conv_chunk(l, B);
    const size_t R = conv_R(l), P = conv_P(l);
    const float *Wt = p + l->off;                 /* [OC, R] */
    const float *bias = Wt + (size_t)OC * R;      /* [OC] */
    float *col = ws, *y = ws + R * G * P, *xin = y + (size_t)OC * G * P;
    float *row = xin + (size_t)G * l->in_dim;
    for (int b0 = 0; b0 < B; b0 += G) {
        const int g = B - b0 < G ? B - b0 : G;
        const size_t N = (size_t)g * P;
        conv_im2col(l, col, conv_plain_in(l, in, b0, g, xin), g);
        /* y[OC, N] = Wt[OC, R] col[R, N] */
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, OC, (int)N, (int)R,
                    1.0f, Wt, (int)R, col, (int)N, 0.0f, y, (int)N);
        /* out[b0 + t, o, :] = y[o, t*P : (t+1)*P] + bias[o], then the ReLU
         * after the layer when it applies it (relu_out) */
        for (int t = 0; t < g; t++)
            for (int o = 0; o < OC; o++) {
                float *dst = out + ((size_t)(b0 + t) * OC + o) * P;
                const float *src = y + (size_t)o * N + (size_t)t * P;
                if (!l->ref && l->relu_out) { vec_add_scalar_relu(dst, src, bias[o], P); continue; }
                if (!l->ref) { vec_add_scalar(dst, src, bias[o], P); continue; }
                for (size_t q = 0; q < P; q++) {
                    const float v = src[q] + bias[o];
                    dst[q] = l->relu_out && !(v > 0.0f) ? 0.0f : v;
                }
            }
        if (l->blk_out)
            conv_block_rows(out + (size_t)b0 * l->out_dim, g, OC, (int)P, l->blk_out, row);
    }
}

/* dy[OC, N] gathered from dout: dW += dy col^T; db[o] += sum_q dy[o, q];
 * dcol = Wt^T dy; din = col2im(dcol). ws as in forward (dy in place of y). */
static void conv_backward(const layer *l, const float *p, float *g, float *din,
                          const float *dout, const float *in, const float *out,
                          int B, float *ws)
{
    (void)out;
    if (l->frozen && !din) return;
    if (l->dnnl && !l->ref && conv_dnnl_backward(l, l->dnnl, p, g, din, dout, in, B) == 0)
        return;
    const int OC = l->OC, G = conv_chunk(l, B);
    const size_t R = conv_R(l), P = conv_P(l);
    const float *Wt = p + l->off;                 /* [OC, R] */
    float *gW = g + l->off, *gb = gW + (size_t)OC * R;
    float *col = ws, *dy = ws + R * G * P, *xin = dy + (size_t)OC * G * P;
    float *row = xin + (size_t)G * l->in_dim;
    for (int b0 = 0; b0 < B; b0 += G) {
        const int gs = B - b0 < G ? B - b0 : G;
        const size_t N = (size_t)gs * P;
        /* dy[o, t*P + q] = dout[b0 + t, o, q] */
        for (int t = 0; t < gs; t++) {
            const float *dr = dout + (size_t)(b0 + t) * l->out_dim;
            if (l->blk_out) {
                blk_to_plain(row, dr, OC, (int)P, l->blk_out);
                dr = row;
            }
            for (int o = 0; o < OC; o++)
                memcpy(dy + (size_t)o * N + (size_t)t * P, dr + (size_t)o * P,
                       sizeof(float) * P);
        }
        if (!l->frozen) {
            conv_im2col(l, col, conv_plain_in(l, in, b0, gs, xin), gs);
            /* gW[OC, R] += dy[OC, N] col[R, N]^T */
            cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, OC, (int)R, (int)N,
                        1.0f, dy, (int)N, col, (int)N, 1.0f, gW, (int)R);
            conv_bias_grad(l, gb, dy, N);
        }
        if (din) {
            float *dx = din + (size_t)b0 * l->in_dim;
            /* col[R, N] = Wt[OC, R]^T dy[OC, N] */
            cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, (int)R, (int)N, OC,
                        1.0f, Wt, (int)R, dy, (int)N, 0.0f, col, (int)N);
            memset(dx, 0, sizeof(float) * (size_t)gs * l->in_dim);
            conv_col2im(l, dx, col, gs);
            if (l->blk_in) conv_block_rows(dx, gs, l->C, l->H * l->W, l->blk_in, row);
        }
    }
}

/* W and b ~ U(-1/sqrt(C*k*k), 1/sqrt(C*k*k)), as torch.nn.Conv2d */
static void conv_init(const layer *l, float *p, uint64_t seed, uint64_t stream)
{
    float bound = 1.0f / sqrtf((float)conv_R(l));
    for (size_t i = 0; i < l->n_params; i++)
        p[l->off + i] = (2.0f * rng_uniform(seed, stream, i) - 1.0f) * bound;
}

static size_t conv_ws(const layer *l, int B)
{
    const int G = conv_chunk(l, B);
    return (size_t)G * conv_P(l) * (conv_R(l) + (size_t)l->OC) + conv_blk_floats(l, G);
}

static const layer_ops conv_ops = { "conv", conv_forward, conv_backward,
                                    conv_init, conv_ws };

layer *layer_conv(int C, int H, int W, int OC, int k, int stride, int pad)
{
    if (k <= 0 || stride <= 0 || pad < 0 || !dims_ok(C, k, k)) return NULL;
    if (H <= 0 || W <= 0) return NULL;
    long long eh = (long long)H + 2LL * pad - k, ew = (long long)W + 2LL * pad - k;
    if (eh < 0 || ew < 0) return NULL;
    long long OH = eh / stride + 1, OW = ew / stride + 1;
    if (OH > INT_MAX || OW > INT_MAX) return NULL;
    layer *l = image_layer(&conv_ops, LAYER_CONV, C, H, W, OC, (int)OH, (int)OW);
    if (!l) return NULL;
    l->k = k; l->stride = stride; l->pad = pad;
    l->n_params = (size_t)OC * C * k * k + (size_t)OC;
    l->dnnl = conv_dnnl_new(l);       /* NULL: im2col */
    return l;
}

int layer_conv_set_dnnl(layer *l, int on)
{
    if (!l || l->kind != LAYER_CONV) return 0;
    if (!on) {
        conv_dnnl_free(l->dnnl);
        l->dnnl = NULL;
    } else if (!l->dnnl) {
        l->dnnl = conv_dnnl_new(l);
    }
    return l->dnnl != NULL;
}

/* ---- k x k pooling, stride k ------------------------------------------- */

/* offset in a [H, W] plane of the first maximum (row-major window order) of
 * the k x k window of output (oh, ow) */
static size_t pool_argmax(const float *x, int W, int k, int oh, int ow)
{
    size_t best = (size_t)oh * k * W + (size_t)ow * k;
    for (int i = 0; i < k; i++)
        for (int j = 0; j < k; j++) {
            size_t at = ((size_t)oh * k + i) * W + (size_t)ow * k + j;
            if (x[at] > x[best]) best = at;
        }
    return best;
}

/* out[b, c, oh, ow] = max over the window of in[b, c, :, :] */
static void maxpool_forward(const layer *l, const float *p, float *out,
                            const float *in, int B, float *ws)
{
    (void)p; (void)ws;
    if (l->blk_in) {
        blk_maxpool_forward(out, in, B, l->C, l->H, l->W, l->k, l->OH, l->OW, l->blk_in);
        return;
    }
    if (l->k == 2 && !l->ref) {
        pool2_max_forward(out, in, (long)B * l->C, l->H, l->W, l->OH, l->OW);
        return;
    }
    const int H = l->H, W = l->W, OH = l->OH, OW = l->OW, k = l->k;
    for (size_t pl = 0; pl < (size_t)B * l->C; pl++) {
        const float *x = in + pl * H * W;
        float *y = out + pl * OH * OW;
        for (int oh = 0; oh < OH; oh++)
            for (int ow = 0; ow < OW; ow++)
                y[oh * OW + ow] = x[pool_argmax(x, W, k, oh, ow)];
    }
}

/* din = dout routed to the first argmax of each window (recomputed from in),
 * 0 elsewhere; relu: in is a ReLU's output and din the gradient at the
 * ReLU's input (dout routed only where the window's maximum is > 0) */
static void maxpool_grad(const layer *l, float *din, const float *dout, const float *in,
                         int B, int relu)
{
    if (l->blk_in) {
        blk_maxpool_backward(din, dout, in, B, l->C, l->H, l->W, l->k, l->OH, l->OW,
                             l->blk_in, relu);
        return;
    }
    if (l->k == 2 && !l->ref) {
        if (l->H != 2 * l->OH || l->W != 2 * l->OW)   /* rows, columns in no window */
            memset(din, 0, sizeof(float) * (size_t)B * l->in_dim);
        pool2_max_backward(din, dout, in, (long)B * l->C, l->H, l->W, l->OH, l->OW, relu);
        return;
    }
    const int H = l->H, W = l->W, OH = l->OH, OW = l->OW, k = l->k;
    memset(din, 0, sizeof(float) * (size_t)B * l->in_dim);
    for (size_t pl = 0; pl < (size_t)B * l->C; pl++) {
        const float *x = in + pl * H * W;
        const float *dy = dout + pl * OH * OW;
        float *dx = din + pl * H * W;
        for (int oh = 0; oh < OH; oh++)
            for (int ow = 0; ow < OW; ow++) {
                const size_t at = pool_argmax(x, W, k, oh, ow);
                dx[at] += relu && !(x[at] > 0.0f) ? 0.0f : dy[oh * OW + ow];
            }
    }
}

static void maxpool_backward(const layer *l, const float *p, float *g, float *din,
                             const float *dout, const float *in, const float *out,
                             int B, float *ws)
{
    (void)p; (void)g; (void)out; (void)ws;
    if (din) maxpool_grad(l, din, dout, in, B, 0);
}

void maxpool_relu_backward(const layer *pool, float *din, const float *dout, const float *in,
                           int B)
{
    maxpool_grad(pool, din, dout, in, B, 1);
}

/* out[b, c, oh, ow] = mean over the window of in[b, c, :, :] */
static void avgpool_forward(const layer *l, const float *p, float *out,
                            const float *in, int B, float *ws)
{
    (void)p; (void)ws;
    const int H = l->H, W = l->W, OH = l->OH, OW = l->OW, k = l->k;
    const float scale = 1.0f / (float)(k * k);
    for (size_t pl = 0; pl < (size_t)B * l->C; pl++) {
        const float *x = in + pl * H * W;
        float *y = out + pl * OH * OW;
        for (int oh = 0; oh < OH; oh++)
            for (int ow = 0; ow < OW; ow++) {
                float s = 0.0f;
                for (int i = 0; i < k; i++)
                    for (int j = 0; j < k; j++)
                        s += x[((size_t)oh * k + i) * W + (size_t)ow * k + j];
                y[oh * OW + ow] = s * scale;
            }
    }
}

/* din = dout / (k*k) over each window, 0 outside every window */
static void avgpool_backward(const layer *l, const float *p, float *g, float *din,
                             const float *dout, const float *in, const float *out,
                             int B, float *ws)
{
    (void)p; (void)g; (void)in; (void)out; (void)ws;
    if (!din) return;
    const int H = l->H, W = l->W, OH = l->OH, OW = l->OW, k = l->k;
    const float scale = 1.0f / (float)(k * k);
    memset(din, 0, sizeof(float) * (size_t)B * l->in_dim);
    for (size_t pl = 0; pl < (size_t)B * l->C; pl++) {
        const float *dy = dout + pl * OH * OW;
        float *dx = din + pl * H * W;
        for (int oh = 0; oh < OH; oh++)
            for (int ow = 0; ow < OW; ow++) {
                float v = dy[oh * OW + ow] * scale;
                for (int i = 0; i < k; i++)
                    for (int j = 0; j < k; j++)
                        dx[((size_t)oh * k + i) * W + (size_t)ow * k + j] = v;
            }
    }
}

static const layer_ops maxpool_ops = { "maxpool", maxpool_forward,
                                       maxpool_backward, no_init, no_ws };
static const layer_ops avgpool_ops = { "avgpool", avgpool_forward,
                                       avgpool_backward, no_init, no_ws };

/* output floor(H/k) x floor(W/k); NULL if that is empty */
static layer *pool_layer(const layer_ops *ops, layer_kind kind, int C, int H,
                         int W, int k)
{
    if (k <= 0 || H < k || W < k) return NULL;
    layer *l = image_layer(ops, kind, C, H, W, C, H / k, W / k);
    if (!l) return NULL;
    l->k = l->stride = k;
    return l;
}

layer *layer_maxpool(int C, int H, int W, int k)
{
    return pool_layer(&maxpool_ops, LAYER_MAXPOOL, C, H, W, k);
}

layer *layer_avgpool(int C, int H, int W, int k)
{
    return pool_layer(&avgpool_ops, LAYER_AVGPOOL, C, H, W, k);
}

/* ---- global average pooling ---------------------------------------------- */

/* out[b, c] = mean_{h,w} in[b, c, h, w] */
static void gap_forward(const layer *l, const float *p, float *out,
                        const float *in, int B, float *ws)
{
    (void)p; (void)ws;
    const size_t HW = (size_t)l->H * l->W;
    const float scale = 1.0f / (float)HW;
    if (l->blk_in) {
        blk_gap_forward(out, in, B, l->C, (int)HW, l->blk_in);
        return;
    }
    for (size_t pl = 0; pl < (size_t)B * l->C; pl++) {
        const float *x = in + pl * HW;
        float s = 0.0f;
        for (size_t q = 0; q < HW; q++) s += x[q];
        out[pl] = s * scale;
    }
}

/* din[b, c, h, w] = dout[b, c] / (H*W) */
static void gap_backward(const layer *l, const float *p, float *g, float *din,
                         const float *dout, const float *in, const float *out,
                         int B, float *ws)
{
    (void)p; (void)g; (void)in; (void)out; (void)ws;
    if (!din) return;
    const size_t HW = (size_t)l->H * l->W;
    const float scale = 1.0f / (float)HW;
    if (l->blk_in) {
        blk_gap_backward(din, dout, B, l->C, (int)HW, l->blk_in);
        return;
    }
    for (size_t pl = 0; pl < (size_t)B * l->C; pl++) {
        float v = dout[pl] * scale, *dx = din + pl * HW;
        for (size_t q = 0; q < HW; q++) dx[q] = v;
    }
}

static const layer_ops gap_ops = { "gap", gap_forward, gap_backward,
                                   no_init, no_ws };

layer *layer_gap(int C, int H, int W)
{
    layer *l = image_layer(&gap_ops, LAYER_GAP, C, H, W, C, 1, 1);
    if (!l) return NULL;
    l->k = 0; l->stride = 0;
    return l;
}
