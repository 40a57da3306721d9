/* dataset.c - dataset files: validate, read row ranges, write (see dataset.h).
 *
 * Collective calls (dataset_open, dataset_read) run the same sequence of HDF5
 * calls on every rank, fail locally into a private dett_err, and only then
 * agree on the outcome (agree below), so no rank stops while another waits in
 * a collective. HDF5's own error stack printing is switched off inside every
 * public function: users see only our one-line messages.
 */
#define _POSIX_C_SOURCE 200809L
#include "agree.h"
#include "dataset.h"
#include "h5attr.h"
#include "lzf_filter.h"
#include "results_format.h"
#include "rowblock.h"
#include "rowmem.h"
#include <hdf5.h>
#include <errno.h>
#include <float.h>
#include <limits.h>
#include <stdint.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

const char *const dataset_split_names[N_SPLITS] = DF_SPLIT_NAMES;

#define LABEL_BLOCK ((hsize_t)1 << 16)   /* labels are checked this many rows at a time */
#define X_EXPECT "numbers (any float or integer type) [n, d] or [n, c, h, w]"
#define LABEL_EXPECT "integers [n]"
#define X_BLOCK ((hsize_t)1 << 20)      /* X values checked per read (8 MB as double) */
#define DESC_LEN 128

/* ---- small HDF5 helpers --------------------------------------------------- */

typedef struct {
    H5E_auto2_t func;
    void *data;
    int saved;
} h5_quiet;

/* switches off HDF5's automatic error printing, remembering the old handler */
static void quiet_on(h5_quiet *q)
{
    q->saved = H5Eget_auto2(H5E_DEFAULT, &q->func, &q->data) >= 0;
    if (q->saved) H5Eset_auto2(H5E_DEFAULT, NULL, NULL);
}

static void quiet_off(const h5_quiet *q)
{
    if (q->saved) H5Eset_auto2(H5E_DEFAULT, q->func, q->data);
}

/* closes *id with fn if it is open and marks it closed */
static void h5_drop(hid_t *id, herr_t (*fn)(hid_t))
{
    if (*id >= 0) fn(*id);
    *id = -1;
}

/* one open dataset with its type, file space and extent (rowblock.h) */
typedef rowblock h5_obj;

/* "float32 [n, 3]": the type and extent with the row dimension shown as n */
static void obj_desc(const h5_obj *o, char *buf, size_t len)
{
    char t[32];
    h5attr_type_name(o->type, t, sizeof t);
    int k = snprintf(buf, len, "%s ", t);
    if (o->rank == 0) {
        snprintf(buf + k, len - (size_t)k, "scalar");
        return;
    }
    k += snprintf(buf + k, len - (size_t)k, "[n");
    for (int i = 1; i < o->rank && (size_t)k < len; i++)
        k += snprintf(buf + k, len - (size_t)k, ", %llu", (unsigned long long)o->dims[i]);
    if ((size_t)k < len) snprintf(buf + k, len - (size_t)k, "]");
}

/* opens group/name as a dataset into o; "missing" names what was expected */
static int obj_open(h5_obj *o, hid_t group, const char *path, const char *split,
                    const char *name, const char *expect, dett_err *e)
{
    char shown[ROWBLOCK_NAME];
    snprintf(shown, sizeof shown, "/%s/%s", split, name);
    return rowblock_open(o, group, name, path, shown, expect, e);
}

/* 1 if t is an integer of 1, 2, 4 or 8 bytes or a float of 4 or 8 (either
 * byte order): the types HDF5 converts without a conversion buffer sized by
 * a damaged type's claimed width */
static int numeric_type(hid_t t)
{
    H5T_class_t c = H5Tget_class(t);
    size_t n = H5Tget_size(t);
    if (c == H5T_INTEGER) return n == 1 || n == 2 || n == 4 || n == 8;
    return c == H5T_FLOAT && (n == 4 || n == 8);
}

/* y and a: rank 1, any integer or float type (numeric_type); HDF5 converts
 * on read, and check_labels refuses values that are not integers in range */
static int check_label_type(const h5_obj *o, const char *path, const char *split,
                            const char *name, dett_err *e)
{
    if (numeric_type(o->type) && o->rank == 1) return 0;
    char d[DESC_LEN];
    obj_desc(o, d, sizeof d);
    return dett_fail(e, "%s:/%s/%s: expected " LABEL_EXPECT ", found %s", path, split, name, d);
}

/* X: any float or integer type (read as float32; check_x_values refuses
 * what float32 cannot hold) of rank 2 or 4, every per-row dimension >= 1,
 * row size an int */
static int check_x_type(const h5_obj *o, const char *path, const char *split, dett_err *e)
{
    int ok = numeric_type(o->type) && (o->rank == 2 || o->rank == 4);
    hsize_t d = 1;
    for (int i = 1; ok && i < o->rank; i++) {
        ok = o->dims[i] >= 1;
        d *= o->dims[i];
    }
    if (ok && d > INT_MAX)
        return dett_fail(e, "%s:/%s/X: %llu floats per row (at most %d)", path, split,
                         (unsigned long long)d, INT_MAX);
    if (ok) return 0;
    char desc[DESC_LEN];
    obj_desc(o, desc, sizeof desc);
    return dett_fail(e, "%s:/%s/X: expected " X_EXPECT ", found %s", path, split, desc);
}

