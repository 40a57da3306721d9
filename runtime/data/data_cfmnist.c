/* data_cfmnist.c - Colored Fashion-MNIST (see data_builders.h), with the
 * pieces the image builders share: the idx reader, the Fashion-MNIST loader,
 * attribute assignment and the group check.
 *
 * Random draws are keyed by (seed, stream, index) with stream = slot * 16 +
 * purpose (slot = the split, as in synth.c), so a row's colour depends only
 * on the options and its position, and the image side (--size) changes
 * nothing but the pooling.
 */
#include "data_builders.h"
#include "rng.h"
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#define IDX_MAX_BYTES ((int64_t)1 << 31)   /* the largest idx payload we read */
#define GZ_CHUNK (1u << 30)                 /* gzread takes an unsigned count */

const char *const fmnist_class_names[FMNIST_CLASSES] = {
    "T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
    "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot",
};

/* ======================================================================== */
/* idx files                                                                */
/* ======================================================================== */

/* the message of gzread's last failure */
static const char *gz_message(gzFile f)
{
    int code = 0;
    const char *m = gzerror(f, &code);
    if (code == Z_ERRNO) return strerror(errno);
    return m && *m ? m : "read error";
}

/* buf[0..n) <- the next n bytes of f; what names the part for messages */
static int gz_exact(gzFile f, const char *path, void *buf, int64_t n, const char *what,
                    dett_err *e)
{
    int64_t got = 0;
    while (got < n) {
        unsigned want = (unsigned)(n - got < (int64_t)GZ_CHUNK ? n - got : (int64_t)GZ_CHUNK);
        int r = gzread(f, (unsigned char *)buf + got, want);
        if (r < 0) return dett_fail(e, "%s: cannot read the %s: %s", path, what, gz_message(f));
        if (r == 0)
            return dett_fail(e, "%s: the file ends after %lld of the %lld bytes of the %s "
                             "(truncated download?)", path, (long long)got, (long long)n, what);
        got += r;
    }
    return 0;
}

int idx_read_gz(const char *path, int want_ndim, idx_array *out, dett_err *e)
{
    memset(out, 0, sizeof *out);
    if (want_ndim < 1 || want_ndim > 3) return dett_fail(e, "%s: idx rank %d unsupported", path, want_ndim);
    errno = 0;
    gzFile f = gzopen(path, "rb");
    if (!f)
        return dett_fail(e, "%s: cannot open: %s", path, errno ? strerror(errno) : "out of memory");
    unsigned char head[4], dim[4], extra;
    CHECK(gz_exact(f, path, head, 4, "idx header", e));
    if (head[0] != 0 || head[1] != 0) {
        dett_fail(e, "%s: not an idx file (magic bytes %02x %02x %02x %02x; expected 00 00 08 %02x)",
                  path, head[0], head[1], head[2], head[3], (unsigned)want_ndim);
        goto fail;
    }
    if (head[2] != 0x08) {
        dett_fail(e, "%s: idx element type 0x%02x; expected 0x08 (unsigned bytes)", path, head[2]);
        goto fail;
    }
    if (head[3] != want_ndim) {
        dett_fail(e, "%s: idx array of %d dimensions; expected %d", path, head[3], want_ndim);
        goto fail;
    }
    out->ndim = want_ndim;
    out->count = 1;
    for (int k = 0; k < want_ndim; k++) {
        CHECK(gz_exact(f, path, dim, 4, "idx dimensions", e));
        out->dims[k] = ((int64_t)dim[0] << 24) | ((int64_t)dim[1] << 16) | ((int64_t)dim[2] << 8) | dim[3];
        out->count *= out->dims[k];
        if (out->count > IDX_MAX_BYTES) {
            dett_fail(e, "%s: idx array larger than %lld bytes", path, (long long)IDX_MAX_BYTES);
            goto fail;
        }
    }
    CHECK_ALLOC(e, out->data = malloc(out->count ? (size_t)out->count : 1));
    CHECK(gz_exact(f, path, out->data, out->count, "idx data", e));
    int r = gzread(f, &extra, 1);
    if (r < 0) {
        dett_fail(e, "%s: cannot read: %s", path, gz_message(f));
        goto fail;
    }
    if (r > 0) {
        dett_fail(e, "%s: trailing bytes after the %lld bytes the idx header announces", path,
                  (long long)out->count);
        goto fail;
    }
    gzFile g = f;
    f = NULL;
    if (gzclose_r(g) != Z_OK) {
        dett_fail(e, "%s: error at close (corrupt gzip stream?)", path);
        goto fail;
    }
    return 0;
fail:
    if (f) gzclose_r(f);
    idx_free(out);
    return -1;
}

