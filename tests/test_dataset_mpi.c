/* test_dataset_mpi.c - the dataset layer under mpiexec -n K: every rank reads
 * its own row block and gets the generator's bits; a bad file or a bad row
 * range on one rank makes every rank fail with the same message; `dett data`
 * writes one file whatever K is. Usage: test_dataset_mpi TAG (file names). */
#define _POSIX_C_SOURCE 200809L
#include "check.h"
#include "cmd.h"
#include "dataset.h"
#include "synth.h"
#include <hdf5.h>
#include <mpi.h>
#include <stdlib.h>
#include <string.h>

static void free_splits(dataset_rows sp[N_SPLITS])
{
    for (int s = 0; s < N_SPLITS; s++) dataset_rows_free(&sp[s]);
}

/* rows [r0, r0 + r->n) of the full split g equal r */
static int rows_match(const dataset_rows *g, int64_t r0, const dataset_rows *r)
{
    int d = g->d;
    return r->row0 == r0 && r->d == d &&
           memcmp(r->X, g->X + r0 * d, (size_t)r->n * (size_t)d * sizeof(float)) == 0 &&
           memcmp(r->y, g->y + r0, (size_t)r->n * sizeof(int32_t)) == 0 &&
           memcmp(r->a, g->a + r0, (size_t)r->n * sizeof(int32_t)) == 0;
}

/* 1 if msg is the same text on every rank of comm */
static int same_everywhere(const char *msg, MPI_Comm comm)
{
    char root[DETT_ERRLEN];
    int rank, diff, any = 0;
    MPI_Comm_rank(comm, &rank);
    if (rank == 0) snprintf(root, sizeof root, "%s", msg);
    MPI_Bcast(root, DETT_ERRLEN, MPI_CHAR, 0, comm);
    diff = strcmp(root, msg) != 0;
    MPI_Allreduce(&diff, &any, 1, MPI_INT, MPI_MAX, comm);
    return !any;
}

