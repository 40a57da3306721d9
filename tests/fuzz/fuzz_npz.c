/* fuzz_npz.c - libFuzzer target for the numpy loader (runtime/data/
 * data_npz.c): an input starting with the .npy magic goes to npy_parse, any
 * other to npz_build_buffer as a .npz (zip) archive, read with libzip from
 * memory. Besides crashes, leaks, UB and hangs it checks the contract: a
 * failure is one non-empty line and leaves nothing allocated; a parsed array
 * has count = prod(shape); an accepted archive gives three non-empty splits
 * with labels in range and finite X.
 */
#include "data_npz.h"
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void fuzz_die(const char *what, const char *msg)
{
    fprintf(stderr, "fuzz_npz: %s: %s\n", what, msg);
    abort();
}

static void check_msg(const dett_err *e, const char *what)
{
    if (!e->msg[0] || strchr(e->msg, '\n')) fuzz_die(what, e->msg);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    dett_err e = { { 0 } };
    if (size >= 6 && memcmp(data, "\x93NUMPY", 6) == 0) {
        npy_array a;
        if (npy_parse(data, size, "fuzz", &a, &e) != 0) {
            check_msg(&e, "npy_parse message");
        } else {
            int64_t c = 1;
            for (int i = 0; i < a.rank; i++) c *= a.shape[i];
            if (c != a.count || !a.v) fuzz_die("npy_parse", "count is not prod(shape)");
            double s = 0;
            for (int64_t i = 0; i < a.count; i++) s += a.v[i];   /* touch every value */
            (void)s;
        }
        npy_free(&a);
        return 0;
    }
    npz_opts o = npz_defaults();
    dataset_info info;
    dataset_rows sp[N_SPLITS];
    if (npz_build_buffer(data, size, "fuzz.npz", &o, &info, sp, &e) != 0) {
        check_msg(&e, "npz_build message");
        for (int s = 0; s < N_SPLITS; s++)
            if (sp[s].X || sp[s].y || sp[s].a) fuzz_die("failed build left rows", e.msg);
        return 0;
    }
    if (info.n_groups != info.n_classes * info.n_attrs || info.n_groups > DATASET_MAX_GROUPS ||
        info.d < 1 || (info.x_rank != 1 && info.x_rank != 3))
        fuzz_die("npz_build accepted inconsistent metadata", info.name);
    for (int s = 0; s < N_SPLITS; s++) {
        if (sp[s].n < 1 || sp[s].d != info.d) fuzz_die("npz_build", "a split without rows");
        for (int64_t i = 0; i < sp[s].n; i++) {
            if (sp[s].y[i] < 0 || sp[s].y[i] >= info.n_classes || sp[s].a[i] < 0 ||
                sp[s].a[i] >= info.n_attrs)
                fuzz_die("npz_build", "a label out of range");
            for (int k = 0; k < sp[s].d; k++)
                if (!isfinite(sp[s].X[i * sp[s].d + k])) fuzz_die("npz_build", "non-finite X");
        }
        dataset_rows_free(&sp[s]);
    }
    return 0;
}
