/* test_dataset.c - the dataset layer in one process: synth determinism,
 * write/open/read round trips, one refused file per contract rule, and the
 * `dett data` subcommand. Files are written in the working directory. */
#define _POSIX_C_SOURCE 200809L
#include "check.h"
#include "cmd.h"
#include "dataset.h"
#include "synth.h"
#include <hdf5.h>
#include <mpi.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define PFX "test_dataset_"

static synth_opts small_opts(void)
{
    synth_opts o = synth_defaults();
    o.n_train = 200;
    o.n_val = 40;
    o.n_test = 42;   /* not a multiple of 4: the first two groups get one more */
    o.d_core = 3;
    o.d_spurious = 2;
    o.d_noise = 1;
    o.seed = 7;
    return o;
}

static void free_splits(dataset_rows sp[N_SPLITS])
{
    for (int s = 0; s < N_SPLITS; s++) dataset_rows_free(&sp[s]);
}

/* 1 if rows a and b hold the same bits */
static int same_rows(const dataset_rows *a, const dataset_rows *b)
{
    return a->n == b->n && a->d == b->d &&
           memcmp(a->X, b->X, (size_t)a->n * (size_t)a->d * sizeof(float)) == 0 &&
           memcmp(a->y, b->y, (size_t)a->n * sizeof(int32_t)) == 0 &&
           memcmp(a->a, b->a, (size_t)a->n * sizeof(int32_t)) == 0;
}

/* rows [r0, r0 + n) of the full split g equal r */
static int rows_match(const dataset_rows *g, int64_t r0, const dataset_rows *r)
{
    int d = g->d;
    return r->n >= 0 && r->row0 == r0 && r->d == d &&
           memcmp(r->X, g->X + r0 * d, (size_t)r->n * (size_t)d * sizeof(float)) == 0 &&
           memcmp(r->y, g->y + r0, (size_t)r->n * sizeof(int32_t)) == 0 &&
           memcmp(r->a, g->a + r0, (size_t)r->n * sizeof(int32_t)) == 0;
}

static int file_exists(const char *p) { return access(p, F_OK) == 0; }

/* 1 if the two files hold the same bytes */
static int files_equal(const char *p, const char *q)
{
    FILE *a = fopen(p, "rb"), *b = fopen(q, "rb");
    int same = a && b, ca, cb;
    while (same) {
        ca = getc(a);
        cb = getc(b);
        if (ca == EOF && cb == EOF) break;
        same = ca == cb;
    }
    if (a) fclose(a);
    if (b) fclose(b);
    return same;
}

