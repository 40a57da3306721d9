/* teacher_file.c - reading and checking external teacher files (see teacher_file.h). */
#include "teacher_file.h"
#include "h5attr.h"
#include "results_format.h"
#include "rowblock.h"
#include <hdf5.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define TEACHER_DIGEST_VERSION "dett-teacher-digest/1\n"
#define BLOCK_ROWS_BYTES ((size_t)4 << 20)   /* bytes of values per HDF5 read */

static const char *const feat_names[N_SPLITS] = { TF_D_TRAIN_FEATURES, TF_D_VAL_FEATURES,
                                                  TF_D_TEST_FEATURES };

/* HDF5's automatic error printing off for the duration of a call */
typedef struct {
    H5E_auto2_t func;
    void *data;
    int saved;
} h5quiet;

static void quiet_on(h5quiet *q)
{
    q->saved = H5Eget_auto2(H5E_DEFAULT, &q->func, &q->data) >= 0;
    if (q->saved) H5Eset_auto2(H5E_DEFAULT, NULL, NULL);
}

static void quiet_off(const h5quiet *q)
{
    if (q->saved) H5Eset_auto2(H5E_DEFAULT, q->func, q->data);
}

/* "[2, 64]" of dims[0..rank) */
static void dims_text(const hsize_t *dims, int rank, char *out, size_t n)
{
    int k = snprintf(out, n, "[");
    for (int i = 0; i < rank && k > 0 && (size_t)k < n; i++)
        k += snprintf(out + k, n - (size_t)k, "%s%llu", i ? ", " : "", (unsigned long long)dims[i]);
    if (k > 0 && (size_t)k < n) snprintf(out + k, n - (size_t)k, "]");
}

/* 1 if the dataset at absolute path name ("/val/features") exists; its
 * parent group is looked up first (H5Lexists fails on a missing parent) */
static int path_exists(hid_t f, const char *name)
{
    char parent[64];
    snprintf(parent, sizeof parent, "%s", name + 1);
    char *slash = strchr(parent, '/');
    if (slash) {
        *slash = '\0';
        if (H5Lexists(f, parent, H5P_DEFAULT) <= 0) return 0;
    }
    return H5Lexists(f, name + 1, H5P_DEFAULT) > 0;
}

/* Checks that dataset name of f is a float array of rank `rank` and puts
 * its dimensions into dims; expect is the shape to print ("[n, f]").
 * Returns 1 if present, 0 if absent and optional, -1 on error. */
static int float_dims(hid_t f, const char *path, const char *name, int rank, const char *expect,
                      int optional, hsize_t *dims, dett_err *e)
{
    int ex = path_exists(f, name);
    if (!ex) {
        if (optional) return 0;
        return dett_fail(e, "%s:%s: missing (expected float32 %s)", path, name, expect);
    }
    hid_t d = H5Dopen2(f, name, H5P_DEFAULT), t = -1, s = -1;
    int rc = -1;
    if (d < 0) return dett_fail(e, "%s:%s: cannot open (expected a float32 %s dataset)", path,
                                name, expect);
    if ((t = H5Dget_type(d)) < 0 || (s = H5Dget_space(d)) < 0) {
        dett_fail(e, "%s:%s: cannot read its type or extent", path, name);
        goto out;
    }
    int r = H5Sget_simple_extent_ndims(s);
    hsize_t got[H5S_MAX_RANK];
    if (r < 0 || H5Sget_simple_extent_dims(s, got, NULL) < 0) {
        dett_fail(e, "%s:%s: cannot read its extent", path, name);
        goto out;
    }
    if (H5Tget_class(t) != H5T_FLOAT || r != rank) {
        char tn[32], dn[96];
        h5attr_type_name(t, tn, sizeof tn);
        dims_text(got, r, dn, sizeof dn);
        dett_fail(e, "%s:%s: expected float32 %s, found %s %s", path, name, expect, tn, dn);
        goto out;
    }
    memcpy(dims, got, sizeof(hsize_t) * (size_t)rank);
    rc = 1;
out:
    if (s >= 0) H5Sclose(s);
    if (t >= 0) H5Tclose(t);
    H5Dclose(d);
    return rc;
}

static int is_hex64(const char *s)
{
    if (strlen(s) != 64) return 0;
    for (const char *p = s; *p; p++)
        if (!((*p >= '0' && *p <= '9') || (*p >= 'a' && *p <= 'f'))) return 0;
    return 1;
}