void idx_free(idx_array *a)
{
    if (!a) return;
    free(a->data);
    memset(a, 0, sizeof *a);
}

/* ======================================================================== */
/* Fashion-MNIST                                                            */
/* ======================================================================== */

/* "<dir>/<name>", malloc'ed */
static char *path_join(const char *dir, const char *name, dett_err *e)
{
    size_t len = strlen(dir) + 1 + strlen(name) + 1;
    char *p = malloc(len);
    if (!p) {
        dett_fail(e, "%s:%d: out of memory", __FILE__, __LINE__);
        return NULL;
    }
    snprintf(p, len, "%s/%s", dir, name);
    return p;
}

int fmnist_load(const char *dir, int test, fmnist_set *out, dett_err *e)
{
    const char *pre = test ? "t10k" : "train";
    char name[64];
    char *ipath = NULL, *lpath = NULL;
    idx_array img = {0}, lab = {0};
    memset(out, 0, sizeof *out);
    snprintf(name, sizeof name, "%s-images-idx3-ubyte.gz", pre);
    if (!(ipath = path_join(dir, name, e))) goto fail;
    snprintf(name, sizeof name, "%s-labels-idx1-ubyte.gz", pre);
    if (!(lpath = path_join(dir, name, e))) goto fail;
    CHECK(idx_read_gz(ipath, 3, &img, e));
    CHECK(idx_read_gz(lpath, 1, &lab, e));
    if (img.dims[1] != FMNIST_SIDE || img.dims[2] != FMNIST_SIDE) {
        dett_fail(e, "%s: images of %lld x %lld pixels; expected %d x %d", ipath,
                  (long long)img.dims[1], (long long)img.dims[2], FMNIST_SIDE, FMNIST_SIDE);
        goto fail;
    }
    if (img.dims[0] != lab.dims[0]) {
        dett_fail(e, "%s: %lld labels for the %lld images of %s", lpath, (long long)lab.dims[0],
                  (long long)img.dims[0], ipath);
        goto fail;
    }
    if (img.dims[0] < 1 || img.dims[0] > INT_MAX) {
        dett_fail(e, "%s: %lld images; expected 1..%d", ipath, (long long)img.dims[0], INT_MAX);
        goto fail;
    }
    for (int64_t i = 0; i < lab.count; i++)
        if (lab.data[i] >= FMNIST_CLASSES) {
            dett_fail(e, "%s: label %d at item %lld; expected 0..%d", lpath, lab.data[i],
                      (long long)i, FMNIST_CLASSES - 1);
            goto fail;
        }
    out->n = img.dims[0];
    out->pixels = img.data;
    out->labels = lab.data;
    free(ipath);
    free(lpath);
    return 0;
fail:
    idx_free(&img);
    idx_free(&lab);
    free(ipath);
    free(lpath);
    return -1;
}

void fmnist_free(fmnist_set *s)
{
    if (!s) return;
    free(s->pixels);
    free(s->labels);
    memset(s, 0, sizeof *s);
}

/* ======================================================================== */
/* shared by the builders                                                   */
/* ======================================================================== */

