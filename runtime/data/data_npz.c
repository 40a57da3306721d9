/* data_npz.c - numpy arrays in (see data_npz.h).
 *
 * The .npy format (numpy's NEP 1): the magic "\x93NUMPY", a major and a
 * minor version byte, the header length (2 bytes little-endian in version 1,
 * 4 bytes in versions 2 and 3), then the header: a Python dict literal
 * {'descr': '<f4', 'fortran_order': False, 'shape': (3, 4), } padded with
 * spaces and ended by a newline; then the values, exactly prod(shape) items.
 * A .npz is a zip archive (stored or deflated) of such files; libzip reads it.
 */
#define _POSIX_C_SOURCE 200809L
#include "data_npz.h"
#include "data_builders.h"
#include "rng.h"
#include <dirent.h>
#include <errno.h>
#include <float.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zip.h>

#define NPZ_MAX_ARRAYS 12
#define NPZ_MAX_BYTES ((int64_t)1 << 34)    /* one array, uncompressed: 16 GB */
#define NPY_MAX_HEADER 65536

enum { DRAW_GROUP = 1 };

npz_opts npz_defaults(void)
{
    npz_opts o;
    memset(&o, 0, sizeof o);
    o.val_frac = o.test_frac = -1;   /* not given: 0.2 each in one-set mode */
    return o;
}

int npz_check(const npz_opts *o, dett_err *e)
{
    if (!o->path || !*o->path)
        return dett_fail(e, "%s: the %s is required", o->dir ? "npy" : "npz",
                         o->dir ? "directory of .npy files" : ".npz file");
    if ((o->val_frac >= 0) != (o->test_frac >= 0))
        return dett_fail(e, "npz: give both --val-frac and --test-frac, or neither");
    if (o->val_frac >= 0 && o->val_frac + o->test_frac >= 1)
        return dett_fail(e, "npz: --val-frac + --test-frac must be < 1");
    return 0;
}

void npy_free(npy_array *a)
{
    if (!a) return;
    free(a->v);
    memset(a, 0, sizeof *a);
}

/* Messages quote entry names and header text, which may hold newlines or
 * other control bytes: each becomes '?', so a message stays one line. */
static void one_line(dett_err *e)
{
    for (char *p = e->msg; *p; p++)
        if ((unsigned char)*p < 32 || *p == 127) *p = '?';
}

/* ---- the .npy header ---------------------------------------------------- */

typedef struct {
    const char *p, *end;
} cursor;

static void skip_ws(cursor *c)
{
    while (c->p < c->end && (*c->p == ' ' || *c->p == '\t' || *c->p == '\n' || *c->p == '\r'))
        c->p++;
}

static int accept(cursor *c, char ch)
{
    skip_ws(c);
    if (c->p < c->end && *c->p == ch) {
        c->p++;
        return 1;
    }
    return 0;
}

/* a quoted Python string (no escapes) into out[n]; 0 or -1 */
static int parse_str(cursor *c, char *out, size_t n)
{
    skip_ws(c);
    if (c->p >= c->end || (*c->p != '\'' && *c->p != '"')) return -1;
    char q = *c->p++;
    size_t k = 0;
    while (c->p < c->end && *c->p != q) {
        if (*c->p == '\\' || k + 1 >= n) return -1;
        out[k++] = *c->p++;
    }
    if (c->p >= c->end) return -1;
    c->p++;
    out[k] = '\0';
    return 0;
}

/* dtype: byte order, kind, item size */
typedef struct {
    int big;        /* bytes stored big-endian */
    char kind;      /* 'f', 'i', 'u', 'b' */
    int size;
} npy_dtype;

