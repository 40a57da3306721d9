/* test_digest.c - data-file digests (runtime/io/digest.h): the documented
 * stream of values (recomputed here independently), the same digest for a
 * copy, a repacked (chunked, gzip) copy and other attributes; another digest
 * for one changed value; the cache: hit on the second call, miss after a
 * rewrite of the same size, one line per file, garbage lines ignored, off
 * when DETT_DIGEST_CACHE is empty. Runs in test-tmp/digest-test. */
#define _POSIX_C_SOURCE 200809L
#include "check.h"
#include "digest.h"
#include "synth.h"
#include <mpi.h>
#include <openssl/evp.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define DIR "digest-test"
#define CACHE DIR "/cache/data-digests"

static int write_data(const char *path, float bump, const char *name, dataset_info *out)
{
    synth_opts o = synth_defaults();
    dataset_info info;
    dataset_rows g[N_SPLITS];
    dett_err e = { { 0 } };
    o.n_train = 300;
    o.n_val = 40;
    o.n_test = 44;
    o.seed = 3;
    if (synth_generate(&o, &info, g, &e)) return fprintf(stderr, "%s\n", e.msg), -1;
    g[SPLIT_TEST].X[5] += bump;
    if (name) snprintf(info.name, sizeof info.name, "%s", name);
    int rc = dataset_write(path, &info, g, &e);
    if (rc) fprintf(stderr, "%s\n", e.msg);
    if (out) *out = info;
    for (int s = 0; s < N_SPLITS; s++) dataset_rows_free(&g[s]);
    return rc;
}

/* the digest.h stream computed from the generator's rows (little-endian host) */
static void expected_hex(char hex[65])
{
    synth_opts o = synth_defaults();
    dataset_info info;
    dataset_rows g[N_SPLITS];
    dett_err e = { { 0 } };
    o.n_train = 300;
    o.n_val = 40;
    o.n_test = 44;
    o.seed = 3;
    hex[0] = '\0';
    if (synth_generate(&o, &info, g, &e)) return;
    EVP_MD_CTX *md = EVP_MD_CTX_new();
    char head[256];
    EVP_DigestInit_ex(md, EVP_sha256(), NULL);
    snprintf(head, sizeof head, "dett-data-digest/1\nn_classes=%d n_attrs=%d\n", info.n_classes,
             info.n_attrs);
    EVP_DigestUpdate(md, head, strlen(head));
    for (int s = 0; s < N_SPLITS; s++) {
        const char *sn = dataset_split_names[s];
        long long n = (long long)g[s].n;
        snprintf(head, sizeof head, "%s/X f32le [%lld,%d]\n", sn, n, info.d);
        EVP_DigestUpdate(md, head, strlen(head));
        EVP_DigestUpdate(md, g[s].X, sizeof(float) * (size_t)n * (size_t)info.d);
        snprintf(head, sizeof head, "%s/y i32le [%lld]\n", sn, n);
        EVP_DigestUpdate(md, head, strlen(head));
        EVP_DigestUpdate(md, g[s].y, sizeof(int32_t) * (size_t)n);
        snprintf(head, sizeof head, "%s/a i32le [%lld]\n", sn, n);
        EVP_DigestUpdate(md, head, strlen(head));
        EVP_DigestUpdate(md, g[s].a, sizeof(int32_t) * (size_t)n);
    }
    unsigned char out[EVP_MAX_MD_SIZE];
    unsigned len = 0;
    EVP_DigestFinal_ex(md, out, &len);
    EVP_MD_CTX_free(md);
    for (unsigned i = 0; i < len; i++) snprintf(hex + 2 * i, 3, "%02x", out[i]);
    for (int s = 0; s < N_SPLITS; s++) dataset_rows_free(&g[s]);
}

static int lines_of(const char *file)
{
    FILE *f = fopen(file, "r");
    int n = 0, c;
    if (!f) return -1;
    while ((c = fgetc(f)) != EOF) n += c == '\n';
    fclose(f);
    return n;
}

