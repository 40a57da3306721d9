/* teacher_file.h - an external teacher: a file of penultimate features and a
 * last layer, made by any tool (scripts/teacher_from_torch.py from PyTorch),
 * that KD, FitNet, SimKD and DeTT students distil from
 * (`teacher = external "teacher.h5"`).
 *
 * Layout (docs/results-format.md, names in results_format.h TF_*):
 *   /train/features  float [n_train, f]  the teacher's features of every
 *                                        training row, in the data file's order
 *   /head/W float [C, f], /head/b float [C]   logits = features W^T + b
 *   /val/features, /test/features  optional float [n, f] (the teacher's own
 *                                        accuracy is then reported)
 *   root attributes: format = "dett-teacher", format_version = 1 (integer),
 *                    label_digest (text), source (optional text)
 * Float datasets of any width and byte order are converted to float32 on
 * read; integer or other types are refused naming the dataset.
 *
 * The binding to the data: label_digest is the hex SHA-256 of
 *   "dett-label-digest/1\n" then, for train, val and test in that order,
 *   the row count as int64 little-endian, every y as int32 little-endian,
 *   every a as int32 little-endian.
 * X is deliberately not part of it: the student's input may differ from
 * what the teacher saw (a 14x14 version of the teacher's 28x28 images, or
 * another backbone's features), the rows and labels may not.
 *
 * Everything here is serial HDF5 (no MPI-IO): each rank opens the file
 * read-only by itself. Functions return 0 or -1 with one line in e naming
 * the file and dataset ("t.h5:/head/W: expected float [C, f], found int64
 * [2, 64]"). HDF5's automatic error printing is off while they run.
 */
#ifndef DETT_TEACHER_FILE_H
#define DETT_TEACHER_FILE_H
#include "dataset.h"
#include "err.h"
#include <stdint.h>

#define TEACHER_DIGEST_HEX 65

typedef struct {
    int n_classes, feat_dim;              /* C and f of the head */
    int64_t n[N_SPLITS];                  /* feature rows per split; -1: absent (val, test) */
    char label_digest[TEACHER_DIGEST_HEX];
} teacher_file_info;

/* Opens the file at path and checks its layout (format, types, shapes,
 * consistent f and C, a well-formed label_digest); fills info. */
int teacher_file_open(const char *path, teacher_file_info *info, dett_err *e);

/* Checks that the teacher file (already opened into t) was made for the data
 * file data_path (info di, validated by dataset_open): C, the row counts of
 * every split it has features for, and the label digest. */
int teacher_file_check(const char *path, const teacher_file_info *t, const char *data_path,
                       const dataset_info *di, dett_err *e);

/* The label digest (see above) of the data file at data_path into hex. */
int teacher_label_digest(const char *data_path, char hex[TEACHER_DIGEST_HEX], dett_err *e);

/* The content digest of a teacher file (what a student's job hash covers):
 * hex SHA-256 of "dett-teacher-digest/1\n", the label digest, then for each
 * present dataset of /train, /val, /test features, /head/W, /head/b:
 * "<name> f32le [dims]\n" and its values as float32 little-endian. */
int teacher_file_digest(const char *path, char hex[TEACHER_DIGEST_HEX], dett_err *e);

/* The head as a dense layer's parameters: W [C, f] row-major then b [C]
 * into wb (C * f + C floats). */
int teacher_file_read_head(const char *path, const teacher_file_info *t, float *wb,
                           dett_err *e);

/* Rows [row0, row0 + n) of a split's features (SPLIT_*) into out [n, f];
 * n may be 0. The split must have features (t->n[split] >= 0). */
int teacher_file_read_rows(const char *path, const teacher_file_info *t, int split,
                           int64_t row0, int64_t n, float *out, dett_err *e);

#endif
