/* cnn.h - a small convolutional classifier built from the image layers.
 *
 * model_cnn(C, H, W, channels, n, kernel, pool, pool_max, fc, n_classes)
 * takes images [B, C, H, W] (rows of C*H*W floats) and builds, in order:
 *   for each channels[i]:  conv(kernel x kernel, stride 1, pad kernel/2)
 *                          -> relu
 *                          -> pool x pool pooling, stride pool (max if
 *                             pool_max, else average), only while both the
 *                             current H and W are >= pool; pool <= 1 never
 *                             pools
 *   global average pooling  [B, C_last, H', W'] -> [B, C_last]
 *   if fc > 0:  dense(C_last -> fc) -> relu
 *   dense head -> n_classes
 * (C_last = C when n == 0). An odd kernel keeps H and W; an even one grows
 * them by 1 per layer. The model's features (model.h) are the head's input:
 * the fc activations if fc > 0, else the pooled [B, C_last].
 *
 * Returns a finalized, uninitialised model (call model_init), owned by the
 * caller and freed with model_free; NULL if an argument is out of range
 * (C, H, W, kernel, n_classes or a channel count < 1, n < 0, channels NULL
 * with n > 0, pool < 0, fc < 0) or memory runs out.
 */
#ifndef DETT_CNN_H
#define DETT_CNN_H
#include "model.h"

model *model_cnn(int C, int H, int W, const int *channels, int n_channels,
                 int kernel, int pool, int pool_max, int fc, int n_classes);

#endif