static int parse_dtype(const char *s, const char *name, npy_dtype *t, dett_err *e)
{
    const char *p = s;
    t->big = 0;
    if (*p == '<' || *p == '|' || *p == '=') p++;
    else if (*p == '>') t->big = 1, p++;
    t->kind = *p ? *p++ : '\0';
    char *end;
    errno = 0;
    long size = strtol(p, &end, 10);
    int sized = end != p && !*end && !errno;
    if (t->kind == 'f' && sized && (size == 4 || size == 8)) { t->size = (int)size; return 0; }
    if ((t->kind == 'i' || t->kind == 'u') && sized &&
        (size == 1 || size == 2 || size == 4 || size == 8)) { t->size = (int)size; return 0; }
    if (t->kind == 'b' && sized && size == 1) { t->size = 1; return 0; }
    if (t->kind == 'f' && sized && size == 2)
        return dett_fail(e, "%s: dtype '%s' (float16) is not supported: store float32 "
                         "(arr.astype(np.float32))", name, s);
    return dett_fail(e, "%s: dtype '%s' is not supported: store a float32/float64, integer or "
                     "bool array", name, s);
}

/* a shape tuple "(3, 4)", "(5,)" or "()" */
static int parse_shape(cursor *c, npy_array *a)
{
    if (!accept(c, '(')) return -1;
    a->rank = 0;
    for (;;) {
        skip_ws(c);
        if (accept(c, ')')) return 0;
        if (c->p >= c->end || *c->p < '0' || *c->p > '9') return -1;
        int64_t v = 0;
        while (c->p < c->end && *c->p >= '0' && *c->p <= '9') {
            if (v > (INT64_MAX - 9) / 10) return -1;
            v = v * 10 + (*c->p++ - '0');
        }
        if (c->p < c->end && *c->p == 'L') c->p++;     /* Python 2's long */
        if (a->rank == NPY_MAX_RANK) return -2;
        a->shape[a->rank++] = v;
        if (!accept(c, ',')) {
            if (!accept(c, ')')) return -1;
            return 0;
        }
    }
}

/* the header dict: descr, fortran_order, shape, each exactly once */
static int parse_header(const char *h, size_t n, const char *name, npy_array *a, npy_dtype *t,
                        int *fortran, dett_err *e)
{
    cursor c = { h, h + n };
    int have[3] = { 0, 0, 0 };
    char key[32], descr[64];
    if (!accept(&c, '{'))
        return dett_fail(e, "%s: .npy header is not a dictionary ({...})", name);
    for (;;) {
        if (accept(&c, '}')) break;
        if (parse_str(&c, key, sizeof key))
            return dett_fail(e, "%s: .npy header: expected a quoted key", name);
        if (!accept(&c, ':'))
            return dett_fail(e, "%s: .npy header: expected ':' after '%s'", name, key);
        int k = !strcmp(key, "descr") ? 0 : !strcmp(key, "fortran_order") ? 1
              : !strcmp(key, "shape") ? 2 : -1;
        if (k < 0) return dett_fail(e, "%s: .npy header: unknown key '%s'", name, key);
        if (have[k]++) return dett_fail(e, "%s: .npy header: key '%s' twice", name, key);
        if (k == 0) {
            skip_ws(&c);
            if (c.p < c.end && *c.p == '[')
                return dett_fail(e, "%s: a structured dtype is not supported: store one array "
                                 "per field", name);
            if (parse_str(&c, descr, sizeof descr))
                return dett_fail(e, "%s: .npy header: 'descr' is not a dtype string", name);
            if (parse_dtype(descr, name, t, e)) return -1;
        } else if (k == 1) {
            skip_ws(&c);
            if ((size_t)(c.end - c.p) >= 4 && !strncmp(c.p, "True", 4)) *fortran = 1, c.p += 4;
            else if ((size_t)(c.end - c.p) >= 5 && !strncmp(c.p, "False", 5)) *fortran = 0, c.p += 5;
            else return dett_fail(e, "%s: .npy header: 'fortran_order' is not True or False", name);
        } else {
            int r = parse_shape(&c, a);
            if (r == -2) return dett_fail(e, "%s: more than %d dimensions", name, NPY_MAX_RANK);
            if (r) return dett_fail(e, "%s: .npy header: 'shape' is not a tuple of integers", name);
        }
        if (!accept(&c, ',')) {
            if (accept(&c, '}')) break;
            return dett_fail(e, "%s: .npy header: expected ',' or '}' after '%s'", name, key);
        }
    }
    skip_ws(&c);
    if (c.p != c.end) return dett_fail(e, "%s: .npy header: text after the dictionary", name);
    if (!have[0] || !have[1] || !have[2])
        return dett_fail(e, "%s: .npy header: missing '%s'", name,
                         !have[0] ? "descr" : !have[1] ? "fortran_order" : "shape");
    return 0;
}