int main(int argc, char **argv)
{
    MPI_Init(&argc, &argv);
    data_digest a, b;
    dett_err e = { { 0 } };
    char want[65];
    if (system("rm -rf " DIR) != 0) fprintf(stderr, "cannot clean " DIR "\n");
    mkdir(DIR, 0777);
    setenv("DETT_DIGEST_CACHE", CACHE, 1);

    EXPECT(write_data(DIR "/a.h5", 0, NULL, NULL) == 0, "write a.h5");
    expected_hex(want);
    EXPECT(digest_file(DIR "/a.h5", &a, &e) == 0, "%s", e.msg);
    EXPECT(!a.cached && a.bytes > 300 * 10 * 4, "first call hashes (%lld bytes)", (long long)a.bytes);
    EXPECT(strcmp(a.hex, want) == 0, "the stream of digest.h: %s vs %s", a.hex, want);
    EXPECT(digest_file(DIR "/a.h5", &b, &e) == 0 && b.cached && b.bytes == 0 &&
           strcmp(a.hex, b.hex) == 0, "second call: from the cache (%d)", b.cached);
    EXPECT(lines_of(CACHE) == 1, "one cache line, got %d", lines_of(CACHE));
    EXPECT(digest_file_shared(DIR "/a.h5", MPI_COMM_WORLD, &b, &e) == 0 && b.cached &&
           strcmp(a.hex, b.hex) == 0, "shared: %s", e.msg);

    /* other attributes, same values: same digest */
    EXPECT(write_data(DIR "/named.h5", 0, "another name", NULL) == 0, "write named.h5");
    EXPECT(digest_file(DIR "/named.h5", &b, &e) == 0 && !b.cached && strcmp(a.hex, b.hex) == 0,
           "a renamed data set: %s", e.msg);
    /* another layout (chunks, gzip): same digest */
    if (system("command -v h5repack > /dev/null 2>&1") == 0) {
        EXPECT(system("h5repack -l CHUNK=7x3 -f GZIP=6 " DIR "/a.h5 " DIR "/packed.h5") == 0,
               "h5repack");
        struct stat s1, s2;
        EXPECT(stat(DIR "/a.h5", &s1) == 0 && stat(DIR "/packed.h5", &s2) == 0 &&
               s1.st_size != s2.st_size, "the repacked file is another file");
        EXPECT(digest_file(DIR "/packed.h5", &b, &e) == 0 && strcmp(a.hex, b.hex) == 0,
               "repacked: %s %s", e.msg, b.hex);
    } else {
        printf("h5repack not found: the repacked case is skipped\n");
    }

    /* one value changed, same path and size: the cache misses, the digest differs */
    EXPECT(write_data(DIR "/a.h5", 1.0f, NULL, NULL) == 0, "rewrite a.h5");
    EXPECT(digest_file(DIR "/a.h5", &b, &e) == 0 && !b.cached && strcmp(a.hex, b.hex) != 0,
           "one value changed: cached %d, %s", b.cached, b.hex);
    EXPECT(digest_file(DIR "/a.h5", &a, &e) == 0 && a.cached && strcmp(a.hex, b.hex) == 0,
           "the new digest is cached");
    EXPECT(lines_of(CACHE) == 3, "one line per file (a, named, packed), got %d", lines_of(CACHE));

    /* garbage in the cache is skipped and dropped on the next write */
    FILE *f = fopen(CACHE, "a");
    EXPECT(f != NULL, "append to the cache");
    if (f) {
        fputs("not a cache line\nv1 zz 1 2 3\n", f);
        fclose(f);
    }
    EXPECT(digest_file(DIR "/a.h5", &b, &e) == 0 && b.cached, "garbage lines are skipped");
    EXPECT(write_data(DIR "/a.h5", 0, NULL, NULL) == 0, "rewrite a.h5");
    EXPECT(digest_file(DIR "/a.h5", &b, &e) == 0 && !b.cached && strcmp(b.hex, want) == 0,
           "back to the first contents: the first digest");
    EXPECT(lines_of(CACHE) == 3, "garbage dropped, got %d lines", lines_of(CACHE));

    /* no cache */
    setenv("DETT_DIGEST_CACHE", "", 1);
    EXPECT(digest_file(DIR "/a.h5", &b, &e) == 0 && !b.cached, "no cache: always hashed");
    EXPECT(digest_file(DIR "/a.h5", &b, &e) == 0 && !b.cached, "no cache: always hashed");
    /* errors */
    EXPECT(digest_file(DIR "/missing.h5", &b, &e) == -1 && strstr(e.msg, "missing.h5: No such file"),
           "missing file: %s", e.msg);
    f = fopen(DIR "/text.h5", "w");
    if (f) { fputs("not hdf5\n", f); fclose(f); }
    EXPECT(digest_file(DIR "/text.h5", &b, &e) == -1 && strstr(e.msg, "text.h5: cannot open"),
           "not HDF5: %s", e.msg);
    MPI_Finalize();
    return TEST_END();
}
