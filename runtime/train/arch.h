/* arch.h - models from architecture specs. */
#ifndef DETT_ARCH_H
#define DETT_ARCH_H
#include "dataset.h"
#include "err.h"
#include "jobspec.h"
#include "model.h"

/* a finalized, uninitialised classifier for the dataset's inputs and
 * classes; NULL with a message in e (a cnn on [n, d] data, bad widths) */
model *arch_build(const arch_spec *a, const dataset_info *info, dett_err *e);
/* "mlp[64,64]" / "cnn[8,16;k3;max2;fc32]" into buf */
void arch_name(const arch_spec *a, char *buf, size_t len);

#endif