int data_read_file(const char *path, long max, char **buf, long *len, dett_err *e)
{
    *buf = NULL;
    *len = 0;
    errno = 0;
    FILE *f = fopen(path, "rb");
    if (!f) return dett_fail(e, "%s: cannot open: %s", path, strerror(errno));
    if (fseek(f, 0, SEEK_END) != 0 || (*len = ftell(f)) < 0 || fseek(f, 0, SEEK_SET) != 0) {
        dett_fail(e, "%s: cannot determine the size: %s", path, strerror(errno));
        goto fail;
    }
    if (*len > max) {
        dett_fail(e, "%s: %ld bytes; more than the %ld this reader accepts", path, *len, max);
        goto fail;
    }
    CHECK_ALLOC(e, *buf = malloc((size_t)*len + 1));
    if (fread(*buf, 1, (size_t)*len, f) != (size_t)*len) {
        dett_fail(e, "%s: cannot read: %s", path, ferror(f) ? strerror(errno) : "the file shrank");
        goto fail;
    }
    (*buf)[*len] = '\0';
    FILE *g = f;
    f = NULL;
    if (fclose(g) != 0) {
        dett_fail(e, "%s: cannot close: %s", path, strerror(errno));
        goto fail;
    }
    return 0;
fail:
    if (f) fclose(f);
    free(*buf);
    *buf = NULL;
    return -1;
}

int data_text(char *dst, size_t len, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(dst, len, fmt, ap);
    va_end(ap);
    if (n < 0) {
        dst[0] = '\0';
        return -1;
    }
    if ((size_t)n >= len && len >= 4) {
        memcpy(dst + len - 4, "...", 4);
        return -1;
    }
    return 0;
}

int data_parse_classes(const char *flag, const char *s, int *list, int max, int *n,
                       dett_err *e)
{
    int seen[FMNIST_CLASSES] = {0};
    const char *p = s;
    *n = 0;
    if (!s || !*s) return dett_fail(e, "%s: empty class list (expected e.g. 0,2,4,6)", flag);
    for (;;) {
        if (*p < '0' || *p > '9' || (p[1] != ',' && p[1] != '\0'))
            return dett_fail(e, "%s: '%s' is not a list of classes 0..9 separated by commas", flag, s);
        int c = *p - '0';
        if (seen[c]++) return dett_fail(e, "%s: class %d listed twice in '%s'", flag, c, s);
        if (*n == max) return dett_fail(e, "%s: more than %d classes in '%s'", flag, max, s);
        list[(*n)++] = c;
        if (p[1] == '\0') return 0;
        p += 2;
    }
}

int data_rows_alloc(dataset_rows *r, int64_t n, int d, dett_err *e)
{
    memset(r, 0, sizeof *r);
    r->n = n;
    r->d = d;
    size_t rows = n > 0 ? (size_t)n : 1;
    if (d < 1 || (uint64_t)rows > (uint64_t)SIZE_MAX / sizeof(float) / (uint64_t)d)
        return dett_fail(e, "%lld rows of %d floats do not fit in memory", (long long)n, d);
    r->X = malloc(rows * (size_t)d * sizeof *r->X);
    r->y = malloc(rows * sizeof *r->y);
    r->a = malloc(rows * sizeof *r->a);
    if (!r->X || !r->y || !r->a) {
        dataset_rows_free(r);
        return dett_fail(e, "out of memory for %lld rows of %d floats", (long long)n, d);
    }
    return 0;
}