int main(int argc, char **argv)
{
    MPI_Init(&argc, &argv);
    int rank, size;
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    MPI_Comm_size(MPI_COMM_WORLD, &size);
    const char *tag = argc > 1 ? argv[1] : "x";
    char path[128], bad[128], cmdp[128];
    snprintf(path, sizeof path, "test_dataset_mpi_%s.h5", tag);
    snprintf(bad, sizeof bad, "test_dataset_mpi_%s_bad.h5", tag);
    snprintf(cmdp, sizeof cmdp, "test_dataset_mpi_%s_cmd.h5", tag);

    synth_opts o = synth_defaults();
    o.n_train = 1003;   /* not a multiple of K */
    o.n_val = 64;
    o.n_test = 37;
    o.d_noise = 3;
    o.seed = 11;
    dataset_info gi, info;
    dataset_rows g[N_SPLITS], r = {0};
    dett_err e = {{0}};
    EXPECT(synth_generate(&o, &gi, g, &e) == 0, "synth: %s", e.msg);
    int wrc = 0;
    if (rank == 0) wrc = dataset_write(path, &gi, g, &e);
    MPI_Bcast(&wrc, 1, MPI_INT, 0, MPI_COMM_WORLD);
    EXPECT(wrc == 0, "write: %s", e.msg);

    EXPECT(dataset_open(path, MPI_COMM_WORLD, &info, &e) == 0, "rank %d open: %s", rank, e.msg);
    EXPECT(memcmp(info.n, gi.n, sizeof gi.n) == 0 &&
           memcmp(info.group_count, gi.group_count, sizeof gi.group_count) == 0, "info");

    /* each rank its own contiguous block of every split (some blocks empty) */
    for (int s = 0; s < N_SPLITS; s++) {
        int64_t n = gi.n[s];
        int64_t r0 = n * rank / size, r1 = n * (rank + 1) / size;
        EXPECT(dataset_read(path, MPI_COMM_WORLD, s, r0, r1 - r0, &r, &e) == 0,
               "rank %d read: %s", rank, e.msg);
        EXPECT(r.n == r1 - r0 && rows_match(&g[s], r0, &r), "rank %d split %d rows differ", rank, s);
        dataset_rows_free(&r);
    }
    /* rank 0 reads nothing, the others overlapping ranges */
    int64_t r0 = rank == 0 ? 0 : 5 * rank, n = rank == 0 ? 0 : 20;
    EXPECT(dataset_read(path, MPI_COMM_WORLD, SPLIT_VAL, r0, n, &r, &e) == 0, "read: %s", e.msg);
    EXPECT(r.n == n && rows_match(&g[SPLIT_VAL], r0, &r), "rank %d overlapping rows differ", rank);
    dataset_rows_free(&r);

    /* a bad range on the last rank only: every rank fails with its message */
    n = rank == size - 1 ? gi.n[SPLIT_TRAIN] : 1;
    memset(&e, 0, sizeof e);
    EXPECT(dataset_read(path, MPI_COMM_WORLD, SPLIT_TRAIN, 3, n, &r, &e) == -1, "rank %d accepted", rank);
    EXPECT(strstr(e.msg, ":/train: rows [3, 1006) out of range") != NULL, "rank %d: %s", rank, e.msg);
    EXPECT(same_everywhere(e.msg, MPI_COMM_WORLD), "messages differ: %s", e.msg);
    EXPECT(r.X == NULL, "failed read left arrays");

    /* a malformed file: every rank refuses it with the same message */
    int brc = 0;
    if (rank == 0) {
        g[SPLIT_TEST].a[30] = 0;   /* still valid for the writer... */
        brc = dataset_write(bad, &gi, g, &e);
        hid_t f = brc ? -1 : H5Fopen(bad, H5F_ACC_RDWR, H5P_DEFAULT);
        hid_t d = f < 0 ? -1 : H5Dopen2(f, "/test/a", H5P_DEFAULT);
        int32_t v = 9;            /* ...then row 30 set out of range in the file */
        hsize_t one = 1, at = 30;
        hid_t fs = d < 0 ? -1 : H5Dget_space(d), ms = H5Screate_simple(1, &one, NULL);
        if (fs < 0 || H5Sselect_hyperslab(fs, H5S_SELECT_SET, &at, NULL, &one, NULL) < 0 ||
            H5Dwrite(d, H5T_NATIVE_INT32, ms, fs, H5P_DEFAULT, &v) < 0)
            brc = -1;
        if (ms >= 0) H5Sclose(ms);
        if (fs >= 0) H5Sclose(fs);
        if (d >= 0) H5Dclose(d);
        if (f >= 0 && H5Fclose(f) < 0) brc = -1;
    }
    MPI_Bcast(&brc, 1, MPI_INT, 0, MPI_COMM_WORLD);
    EXPECT(brc == 0, "could not build the bad file");
    memset(&e, 0, sizeof e);
    EXPECT(dataset_open(bad, MPI_COMM_WORLD, &info, &e) == -1, "rank %d accepted the bad file", rank);
    EXPECT(strstr(e.msg, ":/test/a: value 9 at row 30 out of range 0..1") != NULL, "rank %d: %s", rank, e.msg);
    EXPECT(same_everywhere(e.msg, MPI_COMM_WORLD), "messages differ: %s", e.msg);

    /* dett data on K ranks: one file, every rank exits 0 */
    char *av[] = {"data", "synth", "-o", cmdp, "--n-train", "300", "--seed", "5", NULL};
    EXPECT(cmd_data(8, av) == 0, "rank %d: cmd_data failed", rank);
    EXPECT(dataset_open(cmdp, MPI_COMM_WORLD, &info, &e) == 0 && info.n[0] == 300, "cmd file: %s", e.msg);
    char *bv[] = {"data", "synth", "-o", cmdp, "--p-maj", "2", NULL};
    EXPECT(cmd_data(6, bv) == 2, "rank %d: bad p_maj accepted", rank);

    free_splits(g);
    MPI_Barrier(MPI_COMM_WORLD);
    if (rank == 0) {
        remove(path);
        remove(bad);
        remove(cmdp);
    }
    int rc = TEST_END(), any = 0;
    MPI_Allreduce(&rc, &any, 1, MPI_INT, MPI_MAX, MPI_COMM_WORLD);
    MPI_Finalize();
    return any;
}
