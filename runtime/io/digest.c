/* digest.c - content digests of data files with a per-user cache (see digest.h). */
#define _GNU_SOURCE
#include "digest.h"
#include "agree.h"
#include "rowblock.h"
#include <errno.h>
#include <hdf5.h>
#include <limits.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define DIGEST_VERSION "dett-data-digest/1"
#define CACHE_MAGIC "v1"
#define CACHE_MAX 256                  /* entries kept (the newest) */
#define BLOCK_BYTES ((size_t)4 << 20)  /* values read per HDF5 call */

/* ---- the cache key ------------------------------------------------------ */

typedef struct {
    long long size, mt_s, mt_ns, ct_s, ct_ns;
    unsigned long long dev, ino;
} file_key;

static int key_of(const char *path, file_key *k)
{
    struct stat st;
    if (stat(path, &st) != 0) return -1;
    *k = (file_key){ (long long)st.st_size, (long long)st.st_mtim.tv_sec,
                     (long long)st.st_mtim.tv_nsec, (long long)st.st_ctim.tv_sec,
                     (long long)st.st_ctim.tv_nsec, (unsigned long long)st.st_dev,
                     (unsigned long long)st.st_ino };
    return 0;
}

static int key_eq(const file_key *a, const file_key *b)
{
    return a->size == b->size && a->mt_s == b->mt_s && a->mt_ns == b->mt_ns &&
           a->ct_s == b->ct_s && a->ct_ns == b->ct_ns && a->dev == b->dev && a->ino == b->ino;
}

void digest_cache_path(char *out, size_t n)
{
    const char *v = getenv("DETT_DIGEST_CACHE"), *x = getenv("XDG_CACHE_HOME");
    const char *h = getenv("HOME");
    out[0] = '\0';
    if (v) snprintf(out, n, "%s", v);
    else if (x && x[0] == '/') snprintf(out, n, "%s/dett/data-digests", x);
    else if (h && h[0]) snprintf(out, n, "%s/.cache/dett/data-digests", h);
}

/* ---- the cache file: one line per data file ------------------------------ */
/* "v1 HEX SIZE MTS MTNS CTS CTNS DEV INO ABSPATH\n" */

typedef struct {
    char **line;
    int n;
} cache_lines;

static void cache_free(cache_lines *c)
{
    for (int i = 0; i < c->n; i++) free(c->line[i]);
    free(c->line);
    c->line = NULL;
    c->n = 0;
}

/* parses one line; *path points into line. 0 ok, -1 malformed */
static int parse_line(const char *line, char hex[DIGEST_HEX], file_key *k, const char **path)
{
    int at = 0;
    if (sscanf(line, CACHE_MAGIC " %64[0-9a-f] %lld %lld %lld %lld %lld %llu %llu %n", hex,
               &k->size, &k->mt_s, &k->mt_ns, &k->ct_s, &k->ct_ns, &k->dev, &k->ino, &at) != 8 ||
        at == 0 || strlen(hex) != 64)
        return -1;
    *path = line + at;
    return 0;
}

/* reads the cache's well-formed lines (a missing or unreadable file: none) */
static void cache_read(const char *file, cache_lines *c)
{
    c->line = NULL;
    c->n = 0;
    FILE *f = file[0] ? fopen(file, "r") : NULL;
    if (!f) return;
    char *buf = NULL;
    size_t cap = 0;
    ssize_t len;
    while ((len = getline(&buf, &cap, f)) > 0) {
        char hex[DIGEST_HEX];
        file_key k;
        const char *p;
        if (buf[len - 1] == '\n') buf[--len] = '\0';
        if (parse_line(buf, hex, &k, &p) != 0) continue;
        char **grown = realloc(c->line, sizeof *grown * (size_t)(c->n + 1));
        char *copy = strdup(buf);
        if (!grown || !copy) {
            free(copy);
            if (grown) c->line = grown;
            break;
        }
        c->line = grown;
        c->line[c->n++] = copy;
    }
    free(buf);
    fclose(f);
}

/* the cached digest of abspath under key k, 0 if found */
static int cache_lookup(const cache_lines *c, const char *abspath, const file_key *k,
                        char hex[DIGEST_HEX])
{
    for (int i = c->n - 1; i >= 0; i--) {
        char h[DIGEST_HEX];
        file_key lk;
        const char *p;
        if (parse_line(c->line[i], h, &lk, &p) == 0 && strcmp(p, abspath) == 0) {
            if (!key_eq(&lk, k)) return -1;   /* the newest entry for the path is stale */
            memcpy(hex, h, DIGEST_HEX);
            return 0;
        }
    }
    return -1;
}