/* opens path read-only with the MPI-IO driver on comm (collective); with
 * the default (serial) driver when MPI is not running (dett check) */
static int file_open(hid_t *file, const char *path, MPI_Comm comm, dett_err *e)
{
    hid_t fapl = -1;
    *file = -1;
    /* h5py's compression="lzf": HDF5 itself has no decoder for it */
    if (lzf_filter_register() != 0) return dett_fail(e, "%s: cannot register the LZF decoder", path);
    CHECK_H5(e, fapl = H5Pcreate(H5P_FILE_ACCESS), "%s: cannot create a file access list", path);
    if (dist_mpi_up())
        CHECK_H5(e, H5Pset_fapl_mpio(fapl, comm, MPI_INFO_NULL), "%s: cannot set the MPI-IO driver", path);
    *file = H5Fopen(path, H5F_ACC_RDONLY, fapl);
    if (*file < 0) {
        FILE *f = fopen(path, "rb");
        if (!f) {
            dett_fail(e, "%s: cannot open: %s", path, strerror(errno));
        } else {
            fclose(f);
            if (H5Fis_hdf5(path) > 0)
                dett_fail(e, "%s: cannot open the HDF5 file (locked by a writer or damaged?)", path);
            else
                dett_fail(e, "%s: not an HDF5 file", path);
        }
        goto fail;
    }
    H5Pclose(fapl);
    return 0;
fail:
    h5_drop(&fapl, H5Pclose);
    return -1;
}

/* ---- root attributes ------------------------------------------------------- */

/* an integer attribute of the root group, >= 1 (any integer type is accepted) */
static int attr_int(hid_t file, const char *path, const char *name, int *out, dett_err *e)
{
    char where[1100];
    long long v = 0;
    snprintf(where, sizeof where, "%.1090s:/", path);
    if (h5attr_get_int(file, name, 1, INT_MAX, &v, where, e)) return -1;
    *out = (int)v;
    return 0;
}

/* a string attribute of the root group (fixed or variable length) into
 * out[cap], truncated; a missing attribute gives "" */
static int attr_text(hid_t file, const char *path, const char *name, char *out,
                     size_t cap, dett_err *e)
{
    char where[1100];
    snprintf(where, sizeof where, "%.1090s:/", path);
    out[0] = '\0';
    int ex = h5attr_exists(file, name, where, e);
    if (ex <= 0) return ex;
    return h5attr_get_text(file, name, out, cap, H5ATTR_TRUNCATE, where, e);
}

/* n_classes, n_attrs and the text attributes into info */
static int read_attrs(hid_t file, const char *path, dataset_info *info, dett_err *e)
{
    CHECK(attr_int(file, path, DF_A_N_CLASSES, &info->n_classes, e));
    CHECK(attr_int(file, path, DF_A_N_ATTRS, &info->n_attrs, e));
    if ((long long)info->n_classes * info->n_attrs > DATASET_MAX_GROUPS)
        return dett_fail(e, "%s:/: n_classes * n_attrs = %d * %d: more than %d groups", path,
                         info->n_classes, info->n_attrs, DATASET_MAX_GROUPS);
    info->n_groups = info->n_classes * info->n_attrs;
    CHECK(attr_text(file, path, DF_A_NAME, info->name, sizeof info->name, e));
    CHECK(attr_text(file, path, DF_A_SOURCE, info->source, sizeof info->source, e));
    CHECK(attr_text(file, path, DF_A_LICENSE, info->license, sizeof info->license, e));
    CHECK(attr_text(file, path, DF_A_DESCRIPTION, info->description, sizeof info->description,
                    e));
    return 0;
fail:
    return -1;
}

/* ---- one split ------------------------------------------------------------- */

typedef struct {
    hid_t group;
    h5_obj X, y, a;
} split_h5;

static void split_init(split_h5 *sp)
{
    sp->group = -1;
    rowblock_init(&sp->X);
    rowblock_init(&sp->y);
    rowblock_init(&sp->a);
}

static void split_close(split_h5 *sp)
{
    rowblock_close(&sp->a);
    rowblock_close(&sp->y);
    rowblock_close(&sp->X);
    h5_drop(&sp->group, H5Gclose);
}

/* The rows of o must be written: a dataset created but never (fully)
 * written reads as fill values, so checking the labels of a damaged or
 * half-written file that claims 2^40 rows would read 2^40 zeros. A
 * contiguous dataset must have its storage allocated; a chunked one
 * (compressed, resizable) must have every chunk its extent needs stored
 * (its space status says PART_ALLOCATED whenever compression makes the
 * stored size differ from the raw size, so it cannot tell). Stored bytes
 * beyond the file's end mean a damaged layout (the MPI-IO driver reads
 * them as zeros too). */