/* item i of raw data as a double */
static double item(const uint8_t *p, const npy_dtype *t)
{
    uint8_t b[8];
    for (int k = 0; k < t->size; k++) b[k] = t->big ? p[t->size - 1 - k] : p[k];
    /* b is now little-endian; assemble the integer bits portably */
    uint64_t u = 0;
    for (int k = t->size - 1; k >= 0; k--) u = (u << 8) | b[k];
    switch (t->kind) {
    case 'f':
        if (t->size == 4) {
            uint32_t w = (uint32_t)u;
            float f;
            memcpy(&f, &w, sizeof f);
            return f;
        } else {
            double d;
            memcpy(&d, &u, sizeof d);
            return d;
        }
    case 'b':
        return u != 0;
    case 'u':
        return (double)u;
    default: {   /* 'i': sign-extend */
        int bits = 8 * t->size;
        if (bits < 64 && (u >> (bits - 1)) & 1) u |= ~(uint64_t)0 << bits;
        return (double)(int64_t)u;
    }
    }
}

static int npy_parse_(const uint8_t *buf, size_t n, const char *name, npy_array *out,
                      dett_err *e);

int npy_parse(const uint8_t *buf, size_t n, const char *name, npy_array *out, dett_err *e)
{
    int rc = npy_parse_(buf, n, name, out, e);
    if (rc) one_line(e);
    return rc;
}

static int npy_parse_(const uint8_t *buf, size_t n, const char *name, npy_array *out,
                      dett_err *e)
{
    memset(out, 0, sizeof *out);
    snprintf(out->name, sizeof out->name, "%s", name);
    if (n < 10 || memcmp(buf, "\x93NUMPY", 6) != 0)
        return dett_fail(e, "%s: not a .npy array (no \\x93NUMPY magic)", name);
    int major = buf[6];
    size_t hlen, off;
    if (major == 1) {
        hlen = (size_t)buf[8] | (size_t)buf[9] << 8;
        off = 10;
    } else if (major == 2 || major == 3) {
        if (n < 12) return dett_fail(e, "%s: .npy file cut short in its preamble", name);
        hlen = (size_t)buf[8] | (size_t)buf[9] << 8 | (size_t)buf[10] << 16 | (size_t)buf[11] << 24;
        off = 12;
    } else {
        return dett_fail(e, "%s: .npy format version %d.%d is not supported (1, 2 or 3)", name,
                         major, buf[7]);
    }
    if (hlen > NPY_MAX_HEADER || hlen > n - off)
        return dett_fail(e, "%s: .npy header length %zu runs past the end of the file", name, hlen);
    for (size_t i = 0; i < hlen; i++)
        if (buf[off + i] == 0 || buf[off + i] > 126)
            return dett_fail(e, "%s: .npy header holds a byte that is not ASCII text", name);
    npy_dtype t = { 0, 'f', 4 };
    int fortran = 0;
    if (parse_header((const char *)buf + off, hlen, name, out, &t, &fortran, e)) return -1;
    off += hlen;
    /* the values: exactly prod(shape) items */
    int64_t count = 1;
    for (int i = 0; i < out->rank; i++) {
        if (out->shape[i] != 0 && count > NPZ_MAX_BYTES / out->shape[i])
            return dett_fail(e, "%s: shape too large", name);
        count *= out->shape[i];
    }
    if (count > NPZ_MAX_BYTES / t.size) return dett_fail(e, "%s: shape too large", name);
    if ((uint64_t)(count * t.size) != (uint64_t)(n - off))
        return dett_fail(e, "%s: the shape needs %lld bytes of values, the file has %zu", name,
                         (long long)(count * t.size), n - off);
    out->count = count;
    out->v = malloc((size_t)(count ? count : 1) * sizeof *out->v);
    if (!out->v) return dett_fail(e, "%s: out of memory for %lld values", name, (long long)count);
    const uint8_t *data = buf + off;
    if (!fortran || out->rank < 2) {
        for (int64_t i = 0; i < count; i++) out->v[i] = item(data + i * t.size, &t);
        return 0;
    }
    /* Fortran order: walk the C-order index, find each item's column-major place */
    int64_t idx[NPY_MAX_RANK] = { 0 }, stride[NPY_MAX_RANK];
    stride[0] = 1;
    for (int j = 1; j < out->rank; j++) stride[j] = stride[j - 1] * out->shape[j - 1];
    for (int64_t i = 0; i < count; i++) {
        int64_t f = 0;
        for (int j = 0; j < out->rank; j++) f += idx[j] * stride[j];
        out->v[i] = item(data + f * t.size, &t);
        for (int j = out->rank - 1; j >= 0 && ++idx[j] == out->shape[j]; j--) idx[j] = 0;
    }
    return 0;
}

