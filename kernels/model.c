/* model.c - sequential model over one parameter slab (see model.h). */
#include "model.h"
#include "blocked.h"
#include <stdlib.h>
#include <string.h>

model *model_new(void)
{
    model *m = calloc(1, sizeof(model));
    if (m) m->layout = MODEL_LAYOUT_AUTO;
    return m;
}

void model_set_layout(model *m, int mode)
{
    m->layout = mode;
}

void model_set_block(model *m, int blk)
{
    m->blk = blk == 8 || blk == 16 ? blk : 0;
}

void model_keep_plain(model *m, int i)
{
    if (i >= 1 && i <= m->n_layers) m->layers[i - 1]->keep_plain = 1;
}

/* a convolution that can read and write blocked rows in m's mode */
static int conv_blockable(const model *m, const layer *l)
{
    return l->kind == LAYER_CONV && !l->ref
        && (l->dnnl || m->layout == MODEL_LAYOUT_FORCE);
}

/* 1 if the output of convolution i can stay blocked: every layer after it
 * up to a blockable convolution or a global average pooling is a ReLU or a
 * max pooling, and none of these outputs is kept plain */
static int chain_blockable(const model *m, int i)
{
    for (int j = i; j + 1 < m->n_layers; j++) {
        if (m->layers[j]->keep_plain) return 0;
        const layer *n = m->layers[j + 1];
        if (conv_blockable(m, n) || (n->kind == LAYER_GAP && !n->ref)) return 1;
        if (n->kind != LAYER_RELU && !(n->kind == LAYER_MAXPOOL && !n->ref)) return 0;
    }
    return 0;
}

/* 1 if layer i is a convolution whose forward can apply the ReLU after it
 * (layer.h relu_out): neither in reference mode, and the convolution's own
 * output not kept plain for a reader */
static int conv_relu_fusable(const model *m, int i)
{
    const layer *l = m->layers[i];
    return l->kind == LAYER_CONV && !l->ref && !l->keep_plain
        && i + 1 < m->n_layers && m->layers[i + 1]->kind == LAYER_RELU
        && !m->layers[i + 1]->ref;
}

/* writes every layer's blk_in and blk_out (model.h, "Layouts") and
 * relu_out; the plan depends only on the model (layer kinds, ref, oneDNN,
 * keep_plain, mode, block) and the CPU's block, never on the batch, so
 * every shard runs the same layouts (and any layouts give the same bits) */
static void plan_layouts(const model *m)
{
    const int L = m->blk ? m->blk : blk_preferred();
    int cur = 0;   /* the layout of the activation between layers */
    for (int i = 0; i < m->n_layers; i++) {
        layer *l = m->layers[i];
        l->blk_in = cur;
        if (l->kind == LAYER_CONV)
            cur = m->layout != MODEL_LAYOUT_PLAIN && conv_blockable(m, l)
                  && l->OC % L == 0 && chain_blockable(m, i) ? L : 0;
        else if (l->kind != LAYER_RELU && l->kind != LAYER_MAXPOOL)
            cur = 0;
        l->blk_out = cur;
        l->relu_out = conv_relu_fusable(m, i);
    }
}

int model_add(model *m, layer *l)
{
    if (!l) return -1;
    if (m->n_layers > 0 && m->layers[m->n_layers - 1]->out_dim != l->in_dim) {
        layer_free(l);
        return -1;
    }
    if (m->n_layers == m->cap) {
        int cap = m->cap ? 2 * m->cap : 8;
        layer **nl = realloc(m->layers, sizeof(layer *) * cap);
        if (!nl) { layer_free(l); return -1; }
        m->layers = nl;
        m->cap = cap;
    }
    m->layers[m->n_layers++] = l;
    return 0;
}