static int check_stored(const h5_obj *o, hid_t file, const char *path, const char *split,
                        const char *name, dett_err *e)
{
    H5D_space_status_t st;
    hsize_t fsize = 0;
    hid_t dcpl = -1;
    CHECK_H5(e, dcpl = H5Dget_create_plist(o->dset), "%s:/%s/%s: cannot read its layout", path,
             split, name);
    H5D_layout_t layout = H5Pget_layout(dcpl);
    CHECK_H5(e, layout, "%s:/%s/%s: cannot read its layout", path, split, name);
    if (layout == H5D_CHUNKED) {
        hsize_t chunk[H5S_MAX_RANK], need = 1, have = 0;
        int r = H5Pget_chunk(dcpl, H5S_MAX_RANK, chunk);
        CHECK_H5(e, r, "%s:/%s/%s: cannot read its chunk shape", path, split, name);
        if (r != o->rank)
            return dett_fail(e, "%s:/%s/%s: chunks of rank %d for a rank %d dataset (damaged?)",
                             path, split, name, r, o->rank);
        for (int i = 0; i < r; i++) {
            if (chunk[i] == 0)
                return dett_fail(e, "%s:/%s/%s: a chunk dimension is 0 (damaged?)", path, split, name);
            need *= (o->dims[i] + chunk[i] - 1) / chunk[i];
        }
        CHECK_H5(e, H5Sselect_all(o->space), "%s:/%s/%s: cannot select it", path, split, name);
        CHECK_H5(e, H5Dget_num_chunks(o->dset, o->space, &have),
                 "%s:/%s/%s: cannot count its chunks", path, split, name);
        H5Pclose(dcpl);
        dcpl = -1;
        if (have < need)
            return dett_fail(e, "%s:/%s/%s: %llu rows declared but not all written (%llu of %llu "
                             "chunks stored)", path, split, name, (unsigned long long)o->dims[0],
                             (unsigned long long)have, (unsigned long long)need);
    } else {
        H5Pclose(dcpl);
        dcpl = -1;
        CHECK_H5(e, H5Dget_space_status(o->dset, &st), "%s:/%s/%s: cannot read its storage status",
                 path, split, name);
        if (layout == H5D_CONTIGUOUS && st != H5D_SPACE_STATUS_ALLOCATED)
            return dett_fail(e, "%s:/%s/%s: %llu rows declared but %s written (storage not "
                             "allocated)", path, split, name, (unsigned long long)o->dims[0],
                             st == H5D_SPACE_STATUS_NOT_ALLOCATED ? "none" : "not all");
    }
    CHECK_H5(e, H5Fget_filesize(file, &fsize), "%s: cannot read the file size", path);
    hsize_t stored = H5Dget_storage_size(o->dset);
    if (stored > fsize)
        return dett_fail(e, "%s:/%s/%s: %llu bytes of data in a file of %llu bytes (damaged?)",
                         path, split, name, (unsigned long long)stored,
                         (unsigned long long)fsize);
    return 0;
fail:
    h5_drop(&dcpl, H5Pclose);
    return -1;
}

/* opens /split with X, y, a and checks their types, ranks and row counts;
 * *rows <- the row count */
static int split_open(split_h5 *sp, hid_t file, const char *path, int s, int64_t *rows,
                      dett_err *e)
{
    const char *sn = dataset_split_names[s];
    htri_t ex = H5Lexists(file, sn, H5P_DEFAULT);
    CHECK_H5(e, ex, "%s:/%s: cannot look up the group", path, sn);
    if (!ex) return dett_fail(e, "%s:/%s: missing (expected a group with X, y and a)", path, sn);
    CHECK_H5(e, sp->group = H5Gopen2(file, sn, H5P_DEFAULT),
             "%s:/%s: expected a group with X, y and a", path, sn);
    CHECK(obj_open(&sp->X, sp->group, path, sn, "X", X_EXPECT, e));
    CHECK(check_x_type(&sp->X, path, sn, e));
    CHECK(obj_open(&sp->y, sp->group, path, sn, "y", LABEL_EXPECT, e));
    CHECK(check_label_type(&sp->y, path, sn, "y", e));
    CHECK(obj_open(&sp->a, sp->group, path, sn, "a", LABEL_EXPECT, e));
    CHECK(check_label_type(&sp->a, path, sn, "a", e));
    hsize_t n = sp->X.dims[0];
    if (sp->y.dims[0] != n || sp->a.dims[0] != n) {
        int bad_y = sp->y.dims[0] != n;
        return dett_fail(e, "%s:/%s: X has %llu rows but %s has %llu", path, sn,
                         (unsigned long long)n, bad_y ? "y" : "a",
                         (unsigned long long)(bad_y ? sp->y.dims[0] : sp->a.dims[0]));
    }
    if (n > (hsize_t)INT64_MAX / 4) return dett_fail(e, "%s:/%s: too many rows", path, sn);
    *rows = (int64_t)n;
    return 0;
fail:
    return -1;
}