/* synth: determinism, group balance, the majority fraction, feature means */
static void test_synth(void)
{
    synth_opts o = small_opts();
    dataset_info i1, i2;
    dataset_rows a[N_SPLITS], b[N_SPLITS];
    dett_err e = {{0}};
    EXPECT(synth_generate(&o, &i1, a, &e) == 0, "synth: %s", e.msg);
    EXPECT(synth_generate(&o, &i2, b, &e) == 0, "synth: %s", e.msg);
    for (int s = 0; s < N_SPLITS; s++) EXPECT(same_rows(&a[s], &b[s]), "split %d differs on rerun", s);
    EXPECT(memcmp(&i1, &i2, sizeof i1) == 0, "info differs on rerun");
    free_splits(b);
    o.seed = 8;
    EXPECT(synth_generate(&o, &i2, b, &e) == 0, "synth: %s", e.msg);
    EXPECT(memcmp(a[0].X, b[0].X, sizeof(float) * 6) != 0, "another seed gives the same X");
    free_splits(b);

    EXPECT(i1.d == 6 && i1.x_rank == 1 && i1.x_shape[0] == 6 && i1.n_groups == 4, "shape");
    for (int g = 0; g < 4; g++) {
        EXPECT(i1.group_count[SPLIT_VAL][g] == 10, "val group %d: %lld", g, (long long)i1.group_count[SPLIT_VAL][g]);
        EXPECT(i1.group_count[SPLIT_TEST][g] == (g < 2 ? 11 : 10), "test group %d", g);
    }
    EXPECT(strcmp(i1.name, "synth") == 0 && strcmp(i1.license, "MIT") == 0, "name/license");
    EXPECT(strstr(i1.description, "p_maj = 0.9") && strstr(i1.description, "seed = 7"),
           "description: %s", i1.description);

    /* larger train: majority fraction near p_maj, core/spurious means near mu */
    o = synth_defaults();
    o.n_val = o.n_test = 4;
    EXPECT(synth_generate(&o, &i2, b, &e) == 0, "synth: %s", e.msg);
    const dataset_rows *t = &b[SPLIT_TRAIN];
    int64_t maj = 0;
    double core = 0, spur = 0;
    const int D = t->d;
    for (int64_t r = 0; r < t->n; r++) {
        maj += t->y[r] == t->a[r];
        core += (2 * t->y[r] - 1) * t->X[r * D + 0];
        spur += (2 * t->a[r] - 1) * t->X[r * D + o.d_core];
    }
    double fm = (double)maj / (double)t->n;
    EXPECT(fm > 0.88 && fm < 0.92, "majority fraction %g", fm);
    EXPECT(core / (double)t->n > 0.9 && core / (double)t->n < 1.1, "core mean %g", core / (double)t->n);
    EXPECT(spur / (double)t->n > 0.98 && spur / (double)t->n < 1.02, "spurious mean %g", spur / (double)t->n);
    free_splits(b);

    synth_opts bad = synth_defaults();
    bad.p_maj = 1.0f;
    EXPECT(synth_generate(&bad, &i2, b, &e) == -1 && strstr(e.msg, "p_maj"), "p_maj 1: %s", e.msg);
    bad = synth_defaults();
    bad.n_val = 3;
    EXPECT(synth_generate(&bad, &i2, b, &e) == -1 && strstr(e.msg, "n_val"), "n_val 3: %s", e.msg);
    free_splits(a);
}

/* write a file, open it, read it back bit for bit in full and in parts */
static void test_roundtrip(void)
{
    const char *path = PFX "good.h5";
    synth_opts o = small_opts();
    dataset_info gi, info;
    dataset_rows g[N_SPLITS], r = {0};
    dett_err e = {{0}};
    EXPECT(synth_generate(&o, &gi, g, &e) == 0, "synth: %s", e.msg);
    EXPECT(dataset_write(path, &gi, g, &e) == 0, "write: %s", e.msg);
    EXPECT(!file_exists(PFX "good.h5.tmp"), "tmp file left behind");
    EXPECT(dataset_open(path, MPI_COMM_WORLD, &info, &e) == 0, "open: %s", e.msg);
    EXPECT(info.n_classes == 2 && info.n_attrs == 2 && info.n_groups == 4, "C, A");
    EXPECT(info.x_rank == 1 && info.x_shape[0] == 6 && info.d == 6, "shape");
    EXPECT(strcmp(info.name, "synth") == 0 && strcmp(info.source, gi.source) == 0 &&
           strcmp(info.license, "MIT") == 0 && strcmp(info.description, gi.description) == 0,
           "text attributes: '%s' '%s' '%s'", info.name, info.source, info.license);
    for (int s = 0; s < N_SPLITS; s++) {
        EXPECT(info.n[s] == gi.n[s], "n[%d]", s);
        EXPECT(memcmp(info.group_count[s], gi.group_count[s], sizeof gi.group_count[s]) == 0,
               "group counts of split %d", s);
        EXPECT(dataset_read(path, MPI_COMM_WORLD, s, 0, gi.n[s], &r, &e) == 0, "read: %s", e.msg);
        EXPECT(r.n == gi.n[s] && rows_match(&g[s], 0, &r), "split %d read back differs", s);
        dataset_rows_free(&r);
    }
    EXPECT(dataset_read(path, MPI_COMM_WORLD, SPLIT_TRAIN, 17, 33, &r, &e) == 0, "read: %s", e.msg);
    EXPECT(r.n == 33 && rows_match(&g[SPLIT_TRAIN], 17, &r), "rows 17..50 differ");
    dataset_rows_free(&r);
    EXPECT(dataset_read(path, MPI_COMM_WORLD, SPLIT_TEST, 42, 0, &r, &e) == 0, "empty read: %s", e.msg);
    EXPECT(r.n == 0 && r.X && r.y && r.a, "empty read gives empty non-NULL arrays");
    dataset_rows_free(&r);
    EXPECT(dataset_read(path, MPI_COMM_WORLD, SPLIT_VAL, 30, 11, &r, &e) == -1 &&
           strstr(e.msg, ":/val: rows [30, 41) out of range (the split has 40 rows)"),
           "range past the end: %s", e.msg);
    EXPECT(r.X == NULL && r.n == 0, "failed read leaves nothing allocated");
    EXPECT(dataset_read(path, MPI_COMM_WORLD, 3, 0, 1, &r, &e) == -1 && strstr(e.msg, "split 3"),
           "bad split: %s", e.msg);
    EXPECT(dataset_read(PFX "nonexistent.h5", MPI_COMM_WORLD, 0, 0, 1, &r, &e) == -1 &&
           strstr(e.msg, "cannot open"), "read of a missing file: %s", e.msg);

    /* a write that cannot succeed leaves neither the file nor the tmp file */
    EXPECT(dataset_write("no_such_dir_xyz/f.h5", &gi, g, &e) == -1 && strstr(e.msg, "cannot create"),
           "write into a missing directory: %s", e.msg);
    g[SPLIT_VAL].y[3] = 2;
    EXPECT(dataset_write(PFX "badlabel.h5", &gi, g, &e) == -1 && strstr(e.msg, "/val/y") &&
           !file_exists(PFX "badlabel.h5") && !file_exists(PFX "badlabel.h5.tmp"),
           "write of a bad label: %s", e.msg);
    free_splits(g);
    remove(path);
}