/* ---- reading the arrays --------------------------------------------------- */

typedef struct {
    npy_array a[NPZ_MAX_ARRAYS];
    int n;
} npz_set;

static void set_free(npz_set *s)
{
    for (int i = 0; i < s->n; i++) npy_free(&s->a[i]);
    s->n = 0;
}

static const char *const known_names[] = { "X", "y", "a", "split", "X_train", "y_train",
                                           "a_train", "X_val", "y_val", "a_val", "X_test",
                                           "y_test", "a_test", NULL };

/* adds the .npy bytes of entry `entry` (a file name ending .npy) to s */
static int set_add(npz_set *s, const char *where, const char *entry, const uint8_t *buf,
                   size_t n, dett_err *e)
{
    size_t len = strlen(entry);
    char name[64];
    if (len < 5 || strcmp(entry + len - 4, ".npy") != 0 || len - 4 >= sizeof name)
        return dett_fail(e, "%s: entry '%.64s' is not a .npy array", where, entry);
    memcpy(name, entry, len - 4);
    name[len - 4] = '\0';
    int k = 0;
    while (known_names[k] && strcmp(known_names[k], name) != 0) k++;
    if (!known_names[k])
        return dett_fail(e, "%s: unknown array '%s' (arrays: X_train, y_train, a_train, X_val, "
                         "... per split, or X, y, a and optionally split)", where, name);
    for (int i = 0; i < s->n; i++)
        if (!strcmp(s->a[i].name, name))
            return dett_fail(e, "%s: array '%s' appears twice", where, name);
    if (s->n == NPZ_MAX_ARRAYS) return dett_fail(e, "%s: too many arrays", where);
    char label[256];
    snprintf(label, sizeof label, "%s:%s", where, name);
    if (npy_parse(buf, n, label, &s->a[s->n], e)) {
        npy_free(&s->a[s->n]);
        return -1;
    }
    snprintf(s->a[s->n].name, sizeof s->a[s->n].name, "%s", name);
    s->n++;
    return 0;
}

/* every entry of an open zip archive */
static int read_zip(zip_t *z, const char *where, npz_set *s, dett_err *e)
{
    zip_int64_t n = zip_get_num_entries(z, 0);
    if (n < 0) return dett_fail(e, "%s: cannot list the archive", where);
    for (zip_int64_t i = 0; i < n; i++) {
        zip_stat_t st;
        zip_stat_init(&st);
        if (zip_stat_index(z, (zip_uint64_t)i, 0, &st) != 0 || !(st.valid & ZIP_STAT_NAME) ||
            !(st.valid & ZIP_STAT_SIZE))
            return dett_fail(e, "%s: entry %lld: %s", where, (long long)i, zip_strerror(z));
        if (st.size > (zip_uint64_t)NPZ_MAX_BYTES)
            return dett_fail(e, "%s: entry '%.64s': %llu bytes (at most %lld)", where, st.name,
                             (unsigned long long)st.size, (long long)NPZ_MAX_BYTES);
        uint8_t *buf = malloc(st.size ? (size_t)st.size : 1);
        if (!buf) return dett_fail(e, "%s: out of memory for entry '%.64s'", where, st.name);
        zip_file_t *f = zip_fopen_index(z, (zip_uint64_t)i, 0);
        zip_int64_t got = 0;
        if (f) {
            got = zip_fread(f, buf, st.size);
            /* one byte more must be the end: the entry is exactly st.size */
            uint8_t extra;
            if (got == (zip_int64_t)st.size && zip_fread(f, &extra, 1) != 0) got = -1;
        }
        if (!f || got != (zip_int64_t)st.size) {
            dett_fail(e, "%s: entry '%.64s': cannot read it (%s)", where, st.name,
                      f ? zip_file_strerror(f) : zip_strerror(z));
            if (f) zip_fclose(f);
            free(buf);
            return -1;
        }
        zip_fclose(f);
        int rc = set_add(s, where, st.name, buf, (size_t)st.size, e);
        free(buf);
        if (rc) return -1;
    }
    return 0;
}

