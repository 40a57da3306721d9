/* jobwork.c - the work of one epoch of a job (see jobwork.h). */
#include "jobwork.h"
#include "method.h"
#include <string.h>

/* the in_dim of ji's last dense layer (its head: the features' width), 0 if none */
static int feat_dim(const results_jobinfo *ji)
{
    for (int i = ji->n_layers - 1; i >= 0; i--)
        if (!strcmp(ji->layers[i].kind, "dense")) return ji->layers[i].in_dim;
    return 0;
}

double jobwork_epoch(const results_jobinfo *ji, const results_jobinfo *teacher,
                     unsigned method_flags)
{
    if (!ji || ji->n_layers <= 0 || ji->n_train <= 0) return 0;
    double mac = 0, act = 1;
    for (int i = 0; i < ji->x_rank; i++) act *= ji->x_shape[i];   /* the input */
    for (int i = 0; i < ji->n_layers; i++) {
        const results_layer *l = &ji->layers[i];
        if (!strcmp(l->kind, "dense"))
            mac += (double)l->in_dim * l->out_dim;
        else if (!strcmp(l->kind, "conv"))
            mac += (double)l->OC * l->OH * l->OW * l->C * l->k * l->k;
        act += l->out_dim;
    }
    const int ft = teacher ? feat_dim(teacher) : 0;
    if (method_flags & MF_PROJECTOR) {        /* fitnet: student -> teacher features */
        mac += (double)feat_dim(ji) * ft;
        act += ft;
    }
    int cols = 0;
    if (method_flags & MF_TEACHER_FEATS) act += ft, cols++;
    if (method_flags & MF_TEACHER_LOGITS) act += ji->n_classes, cols++;
    return (double)ji->n_train *
           (mac + JOBWORK_KAPPA * act + JOBWORK_COLUMN * cols + JOBWORK_LAMBDA);
}

int jobwork_epochs(int epochs, unsigned method_flags)
{
    (void)method_flags;   /* no method adds epochs: see jobwork.h */
    return epochs;
}
