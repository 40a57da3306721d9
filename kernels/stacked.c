/* stacked.c - backward over stacked micro-shards (see stacked.h). */
#include "stacked.h"
#include "vec.h"
#include <cblas.h>
#include <string.h>

#define MAX_LEVELS 32

/* a binary counter of partial sums over pushes of n floats, on caller
 * memory: equal-sized partials are summed pairwise (left + right) as soon
 * as both exist, which builds the balanced tree of tree_acc (allreduce.h)
 * and keeps only log2(pushes) + 1 partials alive */
typedef struct {
    float *buf[MAX_LEVELS];
    int full[MAX_LEVELS];
    float *spare;       /* where the next push is written */
    size_t n;
    int levels;
} counter;

/* levels of a counter for ns pushes: log2(ns) + 1 */
static int levels_for(int ns)
{
    int l = 1;
    while ((1 << (l - 1)) < ns) l++;
    return l;
}

/* (levels + 1) buffers of n floats from mem */
static void counter_init(counter *c, float *mem, size_t n, int levels)
{
    c->n = n;
    c->levels = levels;
    for (int l = 0; l < levels; l++) {
        c->buf[l] = mem + (size_t)l * n;
        c->full[l] = 0;
    }
    c->spare = mem + (size_t)levels * n;
}

/* adds the spare buffer to the tree (as tree_push); clear: each right
 * operand is left zeroed (vec_acc_clear), so that buffers that were zero
 * before their push are zero again when handed out as the spare */
static void counter_push(counter *c, int clear)
{
    float *cur = c->spare;
    int l = 0;
    while (c->full[l]) {
        float *left = c->buf[l];
        if (clear) vec_acc_clear(left, cur, c->n);
        else vec_acc(left, cur, c->n);
        c->full[l] = 0;
        c->buf[l] = cur;
        cur = left;
        l++;
    }
    float *old = c->buf[l];
    c->buf[l] = cur;
    c->full[l] = 1;
    c->spare = old;
}

/* the last of a power-of-two count of pushes, with clear: the sum goes to
 * dst[n] instead of a buffer (the final addition writes it), and every
 * buffer is left zero */
static void counter_push_last(counter *c, float *dst)
{
    float *cur = c->spare;
    int l = 0;
    while (c->full[l]) {
        float *left = c->buf[l];
        int top = 1;   /* the last addition: no full level above this one */
        for (int u = l + 1; u < c->levels; u++) top &= !c->full[u];
        if (top) {
            vec_add_clear(dst, left, cur, c->n);
            c->full[l] = 0;
            c->buf[l] = cur;
            c->spare = left;
            return;
        }
        vec_acc_clear(left, cur, c->n);
        c->full[l] = 0;
        c->buf[l] = cur;
        cur = left;
        l++;
    }
    vec_move_clear(dst, cur, c->n);   /* a single push */
    c->spare = cur;
}

int model_stackable(const model *m)
{
    for (int i = 0; i < m->n_layers; i++)
        if (m->layers[i]->kind != LAYER_DENSE && m->layers[i]->kind != LAYER_RELU) return 0;
    return m->n_layers > 0;
}

/* the scratch, all zero between calls:
 * [bias partials: (levels(ns) + 1) x max dout]
 * [weight partials: (levels(ns / 2) + 1) x max din dout, when ns >= 4] */
static void scratch_sizes(const model *m, int ns, size_t *nb, size_t *nw)
{
    size_t bo = 1, wo = 1;
    for (int i = 0; i < m->n_layers; i++) {
        const layer *l = m->layers[i];
        if (l->kind != LAYER_DENSE) continue;
        if ((size_t)l->dout > bo) bo = (size_t)l->dout;
        if ((size_t)l->din * l->dout > wo) wo = (size_t)l->din * l->dout;
    }
    *nb = bo * (size_t)(levels_for(ns) + 1);
    *nw = ns >= 4 ? wo * (size_t)(levels_for(ns / 2) + 1) : 0;
}

size_t stacked_scratch_floats(const model *m, int ns)
{
    size_t nb, nw;
    scratch_sizes(m, ns, &nb, &nw);
    return nb + nw;
}

void model_forward_shards(const model *m, model_ws *w, const float *x, const int *off, int ns)
{
    w->act[0] = (float *)x;
    for (int i = 0; i < m->n_layers; i++) {
        const layer *l = m->layers[i];
        if (l->kind == LAYER_RELU) {   /* elementwise: all rows in one pass */
            l->ops->forward(l, m->params, w->act[i + 1], w->act[i], off[ns], w->ws);
            continue;
        }
        for (int s = 0; s < ns; s++) {
            const int r0 = off[s], b = off[s + 1] - r0;
            if (b > 0)
                l->ops->forward(l, m->params, w->act[i + 1] + (size_t)r0 * l->out_dim,
                                w->act[i] + (size_t)r0 * l->in_dim, b, w->ws);
        }
    }
}

