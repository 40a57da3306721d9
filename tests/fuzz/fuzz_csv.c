/* fuzz_csv.c - libFuzzer target for the CSV importer (runtime/data/
 * data_csv.c): the input is the CSV file, imported with --label y --attr g
 * (the dictionary and seeds hold such headers, wide ones included). Checks
 * the contract: a failure is one non-empty line and leaves nothing
 * allocated; an accepted table gives three non-empty splits, labels in range
 * and finite X.
 */
#define _POSIX_C_SOURCE 200809L
#include "data_builders.h"
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static char fuzz_dir[] = "/tmp/dett-fuzz-csv-XXXXXX";
static char fuzz_path[sizeof fuzz_dir + 16];

static void fuzz_die(const char *what, const char *msg)
{
    fprintf(stderr, "fuzz_csv: %s: %s\n", what, msg);
    abort();
}

static void cleanup(void)
{
    unlink(fuzz_path);
    rmdir(fuzz_dir);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    if (!mkdtemp(fuzz_dir)) fuzz_die("mkdtemp", fuzz_dir);
    snprintf(fuzz_path, sizeof fuzz_path, "%s/in.csv", fuzz_dir);
    atexit(cleanup);
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    FILE *f = fopen(fuzz_path, "wb");
    if (!f || fwrite(data, 1, size, f) != size || fclose(f) != 0) fuzz_die("cannot write", fuzz_path);
    csv_opts o = csv_defaults();
    o.path = fuzz_path;
    o.label = "y";
    o.attr = "g";
    dataset_info info;
    dataset_rows sp[N_SPLITS];
    dett_err e = { { 0 } };
    if (csv_build(&o, &info, sp, &e) != 0) {
        if (!e.msg[0] || strchr(e.msg, '\n')) fuzz_die("csv_build message", e.msg);
        for (int s = 0; s < N_SPLITS; s++)
            if (sp[s].X || sp[s].y || sp[s].a) fuzz_die("failed build left rows", e.msg);
        return 0;
    }
    if (info.n_groups != info.n_classes * info.n_attrs || info.n_groups > DATASET_MAX_GROUPS ||
        info.d < 1)
        fuzz_die("csv_build accepted inconsistent metadata", info.name);
    for (int s = 0; s < N_SPLITS; s++) {
        if (sp[s].n < 1 || sp[s].d != info.d) fuzz_die("csv_build", "a split without rows");
        for (int64_t i = 0; i < sp[s].n; i++) {
            if (sp[s].y[i] < 0 || sp[s].y[i] >= info.n_classes || sp[s].a[i] < 0 ||
                sp[s].a[i] >= info.n_attrs)
                fuzz_die("csv_build", "a label out of range");
            for (int k = 0; k < sp[s].d; k++)
                if (!isfinite(sp[s].X[i * sp[s].d + k])) fuzz_die("csv_build", "non-finite X");
        }
        dataset_rows_free(&sp[s]);
    }
    return 0;
}