/* mkdir -p of the directory part of file (best effort) */
static void make_parent(const char *file)
{
    char dir[PATH_MAX];
    snprintf(dir, sizeof dir, "%s", file);
    for (char *s = dir + 1; *s; s++) {
        if (*s != '/') continue;
        *s = '\0';
        mkdir(dir, 0777);
        *s = '/';
    }
}

/* rewrites the cache with abspath's entry replaced by (k, hex): the other
 * paths' newest CACHE_MAX - 1 entries, then this one; write + rename.
 * Best effort: a failure only means a rehash next time. */
static void cache_store(const char *file, const char *abspath, const file_key *k,
                        const char hex[DIGEST_HEX])
{
    if (!file[0] || strchr(abspath, '\n')) return;
    cache_lines c;
    cache_read(file, &c);
    char tmp[PATH_MAX + 32];
    snprintf(tmp, sizeof tmp, "%s.%ld.tmp", file, (long)getpid());
    make_parent(file);
    FILE *f = fopen(tmp, "w");
    if (!f) { cache_free(&c); return; }
    int keep = 0, ok = 1;
    for (int i = c.n - 1; i >= 0; i--) {   /* from the newest: this path's and old ones go */
        char h[DIGEST_HEX];
        file_key lk;
        const char *p;
        if (parse_line(c.line[i], h, &lk, &p) == 0 && strcmp(p, abspath) != 0 &&
            keep < CACHE_MAX - 1)
            keep++;
        else
            c.line[i][0] = '\0';
    }
    for (int i = 0; i < c.n; i++)
        if (c.line[i][0] && fprintf(f, "%s\n", c.line[i]) < 0) ok = 0;
    if (fprintf(f, CACHE_MAGIC " %s %lld %lld %lld %lld %lld %llu %llu %s\n", hex, k->size,
                k->mt_s, k->mt_ns, k->ct_s, k->ct_ns, k->dev, k->ino, abspath) < 0)
        ok = 0;
    if (fclose(f) != 0) ok = 0;
    if (!ok || rename(tmp, file) != 0) unlink(tmp);
    cache_free(&c);
}

/* ---- hashing the values --------------------------------------------------- */

typedef struct {
    EVP_MD_CTX *md;
    int64_t bytes;
} hasher;

static int feed(hasher *h, const void *p, size_t n)
{
    h->bytes += (int64_t)n;
    return EVP_DigestUpdate(h->md, p, n) == 1 ? 0 : -1;
}

static int feed_text(hasher *h, const char *s) { return feed(h, s, strlen(s)); }

/* rowblock_each's callback: feeds one block of values to the hasher ctx */
static int feed_block(void *ctx, const void *block, size_t n) { return feed(ctx, block, n); }

/* an integer root attribute, converted to int (any stored integer type) */
static int root_int(hid_t file, const char *path, const char *name, int *v, dett_err *e)
{
    hid_t a = H5Aopen(file, name, H5P_DEFAULT);
    int rc = a >= 0 && H5Aread(a, H5T_NATIVE_INT, v) >= 0 ? 0 : -1;
    if (a >= 0) H5Aclose(a);
    return rc ? dett_fail(e, "%s: cannot read the attribute %s", path, name) : 0;
}

/* feeds "<split>/<name> <type> [dims]\n" and every value of the dataset,
 * converted to mtype, BLOCK_BYTES at a time */
static int feed_dataset(hasher *h, hid_t file, const char *path, const char *split,
                        const char *name, hid_t mtype, const char *tname, dett_err *e)
{
    char where[64], head[256];
    rowblock rb;
    snprintf(where, sizeof where, "/%s/%s", split, name);
    CHECK(rowblock_open(&rb, file, where, path, where, NULL, e));
    if (rb.rank < 1) {
        dett_fail(e, "%s:%s: cannot read its extent", path, where);
        goto fail;
    }
    int k = snprintf(head, sizeof head, "%s %s [", where + 1, tname);
    for (int i = 0; i < rb.rank; i++)
        k += snprintf(head + k, sizeof head - (size_t)k, "%s%llu", i ? "," : "",
                      (unsigned long long)rb.dims[i]);
    snprintf(head + k, sizeof head - (size_t)k, "]\n");
    CHECK_H5(e, feed_text(h, head), "%s: sha256 failed", path);
    int st = rowblock_each(&rb, mtype, BLOCK_BYTES, feed_block, h, e);
    if (st > 0) dett_fail(e, "%s: sha256 failed", path);
    CHECK(st);
    rowblock_close(&rb);
    return 0;
fail:
    rowblock_close(&rb);
    return -1;
}

