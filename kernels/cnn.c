/* cnn.c - the convolutional classifier of cnn.h. */
#include "cnn.h"
#include <stddef.h>

/* appends conv -> relu [-> pool] mapping [C, *H, *W] to [OC, *H', *W'];
 * updates *H, *W; 0 ok, -1 on failure (the model keeps what was added) */
static int add_conv_block(model *m, int C, int *H, int *W, int OC, int kernel,
                          int pool, int pool_max)
{
    layer *cv = layer_conv(C, *H, *W, OC, kernel, 1, kernel / 2);
    if (!cv) return -1;
    int h = cv->OH, w = cv->OW, d = cv->out_dim;
    if (model_add(m, cv) || model_add(m, layer_relu(d))) return -1;
    if (pool > 1 && h >= pool && w >= pool) {
        layer *pl = pool_max ? layer_maxpool(OC, h, w, pool)
                             : layer_avgpool(OC, h, w, pool);
        if (!pl) return -1;
        h = pl->OH; w = pl->OW;
        if (model_add(m, pl)) return -1;
    }
    *H = h; *W = w;
    return 0;
}

model *model_cnn(int C, int H, int W, const int *channels, int n_channels,
                 int kernel, int pool, int pool_max, int fc, int n_classes)
{
    if (C < 1 || H < 1 || W < 1 || n_channels < 0 || (n_channels > 0 && !channels)
        || kernel < 1 || pool < 0 || fc < 0 || n_classes < 1)
        return NULL;
    for (int i = 0; i < n_channels; i++)
        if (channels[i] < 1) return NULL;
    model *m = model_new();
    if (!m) return NULL;
    int rc = 0;
    for (int i = 0; i < n_channels && rc == 0; i++) {
        rc = add_conv_block(m, C, &H, &W, channels[i], kernel, pool, pool_max);
        C = channels[i];
    }
    if (rc == 0) rc = model_add(m, layer_gap(C, H, W));
    int d = C;
    if (rc == 0 && fc > 0) {
        rc = model_add(m, layer_dense(d, fc));
        if (rc == 0) rc = model_add(m, layer_relu(fc));
        d = fc;
    }
    if (rc == 0) rc = model_add(m, layer_dense(d, n_classes));
    if (rc || model_finalize(m)) { model_free(m); return NULL; }
    return m;
}