static int read_npz_file(const char *path, npz_set *s, dett_err *e)
{
    int err = 0;
    zip_t *z = zip_open(path, ZIP_RDONLY | ZIP_CHECKCONS, &err);
    if (!z) {
        zip_error_t ze;
        zip_error_init_with_code(&ze, err);
        dett_fail(e, "%s: cannot open as a .npz (zip) archive: %s", path, zip_error_strerror(&ze));
        zip_error_fini(&ze);
        return -1;
    }
    int rc = read_zip(z, path, s, e);
    zip_discard(z);
    return rc;
}

static int read_npy_dir(const char *dir, npz_set *s, dett_err *e)
{
    DIR *d = opendir(dir);
    if (!d) return dett_fail(e, "%s: cannot open the directory: %s", dir, strerror(errno));
    struct dirent *ent;
    int rc = 0;
    while (rc == 0 && (ent = readdir(d))) {
        size_t len = strlen(ent->d_name);
        if (len < 5 || strcmp(ent->d_name + len - 4, ".npy") != 0) continue;   /* not an array */
        char path[4096];
        if (snprintf(path, sizeof path, "%s/%s", dir, ent->d_name) >= (int)sizeof path) {
            rc = dett_fail(e, "%s: path too long", dir);
            break;
        }
        char *buf = NULL;
        long n = 0;
        rc = data_read_file(path, (long)NPZ_MAX_BYTES, &buf, &n, e);
        if (rc == 0) rc = set_add(s, dir, ent->d_name, (const uint8_t *)buf, (size_t)n, e);
        free(buf);
    }
    closedir(d);
    return rc;
}

/* ---- from arrays to splits ------------------------------------------------ */

static const npy_array *find(const npz_set *s, const char *name)
{
    for (int i = 0; i < s->n; i++)
        if (!strcmp(s->a[i].name, name)) return &s->a[i];
    return NULL;
}

/* a label array [n]: integers in 0..63; *max <- the largest */
static int check_labels(const npy_array *l, const char *where, int64_t n, int *max, dett_err *e)
{
    if (l->rank != 1 || l->shape[0] != n)
        return dett_fail(e, "%s:%s: expected shape (%lld,) (one label per row of X), found rank %d%s",
                         where, l->name, (long long)n, l->rank,
                         l->rank == 1 ? " of another length" : "");
    for (int64_t i = 0; i < n; i++) {
        double v = l->v[i];
        if (!(v >= 0 && v < DATASET_MAX_GROUPS && v == floor(v)))
            return dett_fail(e, "%s:%s: value %g at row %lld is not an integer in 0..%d (labels "
                             "are class indices: store integers)", where, l->name, v,
                             (long long)i, DATASET_MAX_GROUPS - 1);
        if ((int)v > *max) *max = (int)v;
    }
    return 0;
}

