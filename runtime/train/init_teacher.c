/* init_teacher.c - a student's first layers from its teacher (see
 * init_teacher.h). */
#include "init_teacher.h"
#include <stdio.h>
#include <string.h>

/* 1 if a and b have the same kind and shapes (not values) */
static int same_shape(const layer *a, const layer *b)
{
    return a->kind == b->kind && a->in_dim == b->in_dim && a->out_dim == b->out_dim &&
           a->n_params == b->n_params && a->din == b->din && a->dout == b->dout &&
           a->C == b->C && a->H == b->H && a->W == b->W && a->OC == b->OC &&
           a->OH == b->OH && a->OW == b->OW && a->k == b->k && a->stride == b->stride &&
           a->pad == b->pad;
}

init_match init_teacher_match(const model *m, const model *t)
{
    init_match r = { 0, 0, 0, -1 };
    int n = m->n_layers < t->n_layers ? m->n_layers : t->n_layers;
    for (int i = 0; i < n; i++) {
        if (!same_shape(m->layers[i], t->layers[i])) break;
        r.layers++;
        r.copied += m->layers[i]->n_params > 0;
        r.floats += m->layers[i]->n_params;
    }
    if (r.layers < m->n_layers) r.first_miss = r.layers;
    return r;
}

init_match init_teacher_copy(model *m, const model *t)
{
    init_match r = init_teacher_match(m, t);
    for (int i = 0; i < r.layers; i++) {
        const layer *a = m->layers[i], *b = t->layers[i];
        if (a->n_params)
            memcpy(m->params + a->off, t->params + b->off, sizeof(float) * a->n_params);
    }
    return r;
}

void init_layer_text(const layer *l, char *buf, size_t len)
{
    switch (l->kind) {
    case LAYER_DENSE: snprintf(buf, len, "dense %d->%d", l->din, l->dout); break;
    case LAYER_CONV:
        snprintf(buf, len, "conv %dx%dx%d->%dx%dx%d k%d", l->C, l->H, l->W, l->OC, l->OH, l->OW,
                 l->k);
        break;
    case LAYER_RELU: snprintf(buf, len, "relu %d", l->in_dim); break;
    case LAYER_MAXPOOL:
    case LAYER_AVGPOOL:
        snprintf(buf, len, "%spool %dx%dx%d k%d", l->kind == LAYER_MAXPOOL ? "max" : "avg",
                 l->C, l->H, l->W, l->k);
        break;
    case LAYER_GAP: snprintf(buf, len, "gap %dx%dx%d", l->C, l->H, l->W); break;
    default: snprintf(buf, len, "layer %d->%d", l->in_dim, l->out_dim); break;
    }
}