int data_binary_attrs(int32_t *a, const int32_t *y, int64_t n, int split, float rho,
                      uint64_t seed, uint64_t stream, dett_err *e)
{
    if (split == SPLIT_TRAIN) {
        for (int64_t i = 0; i < n; i++) {
            int same = rng_uniform(seed, stream, (uint64_t)i) < rho;
            a[i] = same ? y[i] : 1 - y[i];
        }
        return 0;
    }
    if (n > INT_MAX) return dett_fail(e, "%lld rows: more than %d", (long long)n, INT_MAX);
    int *perm = malloc((n > 0 ? (size_t)n : 1) * sizeof *perm);
    CHECK_ALLOC(e, perm);
    rng_permutation(perm, (int)n, seed, stream);
    int64_t k[2] = {0, 0};
    for (int64_t i = 0; i < n; i++) {
        int r = perm[i];
        a[r] = (int32_t)(k[y[r]]++ % 2);
    }
    free(perm);
    return 0;
fail:
    return -1;
}

/* " \"name\"" for names[v], or "" */
static const char *value_name(const char *const *names, int v, char *buf, size_t len)
{
    if (!names) return "";
    snprintf(buf, len, " \"%s\"", names[v]);
    return buf;
}

int data_count_groups(const char *who, dataset_info *info, const dataset_rows split[N_SPLITS],
                      const char *const *y_names, const char *const *a_names, dett_err *e)
{
    const int A = info->n_attrs;
    memset(info->group_count, 0, sizeof info->group_count);
    for (int s = 0; s < N_SPLITS; s++) {
        info->n[s] = split[s].n;
        for (int64_t i = 0; i < split[s].n; i++)
            info->group_count[s][split[s].y[i] * A + split[s].a[i]]++;
    }
    for (int s = SPLIT_VAL; s < N_SPLITS; s++)
        for (int g = 0; g < info->n_groups; g++) {
            if (info->group_count[s][g] > 0) continue;
            char yb[96], ab[96];
            int64_t total = 0;
            for (int t = 0; t < N_SPLITS; t++) total += info->group_count[t][g];
            return dett_fail(e, "%s: group (y=%d%s, a=%d%s) has no rows in %s (%lld in all "
                             "splits); every group needs val and test rows", who, g / A,
                             value_name(y_names, g / A, yb, sizeof yb), g % A,
                             value_name(a_names, g % A, ab, sizeof ab), dataset_split_names[s],
                             (long long)total);
        }
    return 0;
}

/* ======================================================================== */
/* Colored Fashion-MNIST                                                    */
/* ======================================================================== */

/* what a draw is for; part of the RNG stream id */
enum { DRAW_SPLIT, DRAW_ORDER, DRAW_ATTR };
#define STREAM(slot, purpose) ((uint64_t)(slot) * 16 + (purpose))

/* the colour of a: X[c] = g * cfmnist_colour[a][c] */
static const float cfmnist_colour[2][3] = {{1, 0, 0}, {0, 1, 0}};
static const char *const cfmnist_colour_names[2] = {"red", "green"};

cfmnist_opts cfmnist_defaults(void)
{
    cfmnist_opts o = {
        .fmnist_dir = FMNIST_DEFAULT_DIR, .classes = "0,2,4,6",
        .rho = 0.99f, .size = 14, .val_frac = 0.1f, .n_train = 0, .seed = 0,
    };
    return o;
}

int cfmnist_check(const cfmnist_opts *o, dett_err *e)
{
    int list[FMNIST_CLASSES], n;
    if (!o->fmnist_dir || !*o->fmnist_dir) return dett_fail(e, "cfmnist: --fmnist-dir is empty");
    if (data_parse_classes("cfmnist: --classes", o->classes, list, FMNIST_CLASSES, &n, e)) return -1;
    if (n == FMNIST_CLASSES)
        return dett_fail(e, "cfmnist: --classes lists all 10 classes; y = 0 would be empty");
    if (!(o->rho >= 0.5f && o->rho <= 1.0f))
        return dett_fail(e, "cfmnist: --rho %g: must be in [0.5, 1]", (double)o->rho);
    if (o->size != 28 && o->size != 14 && o->size != 7)
        return dett_fail(e, "cfmnist: --size %d: must be 28, 14 or 7", o->size);
    if (!(o->val_frac > 0 && o->val_frac < 1))
        return dett_fail(e, "cfmnist: --val-frac %g: must be in (0, 1)", (double)o->val_frac);
    if (o->n_train < 0)
        return dett_fail(e, "cfmnist: --n-train %lld: must be at least 1 (0: all rows)",
                         (long long)o->n_train);
    return 0;
}

