/* objective.h - one pure objective per training method: the forward
 * quantities of a micro-shard's rows in, per-sample losses and the
 * gradient with respect to the logits and/or the compared features out.
 *
 * The objective of a step is a mean over the N rows of the global batch,
 *   J = sum_i c_i loss_i,   c_i = w_i / N (or a method's own coefficient),
 * split over micro-shards: each call sees B <= N rows and returns its part
 * sum_{i < B} c_i loss_i, accumulated in double in row order (the caller
 * sums the parts deterministically). Gradients are written (=), already
 * scaled by c_i, so they are this shard's part of dJ/dz and dJ/df.
 *
 * Objectives own no memory and keep no state; every pointer is the
 * caller's. Shapes: B rows, C classes, F compared feature width, G groups.
 */
#ifndef DETT_OBJECTIVE_H
#define DETT_OBJECTIVE_H
#include <stdint.h>

typedef struct {
    int B, C, F;          /* rows here, classes, compared feature width */
    int N;                /* rows of the whole step (every shard, every rank) */
    const float *z;       /* [B, C] student logits */
    const float *f;       /* [B, F] student features, or fitnet's projector output */
    const float *tz;      /* [B, C] teacher logits, NULL without a teacher */
    const float *tf;      /* [B, F] teacher features, NULL without a teacher */
    const int *y;         /* [B] labels in 0..C-1 */
    const int *g;         /* [B] groups y * n_attrs + a */
    const float *w;       /* [B] sample weights (1 where the job has none) */
    const float *gw;      /* [G] per-group loss weights of a group step, or NULL */
    const float *arg;     /* the method's arguments, in its table's key order */
} obj_in;

typedef struct {
    float *loss;          /* [B] per-sample loss: written */
    float *dz;            /* [B, C] dJ/dz: written by objectives with a logit term */
    float *df;            /* [B, F] dJ/df: written by objectives with a feature term */
    float *tmp;           /* [B] scratch the objective may overwrite */
} obj_out;

/* Writes out and returns this shard's part of the step's objective. */
typedef double (*objective_fn)(obj_out *out, const obj_in *in);

/* A group step: from the whole batch's per-group cross-entropy sums and
 * counts, updates the method's per-group state q[G] (start it at 1/G) and
 * writes the per-group loss weights gw[G] the objective then reads.
 * n_train[G] are the training split's group sizes. */
typedef void (*group_step_fn)(float *gw, float *q, const double *gloss_sum,
                              const double *gcount, const int64_t *n_train, int G,
                              const float *arg);

/* cross-entropy, c_i = w_i / N (erm, jtt, dfr, identification models) */
double objective_xent(obj_out *out, const obj_in *in);
/* group DRO: cross-entropy with c_i = gw[g_i] (sample weights unused) */
double objective_groupdro(obj_out *out, const obj_in *in);
/* group DRO's step (arg: eta, adj): groupdro_step of methods.h */
void objective_groupdro_step(float *gw, float *q, const double *gloss_sum,
                             const double *gcount, const int64_t *n_train, int G,
                             const float *arg);
/* Hinton KD (arg: T, alpha): (1 - alpha) CE + alpha T^2 KL(teacher || student) */
double objective_kd(obj_out *out, const obj_in *in);
/* DEDIER (arg: T, kd_alpha, then alpha, beta, layer, which only the
 * readout reads): KD's objective as objective_kd, every row's CE and KD
 * terms multiplied by its weight w_i (the early readout's, runtime/train/
 * readout.h; kernels/dedier.h), c_i = w_i / N as in the authors' code
 * (a plain mean over the batch, not normalised by the weights' sum) */
double objective_dedier(obj_out *out, const obj_in *in);
/* FitNet (arg: feat_w, ce_w): ce_w CE(z) + feat_w MSE(f, tf), f the
 * projector's output; writes dz and df */
double objective_fitnet(obj_out *out, const obj_in *in);
/* SimKD and DeTT: MSE between the student's and the teacher's features
 * (the head is the teacher's, frozen); writes df only */
double objective_feature_mse(obj_out *out, const obj_in *in);

#endif
