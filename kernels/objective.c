/* objective.c - the training methods' objectives (see objective.h).
 *
 * Each keeps the exact float and double operations of the training loop it
 * came from (the reported objective and the gradients are bit-identical to
 * the previous in-loop code): scales are float, c_i is double.
 */
#include "objective.h"
#include "loss.h"
#include "methods.h"

/* sum_i (w_i / N) loss_i in row order */
static double mean_part(const obj_in *in, const float *loss)
{
    double s = 0.0;
    for (int i = 0; i < in->B; i++) s += (double)in->w[i] / in->N * loss[i];
    return s;
}

double objective_xent(obj_out *out, const obj_in *in)
{
    const float invN = 1.0f / (float)in->N;
    loss_xent(out->dz, out->loss, in->z, in->y, in->w, in->B, in->C, invN);
    return mean_part(in, out->loss);
}

double objective_groupdro(obj_out *out, const obj_in *in)
{
    float *wg = out->tmp;   /* c_i = gw[g_i]: the robust loss sum_g q_g loss_g */
    double s = 0.0;
    for (int i = 0; i < in->B; i++) wg[i] = in->gw[in->g[i]];
    loss_xent(out->dz, out->loss, in->z, in->y, wg, in->B, in->C, 1.0f);
    for (int i = 0; i < in->B; i++) s += (double)wg[i] * out->loss[i];
    return s;
}

void objective_groupdro_step(float *gw, float *q, const double *gloss_sum,
                             const double *gcount, const int64_t *n_train, int G,
                             const float *arg)
{
    groupdro_step(q, gw, gloss_sum, gcount, n_train, G, arg[0], arg[1]);
}

double objective_kd(obj_out *out, const obj_in *in)
{
    const float tau = in->arg[0], alpha = in->arg[1], invN = 1.0f / (float)in->N;
    float *kd = out->tmp;
    loss_xent(out->dz, out->loss, in->z, in->y, in->w, in->B, in->C, (1.0f - alpha) * invN);
    loss_kd_add(out->dz, kd, in->z, in->tz, in->w, in->B, in->C, tau, alpha * invN);
    for (int i = 0; i < in->B; i++) out->loss[i] = (1.0f - alpha) * out->loss[i] + alpha * kd[i];
    return mean_part(in, out->loss);
}

double objective_dedier(obj_out *out, const obj_in *in)
{
    /* the weights carry DEDIER: arg[0], arg[1] are KD's T and mix */
    return objective_kd(out, in);
}

double objective_fitnet(obj_out *out, const obj_in *in)
{
    const float feat_w = in->arg[0], ce_w = in->arg[1], invN = 1.0f / (float)in->N;
    float *mse = out->tmp;
    loss_xent(out->dz, out->loss, in->z, in->y, in->w, in->B, in->C, ce_w * invN);
    loss_mse(out->df, mse, in->f, in->tf, in->w, in->B, in->F, feat_w * invN);
    for (int i = 0; i < in->B; i++) out->loss[i] = ce_w * out->loss[i] + feat_w * mse[i];
    return mean_part(in, out->loss);
}

double objective_feature_mse(obj_out *out, const obj_in *in)
{
    const float invN = 1.0f / (float)in->N;
    loss_mse(out->df, out->loss, in->f, in->tf, in->w, in->B, in->F, invN);
    return mean_part(in, out->loss);
}
