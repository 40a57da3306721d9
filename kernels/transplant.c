/* transplant.c - teacher-head transplant (see transplant.h). */
#include "transplant.h"
#include <stdlib.h>
#include <string.h>

model *model_transplant(model *student, const model *teacher, uint64_t seed,
                        uint64_t stream)
{
    const layer *th = teacher->layers[teacher->n_layers - 1];
    model *m = model_new();
    int L = student->n_layers, rc = 0;
    if (!m || th->kind != LAYER_DENSE || L < 1) goto fail;
    /* move the body's layers; the student's head stays behind. model_add
     * frees a layer it cannot take, so every moved slot is cleared. */
    for (int i = 0; i < L - 1; i++) {
        layer *l = student->layers[i];
        student->layers[i] = NULL;
        if (rc) layer_free(l);
        else rc = model_add(m, l);
    }
    student->layers[0] = student->layers[L - 1];
    student->n_layers = 1;
    if (rc) goto fail;
    rc |= model_add(m, layer_dense(student->feat_dim, th->din));
    rc |= model_add(m, layer_dense(th->din, th->dout));
    if (rc || model_finalize(m)) goto fail;
    /* body values from the student, projector fresh, head from the teacher */
    size_t body = m->layers[m->n_layers - 2]->off;
    memcpy(m->params, student->params, sizeof(float) * body);
    const layer *pj = m->layers[m->n_layers - 2], *hd = m->layers[m->n_layers - 1];
    pj->ops->init(pj, m->params, seed, stream);
    memcpy(m->params + hd->off, teacher->params + th->off, sizeof(float) * th->n_params);
    model_freeze_from(m, m->n_layers - 1);
    model_free(student);
    return m;
fail:
    model_free(student);
    model_free(m);
    return NULL;
}