/* x <- the grey image img, average-pooled to S x S and tinted in colour a.
 * x: [3, S, S]; img: [28, 28] bytes */
static void cfmnist_row(float *x, const uint8_t *img, int S, int a)
{
    const int f = FMNIST_SIDE / S;
    const float scale = 1.0f / (255.0f * (float)(f * f));
    for (int i = 0; i < S; i++)
        for (int j = 0; j < S; j++) {
            unsigned sum = 0;
            for (int u = 0; u < f; u++)
                for (int v = 0; v < f; v++) sum += img[(i * f + u) * FMNIST_SIDE + j * f + v];
            float g = (float)sum * scale;
            for (int c = 0; c < 3; c++) x[(c * S + i) * S + j] = g * cfmnist_colour[a][c];
        }
}

/* info's attributes: the construction and every parameter value */
static void cfmnist_info(dataset_info *info, const cfmnist_opts *o, const int *cls, int ncls,
                         int64_t n_avail, int64_t n_train, int64_t n_val, int64_t n_test)
{
    char names[256] = "", num[64] = "", subset[160] = "";
    for (int k = 0; k < ncls; k++) {
        size_t l = strlen(names), m = strlen(num);
        snprintf(names + l, sizeof names - l, "%s%s", k ? ", " : "", fmnist_class_names[cls[k]]);
        snprintf(num + m, sizeof num - m, "%s%d", k ? "," : "", cls[k]);
    }
    /* a subset is named in the text; without one the text is as it always was */
    if (o->n_train > 0)
        snprintf(subset, sizeof subset, "the first %lld (--n-train; rows in random order) of ",
                 (long long)n_train);
    memset(info, 0, sizeof *info);
    data_text(info->name, sizeof info->name, "cfmnist");
    data_text(info->source, sizeof info->source,
              "Fashion-MNIST (Xiao, Rasul and Vollgraf 2017, Zalando Research) from Debian "
              "package dataset-fashion-mnist, idx files in %s", o->fmnist_dir);
    data_text(info->license, sizeof info->license, "MIT (Fashion-MNIST, Zalando SE)");
    data_text(info->description, sizeof info->description,
              "Colored Fashion-MNIST. y = 1 if the garment class is in {%s} (%s), else 0. "
              "a = colour: the grey image g = pixels / 255, average-pooled from 28x28 to "
              "%dx%d, becomes X[c] = g * colour_a[c] with colour 0 = red (1,0,0), "
              "1 = green (0,1,0); X is [n, 3, %d, %d] in [0, 1]. train: P(a = y) = rho = %g, "
              "drawn per row; val and test: a independent of y, balanced within each label. "
              "val = a random val_frac = %g of the 60000 training images (%lld rows), train "
              "%sthe other %lld; test = the %lld test images. Rows shuffled; seed = %llu "
              "(counter-based RNG: same inputs and options, same file). "
              "Built by dett data cfmnist.",
              num, names, o->size, o->size, o->size, o->size, (double)o->rho,
              (double)o->val_frac, (long long)n_val, subset, (long long)n_avail,
              (long long)n_test, (unsigned long long)o->seed);
    info->n_classes = 2;
    info->n_attrs = 2;
    info->n_groups = 4;
    info->x_rank = 3;
    info->x_shape[0] = 3;
    info->x_shape[1] = o->size;
    info->x_shape[2] = o->size;
    info->d = 3 * o->size * o->size;
}