/* the per-row shape of X in split s must be train's */
static int check_same_shape(const split_h5 *sp, const split_h5 *train, const char *path,
                            int s, dett_err *e)
{
    int same = sp->X.rank == train->X.rank;
    for (int i = 1; same && i < sp->X.rank; i++) same = sp->X.dims[i] == train->X.dims[i];
    if (same) return 0;
    char want[DESC_LEN], got[DESC_LEN];
    obj_desc(&train->X, want, sizeof want);
    obj_desc(&sp->X, got, sizeof got);
    return dett_fail(e, "%s:/%s/X: expected %s (the per-row shape of /train/X), found %s", path,
                     dataset_split_names[s], want, got);
}

/* label value v at row r is an integer in 0..hi; else says what to change */
static int check_label(double v, const char *path, const char *sn, const char *name,
                       hsize_t r, int hi, dett_err *e)
{
    if (v >= 0 && v <= hi && v == floor(v)) return 0;
    if (v != floor(v) || !isfinite(v))
        return dett_fail(e, "%s:/%s/%s: value %g at row %llu is not an integer (store labels "
                         "as integers 0..%d, any integer type)", path, sn, name, v,
                         (unsigned long long)r, hi);
    return dett_fail(e, "%s:/%s/%s: value %.0f at row %llu out of range 0..%d", path, sn, name,
                     v, (unsigned long long)r, hi);
}

/* every y in 0..C-1 and a in 0..A-1; counts rows per group into count[] */
static int check_labels(const split_h5 *sp, const char *path, int s, int64_t n,
                        const dataset_info *info, int64_t *count, dett_err *e)
{
    const char *sn = dataset_split_names[s];
    const int C = info->n_classes, A = info->n_attrs;
    hsize_t cap = (hsize_t)n < LABEL_BLOCK ? (hsize_t)n : LABEL_BLOCK;
    if (cap == 0) cap = 1;
    double *yb = malloc(cap * sizeof *yb), *ab = malloc(cap * sizeof *ab);
    CHECK_ALLOC(e, yb);
    CHECK_ALLOC(e, ab);
    for (hsize_t r0 = 0; r0 < (hsize_t)n; r0 += cap) {
        hsize_t m = (hsize_t)n - r0 < cap ? (hsize_t)n - r0 : cap;
        CHECK(rowblock_read(&sp->y, H5T_NATIVE_DOUBLE, H5P_DEFAULT, r0, m, yb, e));
        CHECK(rowblock_read(&sp->a, H5T_NATIVE_DOUBLE, H5P_DEFAULT, r0, m, ab, e));
        for (hsize_t i = 0; i < m; i++) {
            CHECK(check_label(yb[i], path, sn, "y", r0 + i, C - 1, e));
            CHECK(check_label(ab[i], path, sn, "a", r0 + i, A - 1, e));
            count[(int)yb[i] * A + (int)ab[i]]++;
        }
    }
    free(yb);
    free(ab);
    return 0;
fail:
    free(yb);
    free(ab);
    return -1;
}

/* validates split s fully (train is the reference for the per-row shape) */
static int validate_split(split_h5 *sp, const split_h5 *train, hid_t file, const char *path,
                          int s, dataset_info *info, dett_err *e)
{
    const char *sn = dataset_split_names[s];
    CHECK(split_open(sp, file, path, s, &info->n[s], e));
    if (s != SPLIT_TRAIN) CHECK(check_same_shape(sp, train, path, s, e));
    if (info->n[s] == 0) return dett_fail(e, "%s:/%s: no rows (every split needs rows)", path, sn);
    CHECK(check_stored(&sp->X, file, path, sn, "X", e));
    CHECK(check_stored(&sp->y, file, path, sn, "y", e));
    CHECK(check_stored(&sp->a, file, path, sn, "a", e));
    CHECK(check_labels(sp, path, s, info->n[s], info, info->group_count[s], e));
    if (s == SPLIT_TRAIN) return 0;
    for (int g = 0; g < info->n_groups; g++)
        if (info->group_count[s][g] == 0)
            return dett_fail(e, "%s:/%s: group (y=%d, a=%d) is empty; every group needs val and "
                             "test rows", path, sn, g / info->n_attrs, g % info->n_attrs);
    return 0;
fail:
    return -1;
}

/* the local part of dataset_open: open, validate, close (collective H5Fopen
 * and H5Fclose; everything in between is the same on every rank) */
static int open_local(const char *path, MPI_Comm comm, dataset_info *info, dett_err *e)
{
    hid_t file = -1;
    split_h5 sp[N_SPLITS];
    for (int s = 0; s < N_SPLITS; s++) split_init(&sp[s]);
    CHECK(file_open(&file, path, comm, e));
    CHECK(read_attrs(file, path, info, e));
    for (int s = 0; s < N_SPLITS; s++)
        CHECK(validate_split(&sp[s], &sp[SPLIT_TRAIN], file, path, s, info, e));
    const h5_obj *X = &sp[SPLIT_TRAIN].X;
    info->x_rank = X->rank - 1;
    info->d = 1;
    for (int i = 0; i < info->x_rank; i++) {
        info->x_shape[i] = (int)X->dims[i + 1];
        info->d *= info->x_shape[i];
    }
    for (int s = N_SPLITS - 1; s >= 0; s--) split_close(&sp[s]);
    CHECK_H5(e, H5Fclose(file), "%s: cannot close", path);
    return 0;
fail:
    for (int s = N_SPLITS - 1; s >= 0; s--) split_close(&sp[s]);
    h5_drop(&file, H5Fclose);
    return -1;
}