/* one split's rows from X, y, a, taking the rows rows[0..m) (or all, rows NULL) */
static int fill_rows(dataset_rows *r, const npy_array *X, const npy_array *y, const npy_array *a,
                     const int64_t *rows, int64_t m, int d, const char *where, dett_err *e)
{
    CHECK(data_rows_alloc(r, m, d, e));
    for (int64_t i = 0; i < m; i++) {
        int64_t src = rows ? rows[i] : i;
        const double *x = X->v + src * d;
        for (int k = 0; k < d; k++) {
            double v = x[k];
            if (!(isfinite(v) && fabs(v) <= FLT_MAX)) {
                dett_fail(e, "%s:%s: value %g at row %lld, column %d %s", where, X->name, v,
                          (long long)src, k,
                          isfinite(v) ? "does not fit float32: rescale X"
                                      : "is not finite: NaN and Inf are refused (impute or drop the row)");
                goto fail;
            }
            r->X[i * d + k] = (float)v;
        }
        r->y[i] = (int32_t)y->v[src];
        r->a[i] = (int32_t)a->v[src];
    }
    return 0;
fail:
    dataset_rows_free(r);
    return -1;
}

/* the per-row shape of X into info; -1 if X has no rows dimension */
static int x_layout(const npy_array *X, const char *where, dataset_info *info, dett_err *e)
{
    if (X->rank < 2)
        return dett_fail(e, "%s:%s: expected rank >= 2 ([n, d] or [n, c, h, w]), found rank %d",
                         where, X->name, X->rank);
    int64_t d = 1;
    for (int i = 1; i < X->rank; i++) {
        if (X->shape[i] < 1)
            return dett_fail(e, "%s:%s: dimension %d is 0 (every row needs values)", where,
                             X->name, i);
        d *= X->shape[i];
        if (d > INT_MAX) return dett_fail(e, "%s:%s: more than %d values per row", where, X->name, INT_MAX);
    }
    info->d = (int)d;
    if (X->rank == 4 || X->rank == 3) {
        info->x_rank = 3;
        info->x_shape[0] = X->rank == 4 ? (int)X->shape[1] : 1;
        info->x_shape[1] = (int)X->shape[X->rank - 2];
        info->x_shape[2] = (int)X->shape[X->rank - 1];
    } else {
        info->x_rank = 1;
        info->x_shape[0] = (int)d;
    }
    return 0;
}

static int same_row_shape(const npy_array *a, const npy_array *b)
{
    if (a->rank != b->rank) return 0;
    for (int i = 1; i < a->rank; i++)
        if (a->shape[i] != b->shape[i]) return 0;
    return 1;
}

static int build_per_split(const npz_set *s, const char *where, dataset_info *info,
                           dataset_rows split[N_SPLITS], dett_err *e)
{
    const npy_array *X[N_SPLITS], *y[N_SPLITS], *a[N_SPLITS];
    int ymax = 0, amax = 0;
    for (int k = 0; k < N_SPLITS; k++) {
        char nx[16], ny[16], na[16];
        snprintf(nx, sizeof nx, "X_%s", dataset_split_names[k]);
        snprintf(ny, sizeof ny, "y_%s", dataset_split_names[k]);
        snprintf(na, sizeof na, "a_%s", dataset_split_names[k]);
        X[k] = find(s, nx), y[k] = find(s, ny), a[k] = find(s, na);
        if (!X[k] || !y[k] || !a[k])
            return dett_fail(e, "%s: missing array '%s' (per-split arrays: X_, y_ and a_ of "
                             "train, val and test)", where, !X[k] ? nx : !y[k] ? ny : na);
        if (k == 0) CHECK(x_layout(X[0], where, info, e));
        else if (!same_row_shape(X[k], X[0]))
            return dett_fail(e, "%s:%s: the per-row shape differs from X_train's", where, nx);
        CHECK(check_labels(y[k], where, X[k]->shape[0], &ymax, e));
        CHECK(check_labels(a[k], where, X[k]->shape[0], &amax, e));
    }
    info->n_classes = ymax + 1;
    info->n_attrs = amax + 1;
    if (info->n_classes * info->n_attrs > DATASET_MAX_GROUPS)
        return dett_fail(e, "%s: %d classes x %d attribute values: more than %d groups", where,
                         info->n_classes, info->n_attrs, DATASET_MAX_GROUPS);
    for (int k = 0; k < N_SPLITS; k++)
        CHECK(fill_rows(&split[k], X[k], y[k], a[k], NULL, X[k]->shape[0], info->d, where, e));
    return 0;
fail:
    return -1;
}