int cfmnist_build(const cfmnist_opts *o, dataset_info *info, dataset_rows split[N_SPLITS],
                  dett_err *e)
{
    fmnist_set tr = {0}, te = {0};
    int *perm_tr = NULL, *perm_te = NULL;
    int cls[FMNIST_CLASSES], ncls = 0, positive[FMNIST_CLASSES] = {0}, rc = -1;
    memset(split, 0, N_SPLITS * sizeof *split);
    CHECK(cfmnist_check(o, e));
    CHECK(data_parse_classes("cfmnist: --classes", o->classes, cls, FMNIST_CLASSES, &ncls, e));
    for (int k = 0; k < ncls; k++) positive[cls[k]] = 1;
    CHECK(fmnist_load(o->fmnist_dir, 0, &tr, e));
    CHECK(fmnist_load(o->fmnist_dir, 1, &te, e));

    const int64_t n_val = llround((double)o->val_frac * (double)tr.n);
    if (n_val < 1 || n_val >= tr.n) {
        dett_fail(e, "cfmnist: --val-frac %g of %lld training images leaves val or train empty",
                  (double)o->val_frac, (long long)tr.n);
        goto fail;
    }
    CHECK_ALLOC(e, perm_tr = malloc((size_t)tr.n * sizeof *perm_tr));
    CHECK_ALLOC(e, perm_te = malloc((size_t)te.n * sizeof *perm_te));
    rng_permutation(perm_tr, (int)tr.n, o->seed, STREAM(SPLIT_TRAIN, DRAW_SPLIT));
    rng_permutation(perm_te, (int)te.n, o->seed, STREAM(SPLIT_TEST, DRAW_ORDER));
    /* the source images of each split, in row order: val is the head of the
     * permutation of the training images, train its tail */
    const int *src[N_SPLITS] = {perm_tr + n_val, perm_tr, perm_te};
    const fmnist_set *from[N_SPLITS] = {&tr, &tr, &te};
    /* a training subset is the head of the train tail: the same rows, order
     * and colour draws (keyed by the row index) as the full file's first
     * n_train rows, so P(a = y) stays rho per row and val/test do not move */
    const int64_t n_avail = tr.n - n_val;
    if (o->n_train > n_avail) {
        dett_fail(e, "cfmnist: --n-train %lld: more than the %lld training rows there are "
                  "(%lld images minus %lld for val)", (long long)o->n_train, (long long)n_avail,
                  (long long)tr.n, (long long)n_val);
        rc = -2;
        goto fail;
    }
    const int64_t n[N_SPLITS] = {o->n_train > 0 ? o->n_train : n_avail, n_val, te.n};

    cfmnist_info(info, o, cls, ncls, n_avail, n[SPLIT_TRAIN], n[SPLIT_VAL], n[SPLIT_TEST]);
    const int S = o->size, D = info->d;
    for (int s = 0; s < N_SPLITS; s++) {
        dataset_rows *r = &split[s];
        CHECK(data_rows_alloc(r, n[s], D, e));
        for (int64_t i = 0; i < n[s]; i++) r->y[i] = positive[from[s]->labels[src[s][i]]];
        CHECK(data_binary_attrs(r->a, r->y, n[s], s, o->rho, o->seed, STREAM(s, DRAW_ATTR), e));
        for (int64_t i = 0; i < n[s]; i++)
            cfmnist_row(r->X + i * D, from[s]->pixels + (size_t)src[s][i] * FMNIST_SIDE * FMNIST_SIDE,
                        S, r->a[i]);
    }
    static const char *const y_names[2] = {"other garments", "listed classes"};
    CHECK(data_count_groups("cfmnist", info, split, y_names, cfmnist_colour_names, e));
    free(perm_tr);
    free(perm_te);
    fmnist_free(&tr);
    fmnist_free(&te);
    return 0;
fail:
    free(perm_tr);
    free(perm_te);
    fmnist_free(&tr);
    fmnist_free(&te);
    for (int s = 0; s < N_SPLITS; s++) dataset_rows_free(&split[s]);
    return rc;
}