typedef struct {
    const model *m;
    const int *off;
    int ns;
    float *bias_scratch, *weight_scratch;
} shards_ctx;

/* C[dO, di] += dout_s^T in_s for shard s (nothing for a shard without rows).
 * OpenBLAS adds the finished K-sum of the shard's rows to C once per
 * element, so accumulating the second shard of a pair onto the first gives
 * the bits of the tree's (g_2p + g_2p+1) (tests/test_stacked.c). */
static void weight_acc(const layer *l, float *C, const float *dout, const float *in,
                       const shards_ctx *c, int s)
{
    const int di = l->din, dO = l->dout, r0 = c->off[s], b = c->off[s + 1] - r0;
    if (b > 0)
        cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, dO, di, b, 1.0f,
                    dout + (size_t)r0 * dO, dO, in + (size_t)r0 * di, di, 1.0f, C, di);
}

/* one dense layer's parameter gradient over the shards: the weight as the
 * tree over pairs of shards (each pair accumulated by two GEMMs into one
 * zeroed buffer), the bias as the tree over shards of row sums from +0 */
static void dense_grad_shards(const layer *l, float *g, const float *dout, const float *in,
                              const shards_ctx *c)
{
    const int di = l->din, dO = l->dout, ns = c->ns;
    const size_t P = (size_t)di * dO;
    float *gW = g + l->off, *gb = gW + P;
    counter k;
    if (ns <= 2) {   /* straight into g */
        memset(gW, 0, sizeof(float) * P);
        for (int s = 0; s < ns; s++) weight_acc(l, gW, dout, in, c, s);
    } else {
        counter_init(&k, c->weight_scratch, P, levels_for(ns / 2));
        for (int s = 0; s < ns; s += 2) {
            weight_acc(l, k.spare, dout, in, c, s);
            weight_acc(l, k.spare, dout, in, c, s + 1);
            if (s + 2 < ns) counter_push(&k, 1);
            else counter_push_last(&k, gW);   /* the scratch is zero again */
        }
    }
    counter_init(&k, c->bias_scratch, (size_t)dO, levels_for(ns));
    for (int s = 0; s < ns; s++) {   /* db: rows in order from +0 (the zeroed spare), as dense.c */
        float *part = k.spare;
        for (int i = c->off[s]; i < c->off[s + 1]; i++) {
            const float *r = dout + (size_t)i * dO;
            if (l->ref)
                for (int j = 0; j < dO; j++) part[j] += r[j];
            else
                vec_acc(part, r, (size_t)dO);
        }
        if (s + 1 < ns) counter_push(&k, 1);
        else counter_push_last(&k, gb);
    }
}

/* model_backward_by's layer step: a dense layer's parameter gradient by
 * shard pairs and its input gradient by shard (as each shard's own
 * model_backward); ReLU over all rows at once (elementwise) */
static void layer_shards(const layer *l, const float *p, float *g, float *din,
                         const float *dout, const float *in, const float *out, int B,
                         float *ws, void *ctx)
{
    const shards_ctx *c = ctx;
    if (l->kind != LAYER_DENSE) {
        l->ops->backward(l, p, g, din, dout, in, out, B, ws);
        return;
    }
    if (!l->frozen) dense_grad_shards(l, g, dout, in, c);
    if (!din) return;
    const int di = l->din, dO = l->dout;
    for (int s = 0; s < c->ns; s++) {   /* din_s[b, di] = dout_s[b, dO] W[dO, di], as dense.c */
        const int r0 = c->off[s], b = c->off[s + 1] - r0;
        if (b > 0)
            cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, b, di, dO, 1.0f,
                        dout + (size_t)r0 * dO, dO, p + l->off, di, 0.0f,
                        din + (size_t)r0 * di, di);
    }
}

void model_backward_shards(const model *m, model_ws *w, float *g, const float *dlogits,
                           const float *dfeat, const int *off, int ns, float *dx,
                           float *scratch)
{
    const layer *head = m->layers[m->n_layers - 1];
    size_t nb, nw;
    scratch_sizes(m, ns, &nb, &nw);
    if (!dlogits && !dfeat) {   /* nothing reaches any layer */
        memset(g, 0, sizeof(float) * m->n_trainable);
    } else if (!dlogits && !head->frozen) {   /* the walk skips the head */
        memset(g + head->off, 0, sizeof(float) * head->n_params);
    }
    shards_ctx c = { m, off, ns, scratch, scratch + nb };
    model_backward_by(m, w, g, dlogits, dfeat, off[ns], dx, layer_shards, &c);
}