static int build_one_set(const npz_set *s, const npz_opts *o, const char *where,
                         dataset_info *info, dataset_rows split[N_SPLITS], dett_err *e)
{
    const npy_array *X = find(s, "X"), *y = find(s, "y"), *a = find(s, "a"), *sp = find(s, "split");
    int64_t *rows = NULL;
    int *perm = NULL, *s_of = NULL;
    if (!y || !a)
        return dett_fail(e, "%s: missing array '%s' (with X: y, a and optionally split)", where,
                         !y ? "y" : "a");
    CHECK(x_layout(X, where, info, e));
    const int64_t n = X->shape[0];
    if (n > INT_MAX) return dett_fail(e, "%s:X: %lld rows (at most %d)", where, (long long)n, INT_MAX);
    int ymax = 0, amax = 0;
    CHECK(check_labels(y, where, n, &ymax, e));
    CHECK(check_labels(a, where, n, &amax, e));
    const int C = ymax + 1, A = amax + 1;
    if (C * A > DATASET_MAX_GROUPS)
        return dett_fail(e, "%s: %d classes x %d attribute values: more than %d groups", where, C,
                         A, DATASET_MAX_GROUPS);
    info->n_classes = C;
    info->n_attrs = A;
    CHECK_ALLOC(e, s_of = malloc((size_t)(n ? n : 1) * sizeof *s_of));
    if (sp) {
        if (o->val_frac >= 0) {
            dett_fail(e, "%s: the archive has a 'split' array: drop --val-frac/--test-frac", where);
            goto fail;
        }
        if (sp->rank != 1 || sp->shape[0] != n) {
            dett_fail(e, "%s:split: expected shape (%lld,) (one split per row of X)", where, (long long)n);
            goto fail;
        }
        for (int64_t i = 0; i < n; i++) {
            double v = sp->v[i];
            if (!(v == 0 || v == 1 || v == 2)) {
                dett_fail(e, "%s:split: value %g at row %lld (0 train, 1 val, 2 test)", where, v,
                          (long long)i);
                goto fail;
            }
            s_of[i] = (int)v;
        }
    } else {
        /* stratified by group: round(frac * n_g) rows of each group to test
         * and val, drawn with a permutation keyed by (seed, group) */
        double vf = o->val_frac >= 0 ? o->val_frac : 0.2, tf = o->test_frac >= 0 ? o->test_frac : 0.2;
        CHECK_ALLOC(e, rows = malloc((size_t)(n ? n : 1) * sizeof *rows));
        CHECK_ALLOC(e, perm = malloc((size_t)(n ? n : 1) * sizeof *perm));
        for (int g = 0; g < C * A; g++) {
            int64_t ng = 0;
            for (int64_t i = 0; i < n; i++)
                if ((int)y->v[i] * A + (int)a->v[i] == g) rows[ng++] = i;
            int64_t nte = (int64_t)floor(tf * (double)ng + 0.5), nva = (int64_t)floor(vf * (double)ng + 0.5);
            if (nte > ng) nte = ng;
            if (nte + nva > ng) nva = ng - nte;
            rng_permutation(perm, (int)ng, o->seed, rng_stream2(DRAW_GROUP, (uint64_t)g));
            for (int64_t i = 0; i < ng; i++)
                s_of[rows[perm[i]]] = i < nte ? SPLIT_TEST : i < nte + nva ? SPLIT_VAL : SPLIT_TRAIN;
        }
    }
    if (!rows) CHECK_ALLOC(e, rows = malloc((size_t)(n ? n : 1) * sizeof *rows));
    for (int k = 0; k < N_SPLITS; k++) {
        int64_t m = 0;
        for (int64_t i = 0; i < n; i++)
            if (s_of[i] == k) rows[m++] = i;
        if (m == 0) {
            dett_fail(e, "%s: no rows in %s", where, dataset_split_names[k]);
            goto fail;
        }
        CHECK(fill_rows(&split[k], X, y, a, rows, m, info->d, where, e));
    }
    free(rows);
    free(perm);
    free(s_of);
    return 0;
fail:
    free(rows);
    free(perm);
    free(s_of);
    return -1;
}

