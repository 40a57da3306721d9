/* fuzz_dataset.c - libFuzzer target for dataset files: file bytes ->
 * dataset_open -> dataset_read of a few rows of each split, on MPI_COMM_SELF.
 *
 * Each input is written to data.h5 in a private temporary directory (the
 * functions take a path and open it with the MPI-IO driver). MPI is
 * initialised once, in LLVMFuzzerInitialize, and finalised at exit. Besides
 * crashes, leaks, UB and hangs it checks the contract of dataset.h: a failure
 * gives one non-empty line and a zeroed info; an accepted file has
 * consistent counts, and the rows read back hold labels in range.
 */
#define _POSIX_C_SOURCE 200809L
#include "dataset.h"
#include <mpi.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static char fuzz_dir[] = "/tmp/dett-fuzz-data-XXXXXX";
static char fuzz_path[sizeof fuzz_dir + 16];

static void fuzz_die(const char *what, const char *msg)
{
    fprintf(stderr, "fuzz_dataset: %s: %s\n", what, msg);
    abort();
}

static void cleanup(void)
{
    int fin = 1;
    unlink(fuzz_path);
    rmdir(fuzz_dir);
    if (MPI_Finalized(&fin) == MPI_SUCCESS && !fin) MPI_Finalize();
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    setenv("HDF5_USE_FILE_LOCKING", "FALSE", 1);
    if (MPI_Init(argc, argv) != MPI_SUCCESS) fuzz_die("MPI_Init", "failed");
    if (!mkdtemp(fuzz_dir)) fuzz_die("mkdtemp", fuzz_dir);
    snprintf(fuzz_path, sizeof fuzz_path, "%s/data.h5", fuzz_dir);
    atexit(cleanup);
    return 0;
}

/* a message must be one non-empty line */
static void check_msg(const dett_err *e, const char *what)
{
    if (!e->msg[0] || strchr(e->msg, '\n')) fuzz_die(what, e->msg);
}

/* reads rows [row0, row0 + n) of split s and checks them against info */
static void read_some(const dataset_info *info, int s, int64_t row0, int64_t n)
{
    dataset_rows r;
    dett_err e = { { 0 } };
    if (dataset_read(fuzz_path, MPI_COMM_SELF, s, row0, n, &r, &e) != 0) {
        check_msg(&e, "dataset_read message");
        if (r.X || r.y || r.a) fuzz_die("failed dataset_read left arrays", e.msg);
        return;
    }
    if (r.n != n || r.row0 != row0 || r.d != info->d) fuzz_die("dataset_read shape", "");
    float sum = 0;
    for (int64_t i = 0; i < n; i++) {
        if (r.y[i] < 0 || r.y[i] >= info->n_classes || r.a[i] < 0 || r.a[i] >= info->n_attrs)
            fuzz_die("dataset_read", "a label out of range in a validated file");
        for (int k = 0; k < r.d; k++) sum += r.X[i * r.d + k];   /* touch every float */
    }
    (void)sum;
    dataset_rows_free(&r);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    FILE *f = fopen(fuzz_path, "wb");
    if (!f || fwrite(data, 1, size, f) != size || fclose(f) != 0) fuzz_die("cannot write", fuzz_path);
    dataset_info info;
    dett_err e = { { 0 } };
    if (dataset_open(fuzz_path, MPI_COMM_SELF, &info, &e) != 0) {
        check_msg(&e, "dataset_open message");
        if (info.n_classes || info.n[SPLIT_TRAIN] || info.d) fuzz_die("failed open left info", e.msg);
        return 0;
    }
    if (info.n_classes < 1 || info.n_attrs < 1 || info.n_groups != info.n_classes * info.n_attrs ||
        info.n_groups > DATASET_MAX_GROUPS || (info.x_rank != 1 && info.x_rank != 3) || info.d < 1)
        fuzz_die("dataset_open accepted inconsistent metadata", info.name);
    for (int s = 0; s < N_SPLITS; s++) {
        int64_t total = 0;
        for (int g = 0; g < info.n_groups; g++) total += info.group_count[s][g];
        if (info.n[s] < 1 || total != info.n[s]) fuzz_die("group counts do not add up", info.name);
        int64_t n = info.n[s] < 4 ? info.n[s] : 4;
        read_some(&info, s, 0, n);
        read_some(&info, s, info.n[s] - 1, 1);
        read_some(&info, s, info.n[s], 0);
    }
    read_some(&info, SPLIT_TRAIN, info.n[SPLIT_TRAIN], 1);   /* refused: out of range */
    return 0;
}