/* 1 if none of x[0 .. n) is NaN or Inf (exponent bits all ones); a
 * branch-free pass over the bits, which the compiler vectorizes */
static int f32_all_finite(const float *x, size_t n)
{
    uint32_t bad = 0;
    for (size_t i = 0; i < n; i++) {
        uint32_t b;
        memcpy(&b, x + i, sizeof b);
        bad |= (uint32_t)((b & 0x7f800000u) == 0x7f800000u);
    }
    return bad == 0;
}

/* rank's share of split s's X: every value finite and within float32's
 * range (X is read as float32; float64 and integer types convert) */
static int x_values_local(hid_t file, const char *path, int s, int64_t n, int d, int rank,
                          int size, dett_err *e)
{
    const char *sn = dataset_split_names[s];
    h5_obj X;
    hid_t group = -1;
    double *buf = NULL;
    rowblock_init(&X);
    CHECK_H5(e, group = H5Gopen2(file, sn, H5P_DEFAULT), "%s:/%s: cannot open the group", path, sn);
    CHECK(obj_open(&X, group, path, sn, "X", X_EXPECT, e));
    hsize_t r0 = (hsize_t)(n * rank / size), r1 = (hsize_t)(n * (rank + 1) / size);
    hsize_t rows = X_BLOCK / (hsize_t)d ? X_BLOCK / (hsize_t)d : 1;
    /* float32 in the file: read as it is (no conversion), every value fits */
    const int f32 = H5Tget_class(X.type) == H5T_FLOAT && H5Tget_size(X.type) == 4;
    CHECK_ALLOC(e, buf = malloc((size_t)rows * (size_t)d * sizeof *buf));
    for (hsize_t r = r0; r < r1; r += rows) {
        hsize_t m = r1 - r < rows ? r1 - r : rows;
        if (f32) {
            CHECK(rowblock_read(&X, H5T_NATIVE_FLOAT, H5P_DEFAULT, r, m, buf, e));
            if (f32_all_finite((const float *)buf, (size_t)(m * (hsize_t)d))) continue;
        }
        /* not float32, or a bad value: as doubles, the first one named */
        CHECK(rowblock_read(&X, H5T_NATIVE_DOUBLE, H5P_DEFAULT, r, m, buf, e));
        for (hsize_t i = 0; i < m * (hsize_t)d; i++) {
            double v = buf[i];
            if (isfinite(v) && fabs(v) <= FLT_MAX) continue;
            dett_fail(e, "%s:/%s/X: value %g at row %llu, column %llu %s", path, sn, v,
                      (unsigned long long)(r + i / (hsize_t)d), (unsigned long long)(i % (hsize_t)d),
                      isfinite(v) ? "does not fit float32 (|x| <= 3.4e38): rescale X"
                                  : "is not finite: NaN and Inf are refused (impute or drop the row)");
            goto fail;
        }
    }
    free(buf);
    rowblock_close(&X);
    H5Gclose(group);
    return 0;
fail:
    free(buf);
    rowblock_close(&X);
    h5_drop(&group, H5Gclose);
    return -1;
}

/* X of every split holds only finite values float32 can hold: each rank
 * checks its share of the rows and the ranks agree split by split, so the
 * message names the first bad row of the first bad split. Collective. */
static int check_x_values(const char *path, MPI_Comm comm, const dataset_info *info,
                          dett_err *e)
{
    int rank = 0, size = 1;
    hid_t file = -1;
    /* without MPI (dett check) this process scans every row */
    if (dist_mpi_up() && (MPI_Comm_rank(comm, &rank) != MPI_SUCCESS ||
                          MPI_Comm_size(comm, &size) != MPI_SUCCESS))
        return dett_fail(e, "%s: MPI_Comm_rank failed", path);
    int st = agree(comm, file_open(&file, path, comm, e), e);
    for (int s = 0; st == 0 && s < N_SPLITS; s++)
        st = agree(comm, x_values_local(file, path, s, info->n[s], info->d, rank, size, e), e);
    if (file >= 0 && H5Fclose(file) < 0 && st == 0) st = dett_fail(e, "%s: cannot close", path);
    return st;
}

int dataset_open(const char *path, MPI_Comm comm, dataset_info *info, dett_err *e)
{
    dett_err le = {{0}};
    h5_quiet q;
    quiet_on(&q);
    memset(info, 0, sizeof *info);
    int fail = open_local(path, comm, info, &le);
    int st = agree(comm, fail, &le);
    if (st == 0) st = check_x_values(path, comm, info, &le);
    quiet_off(&q);
    if (st == 0) return 0;
    memset(info, 0, sizeof *info);
    return dett_fail(e, "%s", le.msg);
}

/* ---- reading rows ---------------------------------------------------------- */

void dataset_rows_free(dataset_rows *r)
{
    if (!r) return;
    free(r->X);
    free(r->y);
    free(r->a);
    memset(r, 0, sizeof *r);
}

