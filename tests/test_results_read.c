/* test_results_read.c - analysis/ reads results files without MPI: the
 * typed configuration of format 2, the same fields from format 1's text
 * (rd_legacy), and the refusal of format versions it does not read.
 *
 * Links dett_analysis alone (the link line has no MPI or ScaLAPACK library)
 * and never calls MPI_Init.
 *
 * Usage: test_results_read FILE   FILE written by `test_results write FILE`
 * (j000 groupdro mlp[64,64] sgd; j002 dett cnn[8,16;k3;max2;fc0] adamw)
 */
#define _POSIX_C_SOURCE 200809L
#include "check.h"
#include "report_internal.h"
#include "results_format.h"
#include <hdf5.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* copies file src to dst; 0 or -1 */
static int copy_file(const char *src, const char *dst)
{
    FILE *in = fopen(src, "rb"), *out = in ? fopen(dst, "wb") : NULL;
    char buf[65536];
    size_t n;
    int rc = in && out ? 0 : -1;
    while (rc == 0 && (n = fread(buf, 1, sizeof buf, in)) > 0)
        if (fwrite(buf, 1, n, out) != n) rc = -1;
    if (in && ferror(in)) rc = -1;
    if (in) fclose(in);
    if (out && fclose(out) != 0) rc = -1;
    return rc;
}

/* the job with this id in d, or NULL */
static const rep_job *job(const rep_data *d, const char *id)
{
    for (int k = 0; k < d->n_jobs; k++)
        if (!strcmp(d->jobs[k].id, id)) return &d->jobs[k];
    return NULL;
}

/* the typed fields that both formats must give */
static void check_typed(const rep_data *d, const char *what)
{
    const rep_job *t = job(d, "j000"), *s = job(d, "j002");
    double v = -1;
    EXPECT(t && s, "%s: jobs j000 and j002", what);
    if (!t || !s) return;
    EXPECT(s->arch_t.cnn == 1 && s->arch_t.n_channels == 2 && s->arch_t.channels[1] == 16 &&
               s->arch_t.fc == 0 && s->arch_t.kernel == 3 && s->arch_t.pool == 2 &&
               s->arch_t.pool_max == 1,
           "%s: cnn[8,16;k3;max2;fc0] read as cnn=%d n=%d fc=%d k=%d pool=%d", what,
           s->arch_t.cnn, s->arch_t.n_channels, s->arch_t.fc, s->arch_t.kernel, s->arch_t.pool);
    /* the bug this guards: a CNN without fc layer plotted at width 0 */
    EXPECT(rep_job_value(s, "width", &v) == 1 && v == 16,
           "%s: width of cnn[8,16;k3;max2;fc0] is %g, expected 16 (its last conv's channels)",
           what, v);
    EXPECT(rep_job_value(t, "width", &v) == 1 && v == 64, "%s: width of mlp[64,64] %g", what, v);
    EXPECT(rep_job_value(s, "up", &v) == 1 && v == 50, "%s: dett up %g", what, v);
    EXPECT(rep_job_value(s, "T", &v) == 1 && v == 1, "%s: dett T %g", what, v);
    EXPECT(rep_job_value(s, "lr", &v) == 0, "%s: lr is not a method or weighting axis", what);
    int found = 0;
    for (int k = 0; k < s->n_oargs; k++)
        if (!strcmp(s->oargs[k].name, "lr") && s->oargs[k].num == 0.001) found++;
        else if (!strcmp(s->oargs[k].name, "name") && s->oargs[k].is_text &&
                 !strcmp(s->oargs[k].text, "adamw"))
            found++;
    EXPECT(found == 2, "%s: optim name adamw and lr 0.001 (%d found)", what, found);
}

/* format 1: the file without its typed attributes and with format_version 1 */
static int make_v1(const char *path)
{
    hid_t f = H5Fopen(path, H5F_ACC_RDWR, H5P_DEFAULT);
    if (f < 0) return -1;
    int rc = 0;
    const char *ids[] = {"j000", "j001", "j002"};
    for (int i = 0; i < 3 && rc == 0; i++) {
        char gp[32];
        snprintf(gp, sizeof gp, RF_JOBS "/%s", ids[i]);
        hid_t g = H5Gopen2(f, gp, H5P_DEFAULT);
        if (g < 0) {
            rc = -1;
            break;
        }
        /* delete by index until no dotted name is left */
        for (int again = 1; again && rc == 0;) {
            again = 0;
            H5O_info_t oi;
            if (H5Oget_info2(g, &oi, H5O_INFO_NUM_ATTRS) < 0) rc = -1;
            for (hsize_t k = 0; rc == 0 && k < oi.num_attrs; k++) {
                char name[128];
                if (H5Aget_name_by_idx(g, ".", H5_INDEX_NAME, H5_ITER_INC, k, name, sizeof name,
                                       H5P_DEFAULT) < 0)
                    rc = -1;
                else if (strchr(name, '.')) {
                    rc = H5Adelete(g, name) < 0 ? -1 : 0;
                    again = 1;
                    break;
                }
            }
        }
        H5Gclose(g);
    }
    int v1 = 1;
    hid_t a = H5Aopen(f, RF_A_FORMAT_VERSION, H5P_DEFAULT);
    if (a < 0 || H5Awrite(a, H5T_NATIVE_INT, &v1) < 0) rc = -1;
    if (a >= 0) H5Aclose(a);
    if (H5Fclose(f) < 0) rc = -1;
    return rc;
}

/* a copy of src with format_version v; then rep_read_file must refuse it */
static void expect_version_refused(const char *src, int v, const char *want)
{
    const char *path = "test_results_read_v.h5";
    EXPECT(copy_file(src, path) == 0, "copy");
    hid_t f = H5Fopen(path, H5F_ACC_RDWR, H5P_DEFAULT);
    hid_t a = f >= 0 ? H5Aopen(f, RF_A_FORMAT_VERSION, H5P_DEFAULT) : -1;
    EXPECT(a >= 0 && H5Awrite(a, H5T_NATIVE_INT, &v) >= 0, "patch format_version");
    if (a >= 0) H5Aclose(a);
    if (f >= 0) H5Fclose(f);
    rep_data d = {0};
    dett_err e = {""};
    EXPECT(rep_read_file(&d, path, &e) == -1 && strstr(e.msg, want),
           "format_version %d: message '%s' lacks '%s'", v, e.msg, want);
    rep_data_free(&d);
    remove(path);
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: test_results_read FILE (from `test_results write FILE`)\n");
        return 2;
    }
    rep_data d = {0};
    dett_err e = {""};
    EXPECT(rep_read_file(&d, argv[1], &e) == 0, "format 2: %s", e.msg);
    check_typed(&d, "format 2");
    rep_data_free(&d);

    const char *v1 = "test_results_read_v1.h5";
    EXPECT(copy_file(argv[1], v1) == 0 && make_v1(v1) == 0, "making a format 1 file");
    EXPECT(rep_read_file(&d, v1, &e) == 0, "format 1: %s", e.msg);
    check_typed(&d, "format 1");
    rep_data_free(&d);
    remove(v1);

    expect_version_refused(argv[1], 99, "format version 99 is newer than this dett reads (1 to 5)");
    expect_version_refused(argv[1], 0, "format version 0 is older than this dett reads");
    return TEST_END();
}