int model_finalize(model *m)
{
    if (m->n_layers == 0 || m->params) return -1;
    size_t off = 0;
    for (int i = 0; i < m->n_layers; i++) {
        m->layers[i]->off = off;
        off += m->layers[i]->n_params;
    }
    m->n_params = m->n_trainable = off;
    m->params = calloc(off ? off : 1, sizeof(float));
    if (!m->params) return -1;
    m->in_dim = m->layers[0]->in_dim;
    m->n_classes = m->layers[m->n_layers - 1]->out_dim;
    m->feat_dim = m->layers[m->n_layers - 1]->in_dim;
    return 0;
}

void model_init(model *m, uint64_t seed, uint64_t stream0)
{
    for (int i = 0; i < m->n_layers; i++)
        m->layers[i]->ops->init(m->layers[i], m->params, seed, stream0 + (uint64_t)i);
}

void model_freeze_from(model *m, int first)
{
    if (first < 0) first = 0;
    for (int i = first; i < m->n_layers; i++) m->layers[i]->frozen = 1;
    m->n_trainable = first < m->n_layers ? m->layers[first]->off : m->n_params;
}

void model_set_reference(model *m, int on)
{
    for (int i = 0; i < m->n_layers; i++) m->layers[i]->ref = on != 0;
}

void model_free(model *m)
{
    if (!m) return;
    for (int i = 0; i < m->n_layers; i++) layer_free(m->layers[i]);
    free(m->layers);
    free(m->params);
    free(m);
}

model *model_mlp(int in_dim, const int *widths, int n_widths, int n_classes)
{
    model *m = model_new();
    if (!m) return NULL;
    int d = in_dim, rc = 0;
    for (int i = 0; i < n_widths && rc == 0; i++) {
        rc |= model_add(m, layer_dense(d, widths[i]));
        rc |= model_add(m, layer_relu(widths[i]));
        d = widths[i];
    }
    rc |= model_add(m, layer_dense(d, n_classes));
    if (rc || model_finalize(m)) { model_free(m); return NULL; }
    return m;
}

model_ws *model_ws_new(const model *m, int Bmax)
{
    model_ws *w = calloc(1, sizeof *w);
    if (!w) return NULL;
    w->Bmax = Bmax;
    w->act = calloc((size_t)m->n_layers + 1, sizeof(float *));
    size_t dmax = (size_t)m->in_dim, wsmax = 0;
    int ok = w->act != NULL;
    for (int i = 0; ok && i < m->n_layers; i++) {
        const layer *l = m->layers[i];
        w->act[i + 1] = malloc(sizeof(float) * (size_t)Bmax * l->out_dim);
        ok = w->act[i + 1] != NULL;
        if ((size_t)l->out_dim > dmax) dmax = l->out_dim;
        size_t s = l->ops->ws_floats(l, Bmax);
        if (s > wsmax) wsmax = s;
    }
    if (ok) {
        w->d[0] = malloc(sizeof(float) * (size_t)Bmax * dmax);
        w->d[1] = malloc(sizeof(float) * (size_t)Bmax * dmax);
        w->ws = wsmax ? malloc(sizeof(float) * wsmax) : NULL;
        ok = w->d[0] && w->d[1] && (wsmax == 0 || w->ws);
    }
    if (!ok) {
        if (w->act)
            for (int i = 0; i < m->n_layers; i++) free(w->act[i + 1]);
        free(w->act); free(w->d[0]); free(w->d[1]); free(w->ws); free(w);
        return NULL;
    }
    w->n_layers = m->n_layers;
    return w;
}

void model_ws_free(model_ws *w)
{
    if (!w) return;
    for (int i = 1; i <= w->n_layers; i++) free(w->act[i]);
    free(w->act); free(w->d[0]); free(w->d[1]); free(w->ws); free(w);
}

/* layers i0 .. n_layers - 1 forward on w (act[i0] in place). A
 * convolution with relu_out writes the output of the ReLU after it,
 * act[i + 2], and that ReLU is skipped: act[i + 1] is not written (model.h) */
static void forward_from(const model *m, model_ws *w, int i0, int B)
{
    for (int i = i0; i < m->n_layers; i++) {
        const layer *l = m->layers[i];
        const int to = l->relu_out ? i + 2 : i + 1;
        l->ops->forward(l, m->params, w->act[to], w->act[i], B, w->ws);
        i = to - 1;
    }
}