/* the local checks of dataset_read after the file is open: types, range,
 * allocation of out */
static int read_prepare(split_h5 *sp, hid_t file, const char *path, int split, int64_t row0,
                        int64_t n, dataset_rows *out, dett_err *e)
{
    int64_t rows = 0;
    CHECK(split_open(sp, file, path, split, &rows, e));
    if (row0 > rows || n > rows - row0)
        return dett_fail(e, "%s:/%s: rows [%lld, %lld) out of range (the split has %lld rows)",
                         path, dataset_split_names[split], (long long)row0,
                         (long long)(row0 + n), (long long)rows);
    int d = 1;
    for (int i = 1; i < sp->X.rank; i++) d *= (int)sp->X.dims[i];
    size_t cap = n > 0 ? (size_t)n : 1;
    out->row0 = row0;
    out->n = n;
    out->d = d;
    CHECK_ALLOC(e, out->X = rowmem_alloc(cap * (size_t)d * sizeof *out->X));
    CHECK_ALLOC(e, out->y = malloc(cap * sizeof *out->y));
    CHECK_ALLOC(e, out->a = malloc(cap * sizeof *out->a));
    return 0;
fail:
    return -1;
}

/* 1 if o's chunks pass through filters (compression). HDF5 1.10's
 * collective read of filtered chunks runs the filter even on a chunk
 * stored unfiltered (an incompressible chunk, flagged in its filter mask),
 * so those datasets are read with independent transfers. */
static int has_filters(const h5_obj *o)
{
    hid_t dcpl = H5Dget_create_plist(o->dset);
    if (dcpl < 0) return 1;
    int n = H5Pget_nfilters(dcpl);
    H5Pclose(dcpl);
    return n != 0;
}

/* the three reads of dataset_read (collective, or independent for
 * filtered datasets: see has_filters) */
static int read_all(const split_h5 *sp, const char *path, int64_t row0, int64_t n,
                    dataset_rows *out, dett_err *e)
{
    hid_t coll = -1, ind = -1;
    CHECK_H5(e, coll = H5Pcreate(H5P_DATASET_XFER), "%s: cannot create a transfer list", path);
    CHECK_H5(e, H5Pset_dxpl_mpio(coll, H5FD_MPIO_COLLECTIVE), "%s: cannot set collective transfer", path);
    CHECK_H5(e, ind = H5Pcreate(H5P_DATASET_XFER), "%s: cannot create a transfer list", path);
    CHECK_H5(e, H5Pset_dxpl_mpio(ind, H5FD_MPIO_INDEPENDENT), "%s: cannot set independent transfer", path);
    CHECK(rowblock_read(&sp->X, H5T_NATIVE_FLOAT, has_filters(&sp->X) ? ind : coll,
                        (hsize_t)row0, (hsize_t)n, out->X, e));
    CHECK(rowblock_read(&sp->y, H5T_NATIVE_INT32, has_filters(&sp->y) ? ind : coll,
                        (hsize_t)row0, (hsize_t)n, out->y, e));
    CHECK(rowblock_read(&sp->a, H5T_NATIVE_INT32, has_filters(&sp->a) ? ind : coll,
                        (hsize_t)row0, (hsize_t)n, out->a, e));
    H5Pclose(coll);
    H5Pclose(ind);
    return 0;
fail:
    h5_drop(&coll, H5Pclose);
    h5_drop(&ind, H5Pclose);
    return -1;
}

int dataset_read(const char *path, MPI_Comm comm, int split, int64_t row0, int64_t n,
                 dataset_rows *out, dett_err *e)
{
    dett_err le = {{0}};
    hid_t file = -1;
    split_h5 sp;
    h5_quiet q;
    int st = -1;
    split_init(&sp);
    memset(out, 0, sizeof *out);
    quiet_on(&q);
    int fail = 0;
    if (split < 0 || split >= N_SPLITS)
        fail = dett_fail(&le, "%s: split %d out of range 0..%d", path, split, N_SPLITS - 1);
    else if (row0 < 0 || n < 0)
        fail = dett_fail(&le, "%s:/%s: bad row range: row0 %lld, n %lld", path,
                         dataset_split_names[split], (long long)row0, (long long)n);
    if (agree(comm, fail, &le)) goto done;
    fail = file_open(&file, path, comm, &le);
    if (!fail) fail = read_prepare(&sp, file, path, split, row0, n, out, &le);
    if (agree(comm, fail, &le)) goto done;
    fail = read_all(&sp, path, row0, n, out, &le);
    st = agree(comm, fail, &le);
done:
    split_close(&sp);
    h5_drop(&file, H5Fclose);
    quiet_off(&q);
    if (st == 0) return 0;
    dataset_rows_free(out);
    return dett_fail(e, "%s", le.msg);
}

/* ---- writing --------------------------------------------------------------- */