/* the dataset from the arrays in s; where names the input in messages */
static int build_from(npz_set *s, const npz_opts *o, const char *where, dataset_info *info,
                      dataset_rows split[N_SPLITS], dett_err *e)
{
    int per_split = find(s, "X_train") || find(s, "X_val") || find(s, "X_test");
    int one = find(s, "X") != NULL;
    if (per_split && one)
        return dett_fail(e, "%s: both X and X_train/X_val/X_test: give per-split arrays or one "
                         "set, not both", where);
    if (!per_split && !one)
        return dett_fail(e, "%s: no array X (one set with y, a) or X_train, X_val, X_test", where);
    if (per_split && (find(s, "split") || find(s, "y") || find(s, "a")))
        return dett_fail(e, "%s: per-split arrays (X_train, ...) and y, a or split together", where);
    if (per_split && o->val_frac >= 0)
        return dett_fail(e, "%s: the archive is split already: drop --val-frac/--test-frac", where);
    CHECK(per_split ? build_per_split(s, where, info, split, e)
                    : build_one_set(s, o, where, info, split, e));
    info->n_groups = info->n_classes * info->n_attrs;
    const char *base = strrchr(o->path, '/');
    base = base && base[1] ? base + 1 : o->path;
    data_text(info->name, sizeof info->name, "%s", o->name ? o->name : base);
    data_text(info->source, sizeof info->source, "%s",
              o->source ? o->source : "numpy arrays imported by dett data npz/npy");
    data_text(info->license, sizeof info->license, "%s",
              o->license ? o->license : "unknown (not given to dett data --license)");
    data_text(info->description, sizeof info->description,
              "Imported by dett data %s from %s: %s; X [n, %d] as float32, y and a as given "
              "(C = %d, A = %d).", o->dir ? "npy" : "npz", base,
              per_split ? "per-split arrays X_/y_/a_ train, val, test (rows in file order)"
                        : find(s, "split") ? "X, y, a with a split array (rows in file order)"
                                           : "X, y, a split by group with --val-frac/--test-frac",
              info->d, info->n_classes, info->n_attrs);
    CHECK(data_count_groups(o->dir ? "npy" : "npz", info, split, NULL, NULL, e));
    return 0;
fail:
    for (int k = 0; k < N_SPLITS; k++) dataset_rows_free(&split[k]);
    return -1;
}

int npz_build(const npz_opts *o, dataset_info *info, dataset_rows split[N_SPLITS], dett_err *e)
{
    npz_set s;
    memset(&s, 0, sizeof s);
    memset(split, 0, N_SPLITS * sizeof *split);
    memset(info, 0, sizeof *info);
    CHECK(npz_check(o, e));
    CHECK(o->dir ? read_npy_dir(o->path, &s, e) : read_npz_file(o->path, &s, e));
    CHECK(build_from(&s, o, o->path, info, split, e));
    set_free(&s);
    return 0;
fail:
    set_free(&s);
    one_line(e);
    return -1;
}

int npz_build_buffer(const void *buf, size_t n, const char *label, const npz_opts *o,
                     dataset_info *info, dataset_rows split[N_SPLITS], dett_err *e)
{
    npz_set s;
    zip_error_t ze;
    memset(&s, 0, sizeof s);
    memset(split, 0, N_SPLITS * sizeof *split);
    memset(info, 0, sizeof *info);
    zip_error_init(&ze);
    zip_source_t *src = zip_source_buffer_create(buf, n, 0, &ze);
    zip_t *z = src ? zip_open_from_source(src, ZIP_RDONLY | ZIP_CHECKCONS, &ze) : NULL;
    if (!z) {
        dett_fail(e, "%s: cannot open as a .npz (zip) archive: %s", label, zip_error_strerror(&ze));
        if (src) zip_source_free(src);
        zip_error_fini(&ze);
        one_line(e);
        return -1;
    }
    zip_error_fini(&ze);
    npz_opts oo = *o;
    oo.path = label;
    int rc = read_zip(z, label, &s, e);
    zip_discard(z);
    if (rc == 0) rc = build_from(&s, &oo, label, info, split, e);
    set_free(&s);
    if (rc) one_line(e);
    return rc;
}