/* image-shaped rows [n, c, h, w] */
static void test_image_shape(void)
{
    const char *path = PFX "image.h5";
    dataset_info gi = {0}, info;
    dataset_rows g[N_SPLITS], r = {0};
    dett_err e = {{0}};
    snprintf(gi.name, sizeof gi.name, "tiny-images");
    gi.n_classes = 3;
    gi.n_attrs = 1;
    gi.x_rank = 3;
    gi.x_shape[0] = 2, gi.x_shape[1] = 3, gi.x_shape[2] = 4;
    gi.d = 24;
    const int64_t n[N_SPLITS] = {10, 6, 3};
    for (int s = 0; s < N_SPLITS; s++) {
        g[s] = (dataset_rows){.n = n[s], .d = 24};
        g[s].X = malloc((size_t)n[s] * 24 * sizeof(float));
        g[s].y = malloc((size_t)n[s] * sizeof(int32_t));
        g[s].a = calloc((size_t)n[s], sizeof(int32_t));
        for (int64_t i = 0; i < n[s] * 24; i++) g[s].X[i] = (float)(s * 1000 + i) * 0.5f;
        for (int64_t i = 0; i < n[s]; i++) g[s].y[i] = (int32_t)(i % 3);
    }
    EXPECT(dataset_write(path, &gi, g, &e) == 0, "write: %s", e.msg);
    EXPECT(dataset_open(path, MPI_COMM_WORLD, &info, &e) == 0, "open: %s", e.msg);
    EXPECT(info.x_rank == 3 && info.x_shape[0] == 2 && info.x_shape[1] == 3 &&
           info.x_shape[2] == 4 && info.d == 24 && info.n_groups == 3, "image shape");
    EXPECT(strcmp(info.name, "tiny-images") == 0 && info.source[0] == '\0', "text attributes");
    EXPECT(dataset_read(path, MPI_COMM_WORLD, SPLIT_VAL, 2, 3, &r, &e) == 0, "read: %s", e.msg);
    EXPECT(rows_match(&g[SPLIT_VAL], 2, &r), "image rows differ");
    dataset_rows_free(&r);
    free_splits(g);
    remove(path);
}

/* ---- malformed files: a good file, then one change with the HDF5 API ---- */