/* info and the rows are consistent: shapes, counts, labels in range */
static int write_check(const char *path, const dataset_info *info,
                       const dataset_rows split[N_SPLITS], dett_err *e)
{
    if (info->n_classes < 1 || info->n_attrs < 1 ||
        (long long)info->n_classes * info->n_attrs > DATASET_MAX_GROUPS)
        return dett_fail(e, "%s: cannot write: n_classes %d, n_attrs %d (need >= 1 each and at "
                         "most %d groups)", path, info->n_classes, info->n_attrs, DATASET_MAX_GROUPS);
    if (info->x_rank != 1 && info->x_rank != 3)
        return dett_fail(e, "%s: cannot write: x_rank %d (expected 1 or 3)", path, info->x_rank);
    long long d = 1;
    for (int i = 0; i < info->x_rank; i++) {
        if (info->x_shape[i] < 1) return dett_fail(e, "%s: cannot write: x_shape[%d] = %d", path, i, info->x_shape[i]);
        d *= info->x_shape[i];
        if (d > INT_MAX) return dett_fail(e, "%s: cannot write: rows of more than %d floats", path, INT_MAX);
    }
    for (int s = 0; s < N_SPLITS; s++) {
        const dataset_rows *r = &split[s];
        const char *sn = dataset_split_names[s];
        if (r->n < 0 || r->d != d || (r->n > 0 && (!r->X || !r->y || !r->a)))
            return dett_fail(e, "%s:/%s: cannot write: %lld rows of %d floats (expected %lld "
                             "floats per row and arrays for every row)", path, sn,
                             (long long)r->n, r->d, d);
        for (int64_t i = 0; i < r->n; i++) {
            if (r->y[i] < 0 || r->y[i] >= info->n_classes)
                return dett_fail(e, "%s:/%s/y: cannot write: value %d at row %lld out of range 0..%d",
                                 path, sn, (int)r->y[i], (long long)i, info->n_classes - 1);
            if (r->a[i] < 0 || r->a[i] >= info->n_attrs)
                return dett_fail(e, "%s:/%s/a: cannot write: value %d at row %lld out of range 0..%d",
                                 path, sn, (int)r->a[i], (long long)i, info->n_attrs - 1);
        }
    }
    return 0;
}

/* a contiguous dataset loc/name of file type ftype and extent dims[rank],
 * filled from buf (memory type mtype) unless it has no elements; no
 * timestamps, so the same rows give the same file bytes */
static int put_dataset(hid_t loc, const char *path, const char *sn, const char *name,
                       hid_t ftype, hid_t mtype, int rank, const hsize_t *dims,
                       const void *buf, dett_err *e)
{
    hid_t space = -1, dset = -1, dcpl = -1;
    CHECK_H5(e, space = H5Screate_simple(rank, dims, NULL), "%s:/%s/%s: cannot make a space", path, sn, name);
    CHECK_H5(e, dcpl = H5Pcreate(H5P_DATASET_CREATE), "%s:/%s/%s: cannot make a creation list", path, sn, name);
    CHECK_H5(e, H5Pset_obj_track_times(dcpl, 0), "%s:/%s/%s: cannot turn off timestamps", path, sn, name);
    CHECK_H5(e, dset = H5Dcreate2(loc, name, ftype, space, H5P_DEFAULT, dcpl, H5P_DEFAULT),
             "%s:/%s/%s: cannot create", path, sn, name);
    if (dims[0] > 0)
        CHECK_H5(e, H5Dwrite(dset, mtype, H5S_ALL, H5S_ALL, H5P_DEFAULT, buf),
                 "%s:/%s/%s: cannot write", path, sn, name);
    H5Dclose(dset);
    H5Pclose(dcpl);
    H5Sclose(space);
    return 0;
fail:
    h5_drop(&dset, H5Dclose);
    h5_drop(&dcpl, H5Pclose);
    h5_drop(&space, H5Sclose);
    return -1;
}

/* the group /split with X, y, a */
static int write_split(hid_t file, const char *path, int s, const dataset_info *info,
                       const dataset_rows *r, dett_err *e)
{
    const char *sn = dataset_split_names[s];
    hid_t group = -1, gcpl = -1;
    hsize_t dims[4] = {(hsize_t)r->n, 0, 0, 0};
    for (int i = 0; i < info->x_rank; i++) dims[i + 1] = (hsize_t)info->x_shape[i];
    CHECK_H5(e, gcpl = H5Pcreate(H5P_GROUP_CREATE), "%s:/%s: cannot make a creation list", path, sn);
    CHECK_H5(e, H5Pset_obj_track_times(gcpl, 0), "%s:/%s: cannot turn off timestamps", path, sn);
    CHECK_H5(e, group = H5Gcreate2(file, sn, H5P_DEFAULT, gcpl, H5P_DEFAULT),
             "%s:/%s: cannot create the group", path, sn);
    CHECK(put_dataset(group, path, sn, DF_D_X, H5T_IEEE_F32LE, H5T_NATIVE_FLOAT, info->x_rank + 1,
                      dims, r->X, e));
    CHECK(put_dataset(group, path, sn, DF_D_Y, H5T_STD_I32LE, H5T_NATIVE_INT32, 1, dims, r->y, e));
    CHECK(put_dataset(group, path, sn, DF_D_A, H5T_STD_I32LE, H5T_NATIVE_INT32, 1, dims, r->a, e));
    H5Gclose(group);
    H5Pclose(gcpl);
    return 0;
fail:
    h5_drop(&group, H5Gclose);
    h5_drop(&gcpl, H5Pclose);
    return -1;
}

