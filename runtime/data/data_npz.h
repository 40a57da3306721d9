/* data_npz.h - numpy arrays in: `dett data npz FILE.npz` and `dett data npy
 * DIR` (docs/data-npz.md).
 *
 * Array names (the file name without .npy inside the archive or directory):
 *   per split:  X_train y_train a_train  X_val y_val a_val  X_test y_test a_test
 *               (all nine; rows keep their order);
 *   or one set: X y a, plus either `split` ([n] integers: 0 train, 1 val,
 *               2 test) or --val-frac / --test-frac (a split stratified by
 *               group, round(frac * n_g) rows of each group, seeded; rows
 *               keep their file order within each split).
 * Any other name is refused. y and a: [n] of any integer, bool or float type
 * holding integers >= 0 (C = max y + 1, A = max a + 1, C * A <= 64). X: any
 * integer, bool or float type (float16 excepted) of rank >= 2, C or Fortran
 * order, either byte order; rank 2 stays [n, d], rank 4 stays [n, c, h, w],
 * rank 3 [n, h, w] becomes [n, 1, h, w], rank 5 and more are flattened to
 * [n, d]. X is converted to float32: NaN, Inf and values beyond float32's
 * range are refused naming the array, row and column.
 *
 * Every malformed .npy (magic, version, header length, header dictionary,
 * dtype, shape, data length) is refused with a message naming the array and
 * what is wrong. Serial; nothing here is collective.
 */
#ifndef DETT_DATA_NPZ_H
#define DETT_DATA_NPZ_H
#include "dataset.h"
#include <stddef.h>
#include <stdint.h>

#define NPY_MAX_RANK 8

/* one parsed .npy array: its values converted to double, in C order */
typedef struct {
    char name[64];
    int rank;
    int64_t shape[NPY_MAX_RANK];
    int64_t count;        /* product of shape */
    double *v;            /* [count], owned: npy_free */
} npy_array;

/* Parses the .npy bytes buf[0..n) of array `name` into out. 0, or -1 with
 * e naming the array and the fault. */
int npy_parse(const uint8_t *buf, size_t n, const char *name, npy_array *out, dett_err *e);
void npy_free(npy_array *a);   /* accepts a zeroed struct */

typedef struct {
    const char *path;            /* FILE.npz, or a directory of .npy files */
    int dir;                     /* 1: path is a directory (dett data npy) */
    float val_frac, test_frac;   /* one-set mode without `split` (0.2, 0.2) */
    const char *name, *source, *license;
    uint64_t seed;
} npz_opts;

npz_opts npz_defaults(void);
int npz_check(const npz_opts *o, dett_err *e);

/* Builds a dataset from the arrays of o->path (see above). */
int npz_build(const npz_opts *o, dataset_info *info, dataset_rows split[N_SPLITS],
              dett_err *e);

/* npz_build from an in-memory .npz archive (fuzzing); `label` names it in
 * messages. */
int npz_build_buffer(const void *buf, size_t n, const char *label, const npz_opts *o,
                     dataset_info *info, dataset_rows split[N_SPLITS], dett_err *e);

#endif
