/* rowblock.h - one HDF5 dataset read in blocks of rows (its first dimension).
 *
 * The one reader behind the data file (dataset.c), its digest (digest.c) and
 * external teacher files (teacher_file.c): open a dataset, read rows
 * [row0, row0 + n) converted to a memory type, close. HDF5 converts on read,
 * so any stored layout (contiguous, chunked, compressed) and byte order of a
 * numeric type reads the same values. Errors are one line naming the file and
 * the dataset: "<file>:<name>: <what>". Nothing here is collective by itself:
 * rowblock_read is collective exactly when its transfer list says so.
 */
#ifndef DETT_ROWBLOCK_H
#define DETT_ROWBLOCK_H

#include "err.h"
#include <hdf5.h>
#include <stddef.h>

#define ROWBLOCK_NAME 96   /* longest dataset name kept for messages */

typedef struct rowblock {
    hid_t dset, type, space;     /* owned; -1 when closed */
    int rank;                    /* 0 for a scalar */
    hsize_t dims[H5S_MAX_RANK];  /* extent; dims[0] is the row count */
    hsize_t row_values;          /* values in one row: dims[1] * ... (1 for rank <= 1) */
    const char *path;            /* borrowed: the file's name, for messages */
    char name[ROWBLOCK_NAME];    /* the dataset as messages show it ("/val/X") */
} rowblock;

/* marks every handle of rb closed (rowblock_close is then a no-op) */
void rowblock_init(rowblock *rb);

/* opens `link` (relative to loc) into rb with its type and extent. path
 * and name only name it in messages (path is borrowed until close). With
 * expect non-NULL a missing link fails "missing (expected <expect>)" and
 * an object that is not a dataset "cannot open (expected a dataset
 * <expect>)"; with NULL both fail "cannot open". 0, or -1 with e set
 * (rb then holds what was opened: rowblock_close it). */
int rowblock_open(rowblock *rb, hid_t loc, const char *link, const char *path,
                  const char *name, const char *expect, dett_err *e);

/* rows [row0, row0 + n) of rb converted to mtype into buf (room for
 * n * rb->row_values values), through transfer list dxpl (H5P_DEFAULT:
 * independent). n == 0 selects nothing (so a rank with no rows still takes
 * part in a collective read). A failed read names HDF5's innermost reason
 * ("inflate() failed"). 0, or -1 with e set. */
int rowblock_read(const rowblock *rb, hid_t mtype, hid_t dxpl, hsize_t row0, hsize_t n,
                  void *buf, dett_err *e);

/* every row of rb in order, converted to mtype, in blocks of at most
 * `bytes` (at least one row a block): fn(ctx, block, its size in bytes) for
 * each. 0 when done; -1 with e set when a read failed; 1 when fn returned
 * nonzero (e untouched: the caller names what fn failed at). */
int rowblock_each(const rowblock *rb, hid_t mtype, size_t bytes,
                  int (*fn)(void *ctx, const void *block, size_t n), void *ctx, dett_err *e);

/* closes what rb holds (accepts a closed or initialised rb) */
void rowblock_close(rowblock *rb);

/* the innermost description on HDF5's error stack ("inflate() failed"),
 * or "unknown HDF5 error", into buf; clears the stack. Returns buf. */
const char *rowblock_h5_why(char *buf, size_t n);

#endif