/* the root attributes */
static int write_attrs(hid_t file, const char *path, const dataset_info *info, dett_err *e)
{
    CHECK(h5attr_put_text(file, DF_A_FORMAT, DF_FORMAT_NAME, path, e));
    CHECK(h5attr_put_int(file, DF_A_FORMAT_VERSION, H5T_STD_I32LE, DF_FORMAT_VERSION, path, e));
    CHECK(h5attr_put_text(file, DF_A_NAME, info->name, path, e));
    CHECK(h5attr_put_int(file, DF_A_N_CLASSES, H5T_STD_I32LE, info->n_classes, path, e));
    CHECK(h5attr_put_int(file, DF_A_N_ATTRS, H5T_STD_I32LE, info->n_attrs, path, e));
    CHECK(h5attr_put_text(file, DF_A_SOURCE, info->source, path, e));
    CHECK(h5attr_put_text(file, DF_A_LICENSE, info->license, path, e));
    CHECK(h5attr_put_text(file, DF_A_DESCRIPTION, info->description, path, e));
    return 0;
fail:
    return -1;
}

/* Writes the memory file's image to tmp with plain stdio, every call
 * checked: a full disk or an I/O error is one message naming path (the
 * file being made) and the errno text, and tmp is removed. */
static int write_image(hid_t file, const char *path, const char *tmp, dett_err *e)
{
    ssize_t n = H5Fget_file_image(file, NULL, 0);
    if (n < 0) return dett_fail(e, "%s: cannot build the file image", path);
    void *img = malloc(n > 0 ? (size_t)n : 1);
    if (!img) return dett_fail(e, "%s: out of memory for the %lld-byte file image", path, (long long)n);
    if (H5Fget_file_image(file, img, (size_t)n) != n) {
        free(img);
        return dett_fail(e, "%s: cannot build the file image", path);
    }
    FILE *f = fopen(tmp, "wb");
    if (!f) {
        int err = errno;
        free(img);
        return dett_fail(e, "%s: cannot create %s: %s", path, tmp, strerror(err));
    }
    int err = 0;
    if (fwrite(img, 1, (size_t)n, f) != (size_t)n || fflush(f) != 0) err = errno ? errno : EIO;
    /* fsync: the data is on disk before the rename makes it the file
     * (EINVAL: a device that cannot sync) */
    if (!err && fsync(fileno(f)) != 0 && errno != EINVAL) err = errno;
    if (fclose(f) != 0 && !err) err = errno ? errno : EIO;
    free(img);
    if (err) {
        remove(tmp);
        return dett_fail(e, "%s: cannot write: %s (nothing written)", path, strerror(err));
    }
    return 0;
}

int dataset_write(const char *path, const dataset_info *info,
                  const dataset_rows split[N_SPLITS], dett_err *e)
{
    char *tmp = NULL;
    hid_t file = -1, fapl = -1;
    h5_quiet q;
    quiet_on(&q);
    CHECK(write_check(path, info, split, e));
    size_t len = strlen(path) + sizeof ".tmp";
    CHECK_ALLOC(e, tmp = malloc(len));
    snprintf(tmp, len, "%s.tmp", path);
    /* the file is built in memory (HDF5's core driver, no backing store)
     * and written with stdio: a full disk fails one fwrite, not an HDF5
     * flush that leaves the library with a file it cannot close (SIGSEGV
     * at exit) */
    CHECK_H5(e, fapl = H5Pcreate(H5P_FILE_ACCESS), "%s: cannot create a file access list", path);
    CHECK_H5(e, H5Pset_fapl_core(fapl, (size_t)1 << 24, 0), "%s: cannot set the memory driver", path);
    CHECK_H5(e, file = H5Fcreate(tmp, H5F_ACC_TRUNC, H5P_DEFAULT, fapl),
             "%s: cannot create the file in memory", path);
    CHECK(write_attrs(file, tmp, info, e));
    for (int s = 0; s < N_SPLITS; s++) CHECK(write_split(file, tmp, s, info, &split[s], e));
    CHECK_H5(e, H5Fflush(file, H5F_SCOPE_GLOBAL), "%s: cannot flush the file in memory", path);
    CHECK(write_image(file, path, tmp, e));
    hid_t f = file;
    file = -1;
    if (H5Fclose(f) < 0) {
        remove(tmp);
        dett_fail(e, "%s: cannot close the file in memory", path);
        goto fail;
    }
    if (rename(tmp, path) != 0) {
        dett_fail(e, "%s: cannot rename %s to it: %s", path, tmp, strerror(errno));
        remove(tmp);
        goto fail;
    }
    H5Pclose(fapl);
    free(tmp);
    quiet_off(&q);
    return 0;
fail:
    h5_drop(&file, H5Fclose);
    h5_drop(&fapl, H5Pclose);
    free(tmp);
    quiet_off(&q);
    return -1;
}
