/* npz_write.c - .npz archives through libzip (see npz_write.h). */
#include "npz_write.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zip.h>

typedef struct {
    char *name;          /* "<name>.npy" */
    unsigned char *data; /* header + payload */
    size_t len;
} npz_entry;

struct npz {
    char *path;
    int n, cap;
    npz_entry *e;
};

npz *npz_new(const char *path, dett_err *e)
{
    npz *z = calloc(1, sizeof *z);
    if (z) z->path = malloc(strlen(path) + 1);
    if (!z || !z->path) {
        free(z);
        dett_fail(e, "%s:%d: out of memory", __FILE__, __LINE__);
        return NULL;
    }
    memcpy(z->path, path, strlen(path) + 1);
    return z;
}

void npz_discard(npz *z)
{
    if (!z) return;
    for (int k = 0; k < z->n; k++) {
        free(z->e[k].name);
        free(z->e[k].data);
    }
    free(z->e);
    free(z->path);
    free(z);
}

/* appends entry name.npy: the .npy header for descr/shape, then n bytes of
 * data (already little-endian: the machines dett runs on are) */
static int add(npz *z, const char *name, const char *descr, int rank, const int64_t *shape,
               const void *data, size_t n, dett_err *e)
{
    char dict[512], sh[256] = "";
    size_t at = 0;
    if (rank < 0 || rank > 4) return dett_fail(e, "%s: %s: rank %d", z->path, name, rank);
    for (int i = 0; i < rank; i++)
        at += (size_t)snprintf(sh + at, sizeof sh - at, "%lld,%s", (long long)shape[i],
                               i + 1 < rank ? " " : "");
    if (rank > 1 && at > 0) sh[at - 1] = '\0';   /* "(2, 3)"; a rank-1 tuple keeps "(2,)" */
    int dl = snprintf(dict, sizeof dict, "{'descr': '%s', 'fortran_order': False, 'shape': (%s), }",
                      descr, sh);
    if (dl < 0 || dl >= (int)sizeof dict - 64) return dett_fail(e, "%s: %s: header", z->path, name);
    /* magic (6) + version (2) + header length (2) + dict + spaces + '\n', a multiple of 64 */
    size_t hlen = 10 + (size_t)dl + 1;
    size_t pad = (64 - hlen % 64) % 64;
    size_t hdr = (size_t)dl + pad + 1;
    if (z->n == z->cap) {
        int cap = z->cap ? 2 * z->cap : 16;
        npz_entry *ne = realloc(z->e, (size_t)cap * sizeof *ne);
        if (!ne) return dett_fail(e, "%s:%d: out of memory", __FILE__, __LINE__);
        z->e = ne;
        z->cap = cap;
    }
    npz_entry *x = &z->e[z->n];
    x->len = 10 + hdr + n;
    x->data = malloc(x->len);
    x->name = malloc(strlen(name) + 5);
    if (!x->data || !x->name) {
        free(x->data);
        free(x->name);
        return dett_fail(e, "%s:%d: out of memory", __FILE__, __LINE__);
    }
    snprintf(x->name, strlen(name) + 5, "%s.npy", name);
    unsigned char *p = x->data;
    memcpy(p, "\x93NUMPY\x01\x00", 8);
    p[8] = (unsigned char)(hdr & 0xff);
    p[9] = (unsigned char)(hdr >> 8);
    memcpy(p + 10, dict, (size_t)dl);
    memset(p + 10 + dl, ' ', pad);
    p[10 + hdr - 1] = '\n';
    if (n) memcpy(p + 10 + hdr, data, n);
    z->n++;
    return 0;
}

/* number of elements of shape[rank] */
static size_t count(int rank, const int64_t *shape)
{
    size_t c = 1;
    for (int i = 0; i < rank; i++) c *= (size_t)shape[i];
    return c;
}

int npz_f32(npz *z, const char *name, const float *v, int rank, const int64_t *shape,
            dett_err *e)
{
    return add(z, name, "<f4", rank, shape, v, count(rank, shape) * sizeof *v, e);
}

int npz_f64(npz *z, const char *name, const double *v, int rank, const int64_t *shape,
            dett_err *e)
{
    return add(z, name, "<f8", rank, shape, v, count(rank, shape) * sizeof *v, e);
}

int npz_i32(npz *z, const char *name, const int32_t *v, int rank, const int64_t *shape,
            dett_err *e)
{
    return add(z, name, "<i4", rank, shape, v, count(rank, shape) * sizeof *v, e);
}

/* decodes one UTF-8 code point at *s (advancing it); U+FFFD if malformed */
static uint32_t utf8_next(const unsigned char **s)
{
    const unsigned char *p = *s;
    uint32_t c = p[0];
    int n = c < 0x80 ? 0 : (c & 0xe0) == 0xc0 ? 1 : (c & 0xf0) == 0xe0 ? 2 : (c & 0xf8) == 0xf0 ? 3 : -1;
    if (n < 0) {
        *s = p + 1;
        return 0xfffd;
    }
    if (n > 0) c &= 0x3fu >> n;
    for (int i = 1; i <= n; i++) {
        if ((p[i] & 0xc0) != 0x80) {
            *s = p + i;
            return 0xfffd;
        }
        c = (c << 6) | (p[i] & 0x3f);
    }
    *s = p + 1 + n;
    return c;
}

int npz_str(npz *z, const char *name, const char *s, dett_err *e)
{
    size_t len = strlen(s), n = 0;
    uint32_t *u = malloc((len ? len : 1) * sizeof *u);
    if (!u) return dett_fail(e, "%s:%d: out of memory", __FILE__, __LINE__);
    const unsigned char *p = (const unsigned char *)s;
    while (*p) u[n++] = utf8_next(&p);
    char descr[32];
    snprintf(descr, sizeof descr, "<U%zu", n ? n : 1);
    if (n == 0) u[n++] = 0;   /* '<U1' holding "" */
    int rc = add(z, name, descr, 0, NULL, u, n * sizeof *u, e);
    free(u);
    return rc;
}

int npz_close(npz *z, dett_err *e)
{
    int zerr = 0, rc = -1;
    zip_t *a = NULL;
    if (!z) return 0;
    a = zip_open(z->path, ZIP_CREATE | ZIP_TRUNCATE, &zerr);
    if (!a) {
        zip_error_t ze;
        zip_error_init_with_code(&ze, zerr);
        dett_fail(e, "%s: cannot create: %s", z->path, zip_error_strerror(&ze));
        zip_error_fini(&ze);
        goto out;
    }
    for (int k = 0; k < z->n; k++) {
        zip_source_t *src = zip_source_buffer(a, z->e[k].data, z->e[k].len, 0);
        zip_int64_t idx = src ? zip_file_add(a, z->e[k].name, src, ZIP_FL_ENC_UTF_8) : -1;
        if (idx < 0) {
            if (src) zip_source_free(src);
            dett_fail(e, "%s: %s: %s", z->path, z->e[k].name, zip_strerror(a));
            zip_discard(a);
            goto out;
        }
        if (zip_set_file_compression(a, (zip_uint64_t)idx, ZIP_CM_STORE, 0) < 0) {
            dett_fail(e, "%s: %s: %s", z->path, z->e[k].name, zip_strerror(a));
            zip_discard(a);
            goto out;
        }
    }
    if (zip_close(a) < 0) {   /* writes a temporary file and renames it */
        dett_fail(e, "%s: cannot write: %s", z->path, zip_strerror(a));
        zip_discard(a);
        goto out;
    }
    rc = 0;
out:
    npz_discard(z);
    return rc;
}
