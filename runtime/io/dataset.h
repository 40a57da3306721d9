/* dataset.h - dataset files (docs/design.md "Data files"): read, validate, write.
 *
 * Layout: /train, /val, /test, each with X float32 [n, d] or [n, c, h, w],
 * y int32 [n] in 0..C-1, a int32 [n] in 0..A-1; root attributes name,
 * n_classes, n_attrs, source, license, description. Group g = y * A + a.
 * Read more loosely, as h5py writes: X and the labels may have any integer
 * or float type of either byte order (converted on read: X to float32, the
 * labels to int32), and any layout (contiguous, chunked, resizable, gzip-
 * or lzf-compressed). Refused: a label that is not an integer in range, an
 * X value that is NaN, Inf or beyond float32's range (checked on open,
 * every split), a chunk that fails to decode (HDF5's reason in the message).
 *
 * Reading is in two steps so that no rank holds more than its share:
 * dataset_open validates the whole file (metadata, every label, no empty
 * group in val or test) and dataset_read loads one row range of one split.
 * Both are collective over `comm` (every rank of comm must call them with the
 * same path); the file is opened with the MPI-IO driver on comm, X is read
 * with a hyperslab selection and a collective transfer. Every rank returns the
 * same status: a failure on any rank is agreed by an allreduce, and e holds
 * the message on every rank (the failing rank's text on rank 0's order).
 *
 * Error messages name the file and dataset and say what was expected, e.g.
 *   data.h5:/train/y: expected integers [n], found float32 [n, 3]
 *   data.h5:/val/X: value nan at row 7, column 2 is not finite: NaN and Inf
 *     are refused (impute or drop the row)
 *   data.h5:/val: group (y=1, a=0) is empty; every group needs val and test rows
 */
#ifndef DETT_DATASET_H
#define DETT_DATASET_H
#include "err.h"
#include <mpi.h>
#include <stdint.h>

#define DATASET_MAX_GROUPS 64
#define DATASET_TEXT 256

enum { SPLIT_TRAIN, SPLIT_VAL, SPLIT_TEST, N_SPLITS };
extern const char *const dataset_split_names[N_SPLITS];  /* "train", "val", "test" */

typedef struct {
    char name[DATASET_TEXT], source[DATASET_TEXT], license[DATASET_TEXT];
    char description[4 * DATASET_TEXT];
    int n_classes, n_attrs, n_groups;  /* n_groups = n_classes * n_attrs */
    int x_rank;                        /* 1 ([n, d]) or 3 ([n, c, h, w]) */
    int x_shape[3];                    /* per-row shape: {d} or {c, h, w} */
    int d;                             /* per-row floats: product of x_shape */
    int64_t n[N_SPLITS];               /* rows per split */
    int64_t group_count[N_SPLITS][DATASET_MAX_GROUPS];
} dataset_info;

/* rows [row0, row0 + n) of one split, owned by the caller */
typedef struct {
    int64_t row0, n;
    int d;
    float *X;      /* [n, d] */
    int32_t *y;    /* [n] */
    int32_t *a;    /* [n] */
} dataset_rows;

/* validates the file at path and fills info: metadata, every label, and
 * every X value (each rank reads its share of each split). Collective
 * over comm. */
int dataset_open(const char *path, MPI_Comm comm, dataset_info *info, dett_err *e);

/* reads rows [row0, row0 + n) of split (SPLIT_*) into out (allocated here;
 * free with dataset_rows_free). n may be 0 on some ranks. Collective. */
int dataset_read(const char *path, MPI_Comm comm, int split, int64_t row0,
                 int64_t n, dataset_rows *out, dett_err *e);
void dataset_rows_free(dataset_rows *r);   /* frees the arrays; r itself is the caller's */

/* writes a complete dataset file (serial, one process). Writes to
 * "<path>.tmp" and renames on success, so a failure never leaves a
 * half-written file at path. info supplies the attributes and shapes
 * (n_classes, n_attrs, x_rank, x_shape, name, source, license, description);
 * split[s] holds all n[s] rows with row0 = 0. */
int dataset_write(const char *path, const dataset_info *info,
                  const dataset_rows split[N_SPLITS], dett_err *e);

#endif