/* the checks of teacher_file_open on an open file */
static int check_layout(hid_t f, const char *path, teacher_file_info *t, dett_err *e)
{
    char where[600], fmt[64];
    long long ver = 0;
    hsize_t w[2], b[1], x[2];
    snprintf(where, sizeof where, "%s:/", path);
    memset(t, 0, sizeof *t);
    if (h5attr_get_text(f, TF_A_FORMAT, fmt, sizeof fmt, H5ATTR_TRUNCATE, where, e) ||
        strcmp(fmt, TF_FORMAT_NAME) != 0) {
        return dett_fail(e, "%s: not a dett teacher file (root attribute %s must be \"%s\"; "
                         "scripts/teacher_from_torch.py writes one)", path, TF_A_FORMAT,
                         TF_FORMAT_NAME);
    }
    if (h5attr_get_int(f, TF_A_FORMAT_VERSION, 1, 1000000, &ver, where, e)) return -1;
    if (ver > TF_FORMAT_VERSION)
        return dett_fail(e, "%s: teacher file format_version %lld is newer than this dett's "
                         "(%d): read it with a newer dett", path, ver, TF_FORMAT_VERSION);
    if (h5attr_get_text(f, TF_A_LABEL_DIGEST, t->label_digest, sizeof t->label_digest,
                        H5ATTR_EXACT, where, e))
        return -1;
    if (!is_hex64(t->label_digest))
        return dett_fail(e, "%s: attribute %s: expected 64 lowercase hex digits, found '%s'",
                         path, TF_A_LABEL_DIGEST, t->label_digest);
    if (float_dims(f, path, TF_D_HEAD_W, 2, "[C, f]", 0, w, e) < 0) return -1;
    if (float_dims(f, path, TF_D_HEAD_B, 1, "[C]", 0, b, e) < 0) return -1;
    if (w[0] < 1 || w[1] < 1 || w[0] > DATASET_MAX_GROUPS || w[1] > (1u << 24))
        return dett_fail(e, "%s:%s: expected float32 [C, f] with 1 <= C <= %d and 1 <= f, "
                         "found [%llu, %llu]", path, TF_D_HEAD_W, DATASET_MAX_GROUPS,
                         (unsigned long long)w[0], (unsigned long long)w[1]);
    if (b[0] != w[0])
        return dett_fail(e, "%s:%s: expected float32 [%llu] (C of %s), found [%llu]", path,
                         TF_D_HEAD_B, (unsigned long long)w[0], TF_D_HEAD_W,
                         (unsigned long long)b[0]);
    t->n_classes = (int)w[0];
    t->feat_dim = (int)w[1];
    for (int s = 0; s < N_SPLITS; s++) {
        int has = float_dims(f, path, feat_names[s], 2, "[n, f]", s != SPLIT_TRAIN, x, e);
        if (has < 0) return -1;
        t->n[s] = -1;
        if (!has) continue;
        if (x[1] != w[1])
            return dett_fail(e, "%s:%s: expected float32 [n, %d] (f of %s), found [%llu, %llu]",
                             path, feat_names[s], t->feat_dim, TF_D_HEAD_W,
                             (unsigned long long)x[0], (unsigned long long)x[1]);
        t->n[s] = (int64_t)x[0];
    }
    return 0;
}

int teacher_file_open(const char *path, teacher_file_info *info, dett_err *e)
{
    h5quiet q;
    quiet_on(&q);
    hid_t f = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT);
    int rc = -1;
    if (f < 0) dett_fail(e, "%s: cannot open as HDF5 (a dett teacher file is expected)", path);
    else rc = check_layout(f, path, info, e);
    if (f >= 0) H5Fclose(f);
    quiet_off(&q);
    return rc;
}

/* ---- hashing ------------------------------------------------------------------ */

static int md_feed(EVP_MD_CTX *md, const void *p, size_t n)
{
    return EVP_DigestUpdate(md, p, n) == 1 ? 0 : -1;
}

static int md_hex(EVP_MD_CTX *md, char hex[TEACHER_DIGEST_HEX])
{
    unsigned char out[EVP_MAX_MD_SIZE];
    unsigned int len = 0;
    if (EVP_DigestFinal_ex(md, out, &len) != 1 || len != 32) return -1;
    for (unsigned i = 0; i < len; i++) snprintf(hex + 2 * i, 3, "%02x", out[i]);
    return 0;
}

/* rowblock_each's callback: feeds one block of values to the digest ctx */
static int md_block(void *ctx, const void *block, size_t n) { return md_feed(ctx, block, n); }

/* reads every value of 1-D or 2-D dataset name of f as mtype, in blocks of
 * rows, and feeds them to md; optional header "<name> f32le [dims]\n" */
