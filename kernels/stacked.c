/* stacked.c - backward over stacked micro-shards (see stacked.h). */
#include "stacked.h"
#include "rsgemm.h"
#include "vec.h"
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

/* the scratch, all zero between calls: bias partials, (levels(ns) + 1) x
 * the widest dense layer's dout */
size_t stacked_scratch_floats(const model *m, int ns)
{
    size_t bo = 1;
    for (int i = 0; i < m->n_layers; i++) {
        const layer *l = m->layers[i];
        if (l->kind == LAYER_DENSE && (size_t)l->dout > bo) bo = (size_t)l->dout;
    }
    return bo * (size_t)(levels_for(ns) + 1);
}

/* every layer once over all off[ns] rows: the dense layers' row-stable GEMM
 * (rsgemm.h) gives each row the bits of its own shard's call */
typedef struct {
    const int *off;
    int ns;
    float *bias_scratch;
    const float *const *xrows;   /* model_forward_rows: the input's rows */
} shards_ctx;

/* the row-stable GEMM's path for l, as dense.c */
static rsgemm_path dense_path(const layer *l)
{
    return l->ref ? RSGEMM_PORTABLE : RSGEMM_AUTO;
}

/* one dense layer's parameter gradient over the shards: the weight in one
 * pass of the tree kernel (rsgemm_wgrad_tree; the first layer after
 * model_forward_rows, in NULL, packs its input from the row pointers:
 * rsgemm_wgrad_tree_ptr, the same bits), the bias as the tree over shards
 * of row sums from +0 */
static void dense_grad_shards(const layer *l, float *g, const float *dout, const float *in,
                              const shards_ctx *c, float *ws)
{
    const int di = l->din, dO = l->dout, ns = c->ns;
    float *gW = g + l->off, *gb = gW + (size_t)di * dO;
    if (in)
        rsgemm_wgrad_tree(dO, di, dout, (size_t)dO, in, (size_t)di, c->off, ns, gW, (size_t)di,
                          0, ws, dense_path(l));
    else
        rsgemm_wgrad_tree_ptr(dO, di, dout, (size_t)dO, c->xrows, c->off, ns, gW, (size_t)di, 0,
                              ws, dense_path(l));
    counter k;
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

/* model_backward_by's layer step: a dense layer's parameter gradient as the
 * tree over shards and its input gradient once over all rows (row-stable);
 * ReLU over all rows at once (elementwise) */
static void layer_shards(const layer *l, const float *p, float *g, float *din,
                         const float *dout, const float *in, const float *out, int B,
                         float *ws, void *ctx)
{
    const shards_ctx *c = ctx;
    if (l->kind != LAYER_DENSE) {
        l->ops->backward(l, p, g, din, dout, in, out, B, ws);
        return;
    }
    if (!l->frozen) dense_grad_shards(l, g, dout, in, c, ws);
    if (!din) return;
    const int di = l->din, dO = l->dout;   /* din[B, di] = dout[B, dO] W[dO, di], as dense.c */
    rsgemm_pack(ws, p + l->off, dO, di, (size_t)di, 1);
    rsgemm_rows(B, di, dO, dout, (size_t)dO, ws, NULL, din, (size_t)di, dense_path(l));
}

void model_backward_shards(const model *m, model_ws *w, float *g, const float *dlogits,
                           const float *dfeat, const int *off, int ns, float *dx,
                           float *scratch)
{
    const layer *head = m->layers[m->n_layers - 1];
    if (!dlogits && !dfeat) {   /* nothing reaches any layer */
        memset(g, 0, sizeof(float) * m->n_trainable);
    } else if (!dlogits && !head->frozen) {   /* the walk skips the head */
        memset(g + head->off, 0, sizeof(float) * head->n_params);
    }
    shards_ctx c = { off, ns, scratch, w->xrows };
    model_backward_by(m, w, g, dlogits, dfeat, off[ns], dx, layer_shards, &c);
}
