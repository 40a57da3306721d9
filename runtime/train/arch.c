/* arch.c - models from architecture specs (see arch.h). */
#include "arch.h"
#include "cnn.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* DETT_LAYOUT: the activation layouts of the models built (model.h,
 * "Layouts"): unset or "auto" the default, "plain" every activation in
 * [C, H, W] order (the same bits, slower CNNs; for checking); -1 for any
 * other value */
static int layout_env(void)
{
    const char *v = getenv("DETT_LAYOUT");
    if (!v || !*v || !strcmp(v, "auto")) return MODEL_LAYOUT_AUTO;
    if (!strcmp(v, "plain")) return MODEL_LAYOUT_PLAIN;
    return -1;
}

model *arch_build(const arch_spec *a, const dataset_info *info, dett_err *e)
{
    model *m = NULL;
    const int layout = layout_env();
    if (layout < 0) {
        dett_fail(e, "DETT_LAYOUT=%s: expected auto or plain", getenv("DETT_LAYOUT"));
        return NULL;
    }
    if (a->kind == ARCH_MLP) {
        m = model_mlp(info->d, a->widths, a->n_widths, info->n_classes);
    } else {
        if (info->x_rank != 3) {
            dett_fail(e, "a cnn needs image data [n, c, h, w]; %s has rows of %d features",
                      info->name, info->d);
            return NULL;
        }
        m = model_cnn(info->x_shape[0], info->x_shape[1], info->x_shape[2], a->channels,
                      a->n_channels, a->kernel, a->pool, a->pool_max, a->fc,
                      info->n_classes);
    }
    if (!m) {
        char name[128];
        arch_name(a, name, sizeof name);
        dett_fail(e, "cannot build %s (bad sizes or out of memory)", name);
        return NULL;
    }
    model_set_layout(m, layout);
    return m;
}

void arch_name(const arch_spec *a, char *buf, size_t len)
{
    size_t k = 0;
    const int *v = a->kind == ARCH_MLP ? a->widths : a->channels;
    int n = a->kind == ARCH_MLP ? a->n_widths : a->n_channels;
    k += (size_t)snprintf(buf + k, len - k, "%s[", a->kind == ARCH_MLP ? "mlp" : "cnn");
    for (int i = 0; i < n && k < len; i++)
        k += (size_t)snprintf(buf + k, len - k, i ? ",%d" : "%d", v[i]);
    if (a->kind == ARCH_CNN && k < len)
        k += (size_t)snprintf(buf + k, len - k, ";k%d;%s%d;fc%d", a->kernel,
                              a->pool_max ? "max" : "avg", a->pool, a->fc);
    if (k < len) snprintf(buf + k, len - k, "]");
}