static int feed_values(EVP_MD_CTX *md, hid_t f, const char *path, const char *name, hid_t mtype,
                       int header, dett_err *e)
{
    rowblock rb;
    CHECK(rowblock_open(&rb, f, name, path, name, NULL, e));
    if (rb.rank < 1 || rb.rank > 2) {
        dett_fail(e, "%s:%s: expected a 1-D or 2-D dataset", path, name);
        goto fail;
    }
    if (header) {
        char head[160], dn[96];
        dims_text(rb.dims, rb.rank, dn, sizeof dn);
        snprintf(head, sizeof head, "%s f32le %s\n", name + 1, dn);
        if (md_feed(md, head, strlen(head))) goto sha;
    }
    int st = rowblock_each(&rb, mtype, BLOCK_ROWS_BYTES, md_block, md, e);
    if (st > 0) goto sha;
    CHECK(st);
    rowblock_close(&rb);
    return 0;
sha:
    dett_fail(e, "%s: sha256 failed", path);
fail:
    rowblock_close(&rb);
    return -1;
}

int teacher_label_digest(const char *data_path, char hex[TEACHER_DIGEST_HEX], dett_err *e)
{
    static const char *const splits[N_SPLITS] = DF_SPLIT_NAMES;
    h5quiet q;
    quiet_on(&q);
    EVP_MD_CTX *md = EVP_MD_CTX_new();
    hid_t f = H5Fopen(data_path, H5F_ACC_RDONLY, H5P_DEFAULT);
    int rc = -1;
    if (f < 0) {
        dett_fail(e, "%s: cannot open to compute its label digest", data_path);
        goto out;
    }
    if (!md || EVP_DigestInit_ex(md, EVP_sha256(), NULL) != 1 ||
        md_feed(md, TF_LABEL_DIGEST_MAGIC, strlen(TF_LABEL_DIGEST_MAGIC))) {
        dett_fail(e, "%s: sha256 failed", data_path);
        goto out;
    }
    for (int s = 0; s < N_SPLITS; s++) {
        char y[32], a[32];
        snprintf(y, sizeof y, "/%s/%s", splits[s], DF_D_Y);
        snprintf(a, sizeof a, "/%s/%s", splits[s], DF_D_A);
        hid_t d = H5Dopen2(f, y, H5P_DEFAULT), sp = d >= 0 ? H5Dget_space(d) : -1;
        hssize_t n = sp >= 0 ? H5Sget_simple_extent_npoints(sp) : -1;
        if (sp >= 0) H5Sclose(sp);
        if (d >= 0) H5Dclose(d);
        if (n < 0) {
            dett_fail(e, "%s:%s: cannot read its extent", data_path, y);
            goto out;
        }
        unsigned char le[8];
        for (int k = 0; k < 8; k++) le[k] = (unsigned char)(((uint64_t)n >> (8 * k)) & 0xffu);
        if (md_feed(md, le, 8)) {
            dett_fail(e, "%s: sha256 failed", data_path);
            goto out;
        }
        if (feed_values(md, f, data_path, y, H5T_STD_I32LE, 0, e) ||
            feed_values(md, f, data_path, a, H5T_STD_I32LE, 0, e))
            goto out;
    }
    if (md_hex(md, hex)) dett_fail(e, "%s: sha256 failed", data_path);
    else rc = 0;
out:
    if (f >= 0) H5Fclose(f);
    EVP_MD_CTX_free(md);
    quiet_off(&q);
    return rc;
}

int teacher_file_digest(const char *path, char hex[TEACHER_DIGEST_HEX], dett_err *e)
{
    static const char *const order[] = { TF_D_TRAIN_FEATURES, TF_D_VAL_FEATURES,
                                         TF_D_TEST_FEATURES, TF_D_HEAD_W, TF_D_HEAD_B };
    teacher_file_info t;
    h5quiet q;
    if (teacher_file_open(path, &t, e)) return -1;
    quiet_on(&q);
    EVP_MD_CTX *md = EVP_MD_CTX_new();
    hid_t f = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT);
    int rc = -1;
    if (f < 0) {
        dett_fail(e, "%s: cannot open", path);
        goto out;
    }
    if (!md || EVP_DigestInit_ex(md, EVP_sha256(), NULL) != 1 ||
        md_feed(md, TEACHER_DIGEST_VERSION, strlen(TEACHER_DIGEST_VERSION)) ||
        md_feed(md, t.label_digest, 64) || md_feed(md, "\n", 1)) {
        dett_fail(e, "%s: sha256 failed", path);
        goto out;
    }
    for (int i = 0; i < 5; i++) {
        if (i == SPLIT_VAL && t.n[SPLIT_VAL] < 0) continue;
        if (i == SPLIT_TEST && t.n[SPLIT_TEST] < 0) continue;
        if (feed_values(md, f, path, order[i], H5T_IEEE_F32LE, 1, e)) goto out;
    }
    if (md_hex(md, hex)) dett_fail(e, "%s: sha256 failed", path);
    else rc = 0;
out:
    if (f >= 0) H5Fclose(f);
    EVP_MD_CTX_free(md);
    quiet_off(&q);
    return rc;
}