const float *model_forward(const model *m, model_ws *w, const float *x, int B)
{
    plan_layouts(m);
    w->act[0] = (float *)x;
    w->xrows = NULL;
    forward_from(m, w, 0, B);
    return w->act[m->n_layers];
}

int model_rows_input(const model *m)
{
    return m->n_layers >= 2 && m->layers[0]->kind == LAYER_DENSE;
}

const float *model_forward_rows(const model *m, model_ws *w, const float *const *xrows, int B)
{
    plan_layouts(m);
    w->act[0] = NULL;
    w->xrows = xrows;
    dense_forward_rows(m->layers[0], m->params, w->act[1], xrows, B, w->ws);
    forward_from(m, w, 1, B);
    return w->act[m->n_layers];
}

const float *model_features(const model *m, const model_ws *w)
{
    return w->act[m->n_layers - 1];
}

/* 1 if a is a ReLU and b a max pooling layer, both on their fast paths:
 * the backward walk runs the two as maxpool_relu_backward (the pooling's
 * gradient never written; the same bits) */
static int relu_then_maxpool(const layer *a, const layer *b)
{
    return a->kind == LAYER_RELU && b->kind == LAYER_MAXPOOL && !a->ref && !b->ref;
}

/* runs one layer's own backward (model_backward's layer step); the first
 * layer after model_forward_rows (in NULL) reads its input through the row
 * pointers ctx */
static void own_backward(const layer *l, const float *p, float *g, float *din,
                         const float *dout, const float *in, const float *out, int B,
                         float *ws, void *ctx)
{
    if (!in && ctx)
        dense_backward_rows(l, p, g, din, dout, (const float *const *)ctx, B, ws);
    else
        l->ops->backward(l, p, g, din, dout, in, out, B, ws);
}

void model_backward(const model *m, model_ws *w, float *g,
                    const float *dlogits, const float *dfeat, int B, float *dx)
{
    model_backward_by(m, w, g, dlogits, dfeat, B, dx, own_backward, (void *)w->xrows);
}

void model_backward_by(const model *m, model_ws *w, float *g, const float *dlogits,
                       const float *dfeat, int B, float *dx, layer_backward_fn bwd,
                       void *ctx)
{
    const int L = m->n_layers;
    const layer *head = m->layers[L - 1];
    size_t nf = (size_t)B * head->in_dim;
    float *cur = w->d[0], *nxt = w->d[1];
    if (L == 1) {   /* the head is the whole model */
        if (dlogits)
            bwd(head, m->params, g, dx, dlogits, w->act[0], w->act[1], B, w->ws, ctx);
        if (dx && dfeat) {
            if (!dlogits) memset(dx, 0, sizeof(float) * nf);
            for (size_t i = 0; i < nf; i++) dx[i] += dfeat[i];
        }
        return;
    }
    if (dlogits) {
        bwd(head, m->params, g, cur, dlogits, w->act[L - 1], w->act[L], B, w->ws, ctx);
        if (dfeat)
            for (size_t i = 0; i < nf; i++) cur[i] += dfeat[i];
    } else if (dfeat) {
        memcpy(cur, dfeat, sizeof(float) * nf);
    } else {
        return;
    }
    for (int i = L - 2; i >= 0; i--) {
        const layer *l = m->layers[i];
        if (i >= 1 && relu_then_maxpool(m->layers[i - 1], l)) {   /* both in one pass */
            float *din = i - 1 > 0 ? nxt : dx;
            if (din) maxpool_relu_backward(l, din, cur, w->act[i], B);
            float *t = cur; cur = nxt; nxt = t;
            i--;
            continue;
        }
        float *din = i > 0 ? nxt : dx;
        bwd(l, m->params, g, din, cur, w->act[i], w->act[i + 1], B, w->ws, ctx);
        float *t = cur; cur = nxt; nxt = t;
    }
}