/* replaces (or creates) the dataset at dpath with a new one of type t */
static int put(hid_t f, const char *dpath, hid_t t, int rank, const hsize_t *dims, const void *buf)
{
    if (H5Lexists(f, dpath, H5P_DEFAULT) > 0 && H5Ldelete(f, dpath, H5P_DEFAULT) < 0) return -1;
    hid_t sp = H5Screate_simple(rank, dims, NULL);
    hid_t d = H5Dcreate2(f, dpath, t, sp, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    int rc = sp < 0 || d < 0 ? -1 : 0;
    if (rc == 0 && buf) rc = H5Dwrite(d, t, H5S_ALL, H5S_ALL, H5P_DEFAULT, buf) < 0 ? -1 : 0;
    if (d >= 0) H5Dclose(d);
    if (sp >= 0) H5Sclose(sp);
    return rc;
}

/* reads a whole int32 [n] dataset (n rows) into a new array */
static int32_t *get_labels(hid_t f, const char *dpath, int64_t n)
{
    int32_t *v = malloc((size_t)n * sizeof *v);
    hid_t d = H5Dopen2(f, dpath, H5P_DEFAULT);
    if (!v || d < 0 || H5Dread(d, H5T_NATIVE_INT32, H5S_ALL, H5S_ALL, H5P_DEFAULT, v) < 0) {
        free(v);
        v = NULL;
    }
    if (d >= 0) H5Dclose(d);
    return v;
}

/* the small synth file's sizes (small_opts) */
enum { NT = 200, NV = 40, NS = 42, DD = 6 };

static int put_attr_int(hid_t f, const char *name, hid_t t, long long v)
{
    if (H5Aexists(f, name) > 0 && H5Adelete(f, name) < 0) return -1;
    hid_t sp = H5Screate(H5S_SCALAR), a = H5Acreate2(f, name, t, sp, H5P_DEFAULT, H5P_DEFAULT);
    int rc = sp < 0 || a < 0 || H5Awrite(a, H5T_NATIVE_LLONG, &v) < 0 ? -1 : 0;
    if (a >= 0) H5Aclose(a);
    if (sp >= 0) H5Sclose(sp);
    return rc;
}

/* a fixed-length, space-padded string attribute (as some writers make) */
static int put_attr_fixed(hid_t f, const char *name, const char *v)
{
    if (H5Aexists(f, name) > 0 && H5Adelete(f, name) < 0) return -1;
    hid_t t = H5Tcopy(H5T_C_S1);
    int rc = t < 0 || H5Tset_size(t, strlen(v)) < 0 || H5Tset_strpad(t, H5T_STR_SPACEPAD) < 0 ? -1 : 0;
    hid_t sp = H5Screate(H5S_SCALAR);
    hid_t a = rc == 0 ? H5Acreate2(f, name, t, sp, H5P_DEFAULT, H5P_DEFAULT) : -1;
    if (a < 0 || H5Awrite(a, t, v) < 0) rc = -1;
    if (a >= 0) H5Aclose(a);
    if (sp >= 0) H5Sclose(sp);
    if (t >= 0) H5Tclose(t);
    return rc;
}

/* sets label[row] of a dataset */
static int set_label(hid_t f, const char *dpath, int64_t n, int64_t row, int32_t v)
{
    int32_t *l = get_labels(f, dpath, n);
    if (!l) return -1;
    l[row] = v;
    hsize_t dims[1] = {(hsize_t)n};
    int rc = put(f, dpath, H5T_NATIVE_INT32, 1, dims, l);
    free(l);
    return rc;
}

/* empties group (y=1, a=0) of split sn (n rows) by moving its rows to a=1 */
static int empty_group(hid_t f, const char *sn, int64_t n)
{
    char yp[32], ap[32];
    snprintf(yp, sizeof yp, "/%s/y", sn);
    snprintf(ap, sizeof ap, "/%s/a", sn);
    int32_t *y = get_labels(f, yp, n), *a = get_labels(f, ap, n);
    int rc = -1;
    if (y && a) {
        for (int64_t i = 0; i < n; i++)
            if (y[i] == 1 && a[i] == 0) a[i] = 1;
        hsize_t dims[1] = {(hsize_t)n};
        rc = put(f, ap, H5T_NATIVE_INT32, 1, dims, a);
    }
    free(y);
    free(a);
    return rc;
}

/* one change per case; returns 0 when the change was made */
static int mutate(hid_t f, int which)
{
    hsize_t d2[2], d3[3], d1[1];
    switch (which) {
    case 0: return H5Ldelete(f, "/train/y", H5P_DEFAULT) < 0 ? -1 : 0;
    case 1: d2[0] = NT, d2[1] = 3; return put(f, "/train/y", H5T_NATIVE_FLOAT, 2, d2, NULL);
    case 2: d3[0] = NT, d3[1] = 2, d3[2] = 3; return put(f, "/train/X", H5T_NATIVE_FLOAT, 3, d3, NULL);
    case 3: d2[0] = NT, d2[1] = DD; return put(f, "/train/X", H5T_C_S1, 2, d2, NULL);
    case 4: d1[0] = NT - 1; return put(f, "/train/y", H5T_NATIVE_INT32, 1, d1, NULL);
    case 5: return set_label(f, "/train/y", NT, 12, 5);
    case 6: return set_label(f, "/val/a", NV, 12, 7);
    case 7: return empty_group(f, "val", NV);
    case 8: return empty_group(f, "test", NS);
    case 9: return H5Adelete(f, "n_classes") < 0 ? -1 : 0;
    case 10: d2[0] = NV, d2[1] = DD + 1; return put(f, "/val/X", H5T_NATIVE_FLOAT, 2, d2, NULL);
    case 11: return put_attr_int(f, "n_classes", H5T_STD_I64LE, 0);
    case 12: return put_attr_int(f, "n_attrs", H5T_STD_I32LE, 40);
    case 13: return H5Ldelete(f, "/test", H5P_DEFAULT) < 0 ? -1 : 0;
    case 14: d2[0] = NT, d2[1] = DD; return put(f, "/train/X", H5T_IEEE_F64LE, 2, d2, NULL);
    case 15: d1[0] = NV; return put(f, "/val/a", H5T_STD_U32LE, 1, d1, NULL);
    case 16: d1[0] = NS - 2; return put(f, "/test/a", H5T_NATIVE_INT32, 1, d1, NULL);
    case 17: return put_attr_int(f, "name", H5T_STD_I32LE, 3);
    case 18: d2[0] = NV, d2[1] = 0; return put(f, "/val/X", H5T_NATIVE_FLOAT, 2, d2, NULL);
    case 19:
        d2[0] = 0, d2[1] = DD, d1[0] = 0;
        return put(f, "/train/X", H5T_NATIVE_FLOAT, 2, d2, NULL) ||
               put(f, "/train/y", H5T_NATIVE_INT32, 1, d1, NULL) ||
               put(f, "/train/a", H5T_NATIVE_INT32, 1, d1, NULL);
    case 20: return H5Ldelete(f, "/val/X", H5P_DEFAULT) < 0 ? -1 : 0;
    case 21:   /* declared, never written: reads as 2^33 zeros (was a hang) */
        d2[0] = (hsize_t)1 << 33, d2[1] = DD, d1[0] = (hsize_t)1 << 33;
        return put(f, "/train/X", H5T_NATIVE_FLOAT, 2, d2, NULL) ||
               put(f, "/train/y", H5T_NATIVE_INT32, 1, d1, NULL) ||
               put(f, "/train/a", H5T_NATIVE_INT32, 1, d1, NULL);
    }
    return -1;
}

/* the expected message fragment of each case (after "<file>") */
static const char *const bad_msgs[] = {
    ":/train/y: missing (expected integers [n])",
    ":/train/y: expected integers [n], found float32 [n, 3]",
    ":/train/X: expected numbers (any float or integer type) [n, d] or [n, c, h, w], found float32 [n, 2, 3]",
    ":/train/X: expected numbers (any float or integer type) [n, d] or [n, c, h, w], found string [n, 6]",
    ":/train: X has 200 rows but y has 199",
    ":/train/y: value 5 at row 12 out of range 0..1",
    ":/val/a: value 7 at row 12 out of range 0..1",
    ":/val: group (y=1, a=0) is empty; every group needs val and test rows",
    ":/test: group (y=1, a=0) is empty; every group needs val and test rows",
    ":/: attribute n_classes: missing (expected an integer >= 1)",
    ":/val/X: expected float32 [n, 6] (the per-row shape of /train/X), found float32 [n, 7]",
    ":/: attribute n_classes: expected an integer >= 1, found 0",
    ":/: n_classes * n_attrs = 2 * 40: more than 64 groups",
    ":/test: missing (expected a group with X, y and a)",
    /* float64 X and uint32 labels are read (converted): these two are only unwritten */
    ":/train/X: 200 rows declared but none written (storage not allocated)",
    ":/val/a: 40 rows declared but none written (storage not allocated)",
    ":/test: X has 42 rows but a has 40",
    ":/: attribute name: expected a string, found int32",
    ":/val/X: expected numbers (any float or integer type) [n, d] or [n, c, h, w], found float32 [n, 0]",
    ":/train: no rows",
    ":/val/X: missing (expected numbers (any float or integer type) [n, d] or [n, c, h, w])",
    ":/train/X: 8589934592 rows declared but none written (storage not allocated)",
};
#define N_BAD ((int)(sizeof bad_msgs / sizeof bad_msgs[0]))

/* writes the small synth file to path and applies fn(file, which) */
static int make_file(const char *path, int (*fn)(hid_t, int), int which)
{
    synth_opts o = small_opts();
    dataset_info gi;
    dataset_rows g[N_SPLITS];
    dett_err e = {{0}};
    if (synth_generate(&o, &gi, g, &e) != 0) return -1;
    int rc = dataset_write(path, &gi, g, &e);
    free_splits(g);
    if (rc != 0 || !fn) return rc;
    hid_t f = H5Fopen(path, H5F_ACC_RDWR, H5P_DEFAULT);
    if (f < 0) return -1;
    rc = fn(f, which);
    if (H5Fclose(f) < 0) rc = -1;
    return rc;
}

/* attributes as other writers make them (int64 counts, fixed-length text) */
static int h5py_like(hid_t f, int which)
{
    (void)which;
    return put_attr_int(f, "n_classes", H5T_STD_I64LE, 2) || put_attr_int(f, "n_attrs", H5T_STD_I64LE, 2) ||
           put_attr_fixed(f, "name", "fixed name") || H5Adelete(f, "license") < 0;
}

static void test_refused(void)
{
    dataset_info info;
    dett_err e = {{0}};
    char path[64];
    for (int k = 0; k < N_BAD; k++) {
        snprintf(path, sizeof path, PFX "bad%02d.h5", k);
        EXPECT(make_file(path, mutate, k) == 0, "case %d: could not build the file", k);
        memset(&e, 0, sizeof e);
        int rc = dataset_open(path, MPI_COMM_WORLD, &info, &e);
        EXPECT(rc == -1, "case %d: accepted", k);
        EXPECT(strncmp(e.msg, path, strlen(path)) == 0 && strstr(e.msg, bad_msgs[k]),
               "case %d: message '%s', expected '%s%s'", k, e.msg, path, bad_msgs[k]);
        remove(path);
    }

    /* not an HDF5 file; no file at all */
    const char *txt = PFX "text.h5";
    FILE *f = fopen(txt, "w");
    EXPECT(f != NULL, "cannot write %s", txt);
    if (f) {
        fputs("this is not an HDF5 file\n", f);
        fclose(f);
    }
    EXPECT(dataset_open(txt, MPI_COMM_WORLD, &info, &e) == -1 &&
           strcmp(e.msg, PFX "text.h5: not an HDF5 file") == 0, "text file: %s", e.msg);
    remove(txt);
    EXPECT(dataset_open(PFX "missing.h5", MPI_COMM_WORLD, &info, &e) == -1 &&
           strstr(e.msg, PFX "missing.h5: cannot open: No such file"), "missing file: %s", e.msg);

    /* h5py-style attributes are accepted; missing text attributes are "" */
    snprintf(path, sizeof path, PFX "h5pylike.h5");
    EXPECT(make_file(path, h5py_like, 0) == 0, "could not build %s", path);
    EXPECT(dataset_open(path, MPI_COMM_WORLD, &info, &e) == 0, "h5py-like: %s", e.msg);
    EXPECT(strcmp(info.name, "fixed name") == 0 && info.license[0] == '\0' && info.n_classes == 2,
           "h5py-like attributes: name '%s', license '%s'", info.name, info.license);
    remove(path);
}

/* `dett data`: a good run, usage errors (exit 2, no file), a failed write */
static void test_cmd_data(void)
{
    const char *path = PFX "cmd.h5";
    remove(path);
    char *good[] = {"data", "synth", "-o", (char *)path, "--n-train", "200", "--n-val", "40",
                    "--n-test=42", "--d-core", "3", "--d-spurious", "2", "--d-noise", "1",
                    "--seed", "7", NULL};
    EXPECT(cmd_data(17, good) == 0, "good run failed");
    dataset_info info, gi;
    dett_err e = {{0}};
    EXPECT(dataset_open(path, MPI_COMM_WORLD, &info, &e) == 0, "cmd output: %s", e.msg);
    EXPECT(info.n[0] == 200 && info.n[1] == 40 && info.n[2] == 42 && info.d == 6, "cmd sizes");
    /* the same options through the library give the same rows */
    synth_opts o = small_opts();
    dataset_rows g[N_SPLITS], r = {0};
    EXPECT(synth_generate(&o, &gi, g, &e) == 0, "synth: %s", e.msg);
    EXPECT(dataset_read(path, MPI_COMM_WORLD, SPLIT_TRAIN, 0, 200, &r, &e) == 0, "read: %s", e.msg);
    EXPECT(rows_match(&g[SPLIT_TRAIN], 0, &r), "cmd data rows differ from synth_generate");
    EXPECT(strcmp(info.description, gi.description) == 0, "description differs");
    dataset_rows_free(&r);
    free_splits(g);

    /* same options, same file bytes (no timestamps in the file) */
    const char *path2 = PFX "cmd2.h5";
    good[3] = (char *)path2;
    EXPECT(cmd_data(17, good) == 0, "second good run failed");
    EXPECT(files_equal(path, path2), "same options gave different file bytes");
    remove(path);
    remove(path2);

    char *help[] = {"data", "--help", NULL};
    EXPECT(cmd_data(2, help) == 0, "--help");
    const char *bad = PFX "cmd_bad.h5";
    char *usage[][8] = {
        {"data", "synth", "-o", (char *)bad, "--bogus", "1", NULL},
        {"data", "synth", "-o", (char *)bad, "--seed", NULL},
        {"data", "synth", "-o", (char *)bad, "--p-maj", "1", NULL},
        {"data", "synth", "-o", (char *)bad, "--p-maj", "0.4", NULL},
        {"data", "synth", "-o", (char *)bad, "--n-val", "0", NULL},
        {"data", "synth", "-o", (char *)bad, "--n-train", "12x", NULL},
        {"data", "synth", "-o", (char *)bad, "--sigma-c", "0", NULL},
        {"data", "synth", "--n-train", "10", NULL},
        {"data", "synth", "-o", (char *)bad, "--seed", "1", "--seed", "2"},
        {"data", "synth", "-o", (char *)bad, "extra", NULL},
        {"data", "mnist", "-o", (char *)bad, NULL},
        {"data", NULL},
    };
    const int n_usage = (int)(sizeof usage / sizeof usage[0]);
    for (int k = 0; k < n_usage; k++) {
        int argc = 0;
        while (argc < 8 && usage[k][argc]) argc++;
        EXPECT(cmd_data(argc, usage[k]) == 2, "usage case %d not refused with 2", k);
        EXPECT(!file_exists(bad), "usage case %d created a file", k);
    }
    char *nodir[] = {"data", "synth", "-o", "no_such_dir_xyz/out.h5", NULL};
    EXPECT(cmd_data(4, nodir) == 1, "write into a missing directory must exit 1");
}

int main(int argc, char **argv)
{
    MPI_Init(&argc, &argv);
    test_synth();
    test_roundtrip();
    test_image_shape();
    test_refused();
    test_cmd_data();
    int rc = TEST_END();
    MPI_Finalize();
    return rc;
}
