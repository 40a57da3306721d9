/* test_dataset_h5py.c - data files as h5py users write them (see
 * dataset_h5py.py): compressed (gzip, lzf), chunked with partial chunks,
 * resizable, float64 X, big-endian, int8 and int64 labels are read with the
 * same numbers as the plain file; a damaged chunk, NaN/Inf in X, a float64
 * beyond float32, a label 2^40 and a label 0.5 are refused with messages
 * that name the dataset, the row and what to change.
 *
 * usage: test_dataset_h5py make PLAIN.h5          (writes the plain file)
 *        test_dataset_h5py check PLAIN.h5 PREFIX  (under MPI too: each rank
 *                                                   reads its share)
 */
#define _POSIX_C_SOURCE 200809L
#include "check.h"
#include "dataset.h"
#include "synth.h"
#include <mpi.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int make(const char *path)
{
    synth_opts o = synth_defaults();
    o.n_train = 300;
    o.n_val = 60;
    o.n_test = 61;
    o.seed = 11;
    dataset_info info;
    dataset_rows g[N_SPLITS];
    dett_err e = {{0}};
    EXPECT(synth_generate(&o, &info, g, &e) == 0, "synth: %s", e.msg);
    EXPECT(dataset_write(path, &info, g, &e) == 0, "write: %s", e.msg);
    for (int s = 0; s < N_SPLITS; s++) dataset_rows_free(&g[s]);
    return 0;
}

/* this rank's share [r0, r0 + n) of `rows` */
static void share(int64_t rows, int64_t *r0, int64_t *n)
{
    int rank, size;
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    MPI_Comm_size(MPI_COMM_WORLD, &size);
    *r0 = rows * rank / size;
    *n = rows * (rank + 1) / size - *r0;
}

/* every split of `path` holds the same bits as `plain` */
static void same_numbers(const char *plain, const char *path)
{
    dataset_info pi, vi;
    dett_err e = {{0}};
    EXPECT(dataset_open(plain, MPI_COMM_WORLD, &pi, &e) == 0, "%s: %s", plain, e.msg);
    if (dataset_open(path, MPI_COMM_WORLD, &vi, &e) != 0) {
        EXPECT(0, "%s refused: %s", path, e.msg);
        return;
    }
    EXPECT(memcmp(pi.n, vi.n, sizeof pi.n) == 0 && pi.d == vi.d &&
           memcmp(pi.group_count, vi.group_count, sizeof pi.group_count) == 0,
           "%s: shapes or group counts differ", path);
    for (int s = 0; s < N_SPLITS; s++) {
        int64_t r0, n;
        share(pi.n[s], &r0, &n);
        dataset_rows a = {0}, b = {0};
        EXPECT(dataset_read(plain, MPI_COMM_WORLD, s, r0, n, &a, &e) == 0, "%s", e.msg);
        EXPECT(dataset_read(path, MPI_COMM_WORLD, s, r0, n, &b, &e) == 0, "%s: %s", path, e.msg);
        EXPECT(a.n == b.n && a.d == b.d &&
               memcmp(a.X, b.X, (size_t)a.n * (size_t)a.d * sizeof(float)) == 0 &&
               memcmp(a.y, b.y, (size_t)a.n * sizeof(int32_t)) == 0 &&
               memcmp(a.a, b.a, (size_t)a.n * sizeof(int32_t)) == 0,
               "%s: split %d: numbers differ from the plain file", path, s);
        dataset_rows_free(&a);
        dataset_rows_free(&b);
    }
}

static void refused(const char *path, const char *frag, const char *frag2)
{
    dataset_info info;
    dett_err e = {{0}};
    int rc = dataset_open(path, MPI_COMM_WORLD, &info, &e);
    EXPECT(rc == -1 && strstr(e.msg, frag) && strstr(e.msg, frag2), "%s: expected '%s' ... '%s', "
           "got '%s'", path, frag, frag2, rc ? e.msg : "(accepted)");
    EXPECT(!strstr(e.msg, "storage not allocated") && !strstr(e.msg, "out of memory"),
           "%s: the allocation message: %s", path, e.msg);
}

int main(int argc, char **argv)
{
    MPI_Init(&argc, &argv);
    if (argc == 3 && !strcmp(argv[1], "make")) {
        make(argv[2]);
    } else if (argc == 4 && !strcmp(argv[1], "check")) {
        const char *plain = argv[2], *pre = argv[3];
        static const char *const good[] = { "gzip", "lzf", "maxshape", "f64", "be", "int8",
                                            "int64" };
        /* (the damaged chunk's row range is the reading rank's share) */
        static const struct { const char *name, *frag, *frag2; } bad[] = {
            { "badchunk", ":/val/X: cannot read rows 0..", ": HDF5: inflate() failed" },
            { "nan", ":/val/X: value nan at row 7, column 2 is not finite", "" },
            { "inf", ":/test/X: value inf at row 3, column 0 is not finite", "" },
            { "f64big", ":/train/X: value 1e+300 at row 11, column 1 does not fit float32", "" },
            { "big", ":/train/y: value 1099511627776 at row 5 out of range 0..1", "" },
            { "half", ":/train/y: value 0.5 at row 9 is not an integer (store labels as integers", "" },
        };
        char path[1024];
        for (size_t i = 0; i < sizeof good / sizeof good[0]; i++) {
            snprintf(path, sizeof path, "%s%s.h5", pre, good[i]);
            same_numbers(plain, path);
        }
        for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
            snprintf(path, sizeof path, "%s%s.h5", pre, bad[i].name);
            refused(path, bad[i].frag, bad[i].frag2);
        }
    } else {
        fprintf(stderr, "usage: test_dataset_h5py make PLAIN.h5 | check PLAIN.h5 PREFIX\n");
        MPI_Finalize();
        return 2;
    }
    int rc = TEST_END();
    MPI_Finalize();
    return rc;
}