int teacher_file_check(const char *path, const teacher_file_info *t, const char *data_path,
                       const dataset_info *di, dett_err *e)
{
    char hex[TEACHER_DIGEST_HEX];
    if (t->n_classes != di->n_classes)
        return dett_fail(e, "%s:%s: the teacher's head has %d classes but the data file %s has "
                         "%d", path, TF_D_HEAD_W, t->n_classes, data_path, di->n_classes);
    for (int s = 0; s < N_SPLITS; s++)
        if (t->n[s] >= 0 && t->n[s] != di->n[s])
            return dett_fail(e, "%s:%s: %lld rows, but %s has %lld %s rows: the teacher file "
                             "is for other data (its features must follow the data file's "
                             "rows, in order)", path, feat_names[s], (long long)t->n[s],
                             data_path, (long long)di->n[s], dataset_split_names[s]);
    if (teacher_label_digest(data_path, hex, e)) return -1;
    if (strcmp(hex, t->label_digest) != 0)
        return dett_fail(e, "%s: made for other data: its label_digest %.12s... is not the "
                         "digest of %s's labels (%.12s...): the same rows with the same y and a, "
                         "in the same order, are needed (scripts/teacher_from_torch.py computes "
                         "it from the data file)", path, t->label_digest, data_path, hex);
    return 0;
}

/* ---- reading -------------------------------------------------------------------- */

/* rows [row0, row0 + n) of a dataset with `cols` columns (rank 2; rank 1
 * when cols == 0) as float32 into out */
static int read_rows(const char *path, const char *name, int64_t row0, int64_t n, int cols,
                     float *out, dett_err *e)
{
    h5quiet q;
    quiet_on(&q);
    hid_t f = -1;
    rowblock rb;
    rowblock_init(&rb);
    CHECK_H5(e, f = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT), "%s: cannot open", path);
    CHECK(rowblock_open(&rb, f, name, path, name, NULL, e));
    if (rb.rank != (cols ? 2 : 1) || (cols && rb.dims[1] != (hsize_t)cols)) {
        dett_fail(e, "%s:%s: expected %d columns (the file changed since it was checked?)", path,
                  name, cols ? cols : 1);
        goto fail;
    }
    if (n > 0) CHECK(rowblock_read(&rb, H5T_NATIVE_FLOAT, H5P_DEFAULT, (hsize_t)row0, (hsize_t)n,
                                   out, e));
    rowblock_close(&rb);
    CHECK_H5(e, H5Fclose(f), "%s: cannot close", path);
    quiet_off(&q);
    return 0;
fail:
    rowblock_close(&rb);
    if (f >= 0) H5Fclose(f);
    quiet_off(&q);
    return -1;
}

/* rejects a NaN or infinite value (the head or a feature row) */
static int all_finite(const char *path, const char *name, const float *v, size_t n,
                      int64_t row0, int cols, dett_err *e)
{
    for (size_t i = 0; i < n; i++)
        if (!(v[i] - v[i] == 0.0f)) {
            if (cols)
                return dett_fail(e, "%s:%s: row %lld has a non-finite value", path, name,
                                 (long long)(row0 + (int64_t)(i / (size_t)cols)));
            return dett_fail(e, "%s:%s: a non-finite value at %zu", path, name, i);
        }
    return 0;
}

int teacher_file_read_head(const char *path, const teacher_file_info *t, float *wb, dett_err *e)
{
    const int C = t->n_classes, f = t->feat_dim;
    if (read_rows(path, TF_D_HEAD_W, 0, C, f, wb, e) ||
        read_rows(path, TF_D_HEAD_B, 0, C, 0, wb + (size_t)C * f, e))
        return -1;
    if (all_finite(path, TF_D_HEAD_W, wb, (size_t)C * f, 0, 0, e) ||
        all_finite(path, TF_D_HEAD_B, wb + (size_t)C * f, (size_t)C, 0, 0, e))
        return -1;
    return 0;
}

int teacher_file_read_rows(const char *path, const teacher_file_info *t, int split, int64_t row0,
                           int64_t n, float *out, dett_err *e)
{
    if (split < 0 || split >= N_SPLITS || t->n[split] < 0)
        return dett_fail(e, "%s: has no %s features", path,
                         split >= 0 && split < N_SPLITS ? dataset_split_names[split] : "?");
    if (row0 < 0 || n < 0 || row0 + n > t->n[split])
        return dett_fail(e, "%s:%s: rows %lld..%lld out of range (%lld rows)", path,
                         feat_names[split], (long long)row0, (long long)(row0 + n),
                         (long long)t->n[split]);
    if (read_rows(path, feat_names[split], row0, n, t->feat_dim, out, e)) return -1;
    return all_finite(path, feat_names[split], out, (size_t)n * (size_t)t->feat_dim, row0,
                      t->feat_dim, e);
}