/* the digest stream of the file at path into h (serial HDF5 open) */
static int hash_values(hasher *h, const char *path, dett_err *e)
{
    static const char *const splits[3] = { "train", "val", "test" };
    char head[96];
    int C = 0, A = 0;
    hid_t f = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT);
    if (f < 0) return dett_fail(e, "%s: cannot open to compute its digest", path);
    CHECK(root_int(f, path, "n_classes", &C, e));
    CHECK(root_int(f, path, "n_attrs", &A, e));
    snprintf(head, sizeof head, DIGEST_VERSION "\nn_classes=%d n_attrs=%d\n", C, A);
    CHECK_H5(e, feed_text(h, head), "%s: sha256 failed", path);
    for (int s = 0; s < 3; s++) {
        CHECK(feed_dataset(h, f, path, splits[s], "X", H5T_IEEE_F32LE, "f32le", e));
        CHECK(feed_dataset(h, f, path, splits[s], "y", H5T_STD_I32LE, "i32le", e));
        CHECK(feed_dataset(h, f, path, splits[s], "a", H5T_STD_I32LE, "i32le", e));
    }
    CHECK_H5(e, H5Fclose(f), "%s: cannot close", path);
    return 0;
fail:
    H5Fclose(f);
    return -1;
}

static double now_s(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

int digest_file(const char *path, data_digest *out, dett_err *e)
{
    char cache[PATH_MAX], abspath[PATH_MAX];
    file_key k0, k1;
    memset(out, 0, sizeof *out);
    if (!realpath(path, abspath) || key_of(abspath, &k0) != 0)
        return dett_fail(e, "%s: %s", path, strerror(errno));
    digest_cache_path(cache, sizeof cache);
    cache_lines c;
    cache_read(cache, &c);
    int hit = cache_lookup(&c, abspath, &k0, out->hex) == 0;
    cache_free(&c);
    if (hit) {
        out->cached = 1;
        return 0;
    }

    hasher h = { EVP_MD_CTX_new(), 0 };
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int len = 0;
    H5E_auto2_t func;
    void *data;
    int quiet = H5Eget_auto2(H5E_DEFAULT, &func, &data) >= 0;
    if (quiet) H5Eset_auto2(H5E_DEFAULT, NULL, NULL);
    double t0 = now_s();
    int rc = -1;
    if (!h.md || EVP_DigestInit_ex(h.md, EVP_sha256(), NULL) != 1)
        dett_fail(e, "%s: sha256 failed", path);
    else if (hash_values(&h, path, e) == 0) {
        if (EVP_DigestFinal_ex(h.md, md, &len) != 1 || len != 32) dett_fail(e, "%s: sha256 failed", path);
        else rc = 0;
    }
    if (quiet) H5Eset_auto2(H5E_DEFAULT, func, data);
    EVP_MD_CTX_free(h.md);
    if (rc) return -1;
    for (unsigned i = 0; i < len; i++) snprintf(out->hex + 2 * i, 3, "%02x", md[i]);
    out->bytes = h.bytes;
    out->seconds = now_s() - t0;
    /* a file rewritten while it was read: the digest is returned, not kept */
    if (key_of(abspath, &k1) == 0 && key_eq(&k0, &k1)) cache_store(cache, abspath, &k0, out->hex);
    return 0;
}

int digest_file_shared(const char *path, MPI_Comm comm, data_digest *out, dett_err *e)
{
    int rank;
    if (!dist_mpi_up()) return digest_file(path, out, e);
    if (MPI_Comm_rank(comm, &rank) != MPI_SUCCESS) return dett_fail(e, "MPI_Comm_rank failed");
    memset(out, 0, sizeof *out);
    int rc = rank == 0 ? digest_file(path, out, e) : 0;
    if (agree(comm, rc, e)) return -1;
    if (MPI_Bcast(out, (int)sizeof *out, MPI_BYTE, 0, comm) != MPI_SUCCESS)
        return dett_fail(e, "%s: MPI_Bcast of the data digest failed", path);
    return 0;
}
