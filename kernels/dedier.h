/* dedier.h - DEDIER's per-sample weights (Sivasubramanian et al., WACV 2024,
 * "Using early readouts to mediate featural bias in distillation";
 * docs/dedier.md): rows an early readout misclassifies get the weight
 *     w_i = exp(beta * m_i ^ alpha),   m_i = p_i[pred_i] - p_i[y_i],
 * p_i the softmax of the readout's logits, pred_i their argmax (lowest
 * index on ties, as loss_argmax). With two classes m_i = |p0 - p1|, the
 * margin of the authors' code; with more, the probability the readout puts
 * on its wrong answer above the true class. Rows it classifies correctly
 * keep the weight they had (the authors' code only overwrites the
 * misclassified rows' entries; weights start at 1).
 *
 * Pure math: no allocation, no state; every pointer is the caller's.
 */
#ifndef DETT_DEDIER_H
#define DETT_DEDIER_H

/* the weight of one misclassified row with margin m in [0, 1] */
float dedier_weight(double m, float alpha, float beta);

/* For each of the B rows of readout logits z [B, C] with labels y [B]:
 * if the readout's prediction differs from y[i], w[i] = dedier_weight of
 * its margin, else w[i] is left as it is. Returns the number of rows
 * reweighted (the readout's mistakes). */
int dedier_reweight(float *w, const float *z, const int *y, int B, int C, float alpha,
                    float beta);

#endif
