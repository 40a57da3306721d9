/* loss.h - losses with per-sample weights and their gradients.
 *
 * Every loss writes the per-sample (unweighted) loss to loss[B] and adds
 * scale * w[i] * d loss_i / d input to the gradient rows, so a batch loss
 * sum_i w_i loss_i / N is obtained with scale = 1/N. w may be NULL (all 1).
 * Gradients are written (=), not accumulated, unless the name says _add.
 */
#ifndef DETT_LOSS_H
#define DETT_LOSS_H

/* softmax cross-entropy: loss_i = logsumexp(z_i) - z_i[y_i].
 * z, dz: [B, C]; y: [B] in 0..C-1. dz may be NULL (loss only). */
void loss_xent(float *dz, float *loss, const float *z, const int *y,
               const float *w, int B, int C, float scale);

/* feature MSE: loss_i = (1/D) sum_j (f_ij - t_ij)^2 (torch MSELoss per row;
 * the sum in double, in four interleaved partial sums, see loss.c).
 * f, t, df: [B, D]. df may be NULL. */
void loss_mse(float *df, float *loss, const float *f, const float *t,
              const float *w, int B, int D, float scale);

/* Hinton KD term: loss_i = tau^2 KL(softmax(t_i/tau) || softmax(z_i/tau)).
 * d loss_i / d z_i = tau (softmax(z_i/tau) - softmax(t_i/tau)).
 * z, t, dz: [B, C]; dz is accumulated (+=) so CE can be added first. */
void loss_kd_add(float *dz, float *loss, const float *z, const float *t,
                 const float *w, int B, int C, float tau, float scale);

/* argmax of each row of z [B, C] into pred[B] (lowest index wins ties) */
void loss_argmax(int *pred, const float *z, int B, int C);

#endif
