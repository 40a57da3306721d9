/* h5attr.h - dett's one HDF5 attribute reader and writer.
 *
 * Used by the results writer (runtime/io/results.c), the data-file reader
 * and writer (runtime/io/dataset.c), the report reader
 * (analysis/report_read.c) and `dett export`. Serial HDF5 calls only (no
 * MPI): under the MPI-IO driver the writers are collective like any HDF5
 * metadata call, and every rank must pass the same values.
 *
 * Strings are written as scalar variable-length UTF-8 (what h5py reads as
 * str); numbers with the stated file type. Readers accept what other tools
 * write: strings fixed or variable length in any character set, integers of
 * any width and sign, numbers as integers or floats.
 *
 * Every function returns 0 (h5attr_exists: 1 or 0) or -1 with one line in e:
 *   "<where>: attribute <name>: <what>", e.g.
 *   "data.h5:/: attribute n_classes: missing (expected an integer >= 1)".
 * `where` names the object (a file and group path). HDF5's automatic error
 * printing is the caller's to switch off.
 */
#ifndef DETT_H5ATTR_H
#define DETT_H5ATTR_H
#include "err.h"
#include <hdf5.h>
#include <stddef.h>
#include <stdint.h>

enum { H5ATTR_NAME = 64, H5ATTR_TEXT = 64 };

/* a typed configuration value (method arguments, optimiser settings):
 * a number, or a text if is_text */
typedef struct {
    char name[H5ATTR_NAME];
    int is_text;
    double num;
    char text[H5ATTR_TEXT];
} h5attr_value;

/* ---- writing (the attribute must not exist yet) ---- */

/* a scalar variable-length UTF-8 string (NULL: "") */
int h5attr_put_text(hid_t obj, const char *name, const char *s, const char *where,
                    dett_err *e);
/* a 1-D array of n >= 1 variable-length UTF-8 strings */
int h5attr_put_texts(hid_t obj, const char *name, const char *const *s, int n,
                     const char *where, dett_err *e);
/* a scalar integer stored as ftype (H5T_STD_I32LE, H5T_STD_I64LE, ...) */
int h5attr_put_int(hid_t obj, const char *name, hid_t ftype, int64_t v, const char *where,
                   dett_err *e);
/* a 1-D int32 array of n >= 0 values (n = 0: an empty array) */
int h5attr_put_ints(hid_t obj, const char *name, const int *v, int n, const char *where,
                    dett_err *e);
/* a scalar float64 */
int h5attr_put_double(hid_t obj, const char *name, double v, const char *where, dett_err *e);
/* v as attribute "<prefix><v->name>": text or float64 */
int h5attr_put_value(hid_t obj, const char *prefix, const h5attr_value *v, const char *where,
                     dett_err *e);

/* ---- reading ---- */

/* 1 if obj has the attribute, 0 if not */
int h5attr_exists(hid_t obj, const char *name, const char *where, dett_err *e);
enum { H5ATTR_EXACT = 0, H5ATTR_TRUNCATE = 1 };
/* a scalar string into buf[cap]; longer than cap - 1 bytes: refused with
 * H5ATTR_EXACT, cut with H5ATTR_TRUNCATE */
int h5attr_get_text(hid_t obj, const char *name, char *buf, size_t cap, int mode,
                    const char *where, dett_err *e);
/* a scalar integer in [lo, hi] */
int h5attr_get_int(hid_t obj, const char *name, long long lo, long long hi, long long *v,
                   const char *where, dett_err *e);
/* a scalar number (integer or float) */
int h5attr_get_double(hid_t obj, const char *name, double *v, const char *where,
                      dett_err *e);
/* a 1-D (or scalar) integer array of at most cap values into v, count in *n */
int h5attr_get_ints(hid_t obj, const char *name, int *v, int cap, int *n, const char *where,
                    dett_err *e);
/* every scalar attribute whose name starts with prefix, in name order, as
 * typed values named without the prefix (numbers and texts; arrays are
 * skipped); at most cap, the count in *n */
int h5attr_list(hid_t obj, const char *prefix, h5attr_value *out, int cap, int *n,
                const char *where, dett_err *e);

/* "int32", "uint8", "float64", "string", ... of an HDF5 type, for messages */
void h5attr_type_name(hid_t type, char *buf, size_t len);

#endif
