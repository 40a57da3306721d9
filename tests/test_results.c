/* test_results.c - the results file in one process: the layout on disk
 * (checked with plain HDF5 calls), writes read back after resume, a file
 * readable by h5dump while the run still holds it open (what a killed run
 * leaves), and every refusal (other script, not HDF5, not dett, newer
 * format, truncated) leaving the file untouched; --force replaces.
 *
 * Usage: test_results            the tests (files in the current directory)
 *        test_results write FILE leaves a small results file for results_h5py.py
 */
#define _POSIX_C_SOURCE 200809L
#include "check.h"
#include "h5attr.h"
#include "results.h"
#include <hdf5.h>
#include <math.h>
#include <mpi.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define SHA_A "aaaa1111bbbb2222cccc3333dddd4444eeee5555ffff6666aaaa7777bbbb8888"
#define SHA_B "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
#define N_TRAIN 37

/* ---- fixtures ----------------------------------------------------------- */

/* 3 jobs: j000 a teacher (train), j001 an identification job, j002 a student
 * of both; shapes in info */
static int make_jobs(job_list *l, results_jobinfo info[3])
{
    l->n = l->cap = 3;
    l->jobs = calloc(3, sizeof *l->jobs);
    if (!l->jobs) return -1;
    memset(info, 0, 3 * sizeof *info);
    const job_kind kinds[3] = {JOB_TRAIN, JOB_IDENT, JOB_STUDENT};
    const int E[3] = {4, 2, 5};
    const size_t P[3] = {10, 7, 6};
    for (int i = 0; i < 3; i++) {
        job_spec *j = &l->jobs[i];
        snprintf(j->id, sizeof j->id, "j%03d", i);
        j->kind = kinds[i];
        snprintf(j->data, sizeof j->data, "data/waterbirds.h5");
        j->epochs = E[i];
        j->seed = 1000u + (uint64_t)i;
        j->teacher = i == 2 ? 0 : -1;
        j->ident = i == 2 ? 1 : -1;
        for (int k = 0; k < 64; k++) j->hash[k] = "0123456789abcdef"[(k * 7 + i * 5) % 16];
        j->hash[64] = '\0';
        snprintf(j->canon, sizeof j->canon, "{arch=\"mlp[64,64]\",kind=%d,seed=%d}", i,
                 1000 + i);
        /* j000: group DRO, mlp[64,64], SGD; j002: DeTT with a CNN without fc
         * layer (its width is its last conv's 16 channels), AdamW */
        j->arch = (arch_spec){ARCH_MLP, 2, {64, 64}, 0, {0}, 3, 2, 1, 0};
        j->optim = optim_defaults(OPTIM_SGD);
        j->optim.lr = 0.01f, j->optim.momentum = 0.9f, j->optim.wd = 1e-4f;
        if (i == 0) j->method = (method_spec){.kind = METHOD_GROUPDRO, .eta = 0.01f, .adj = 0};
        if (i == 2) {
            j->arch = (arch_spec){ARCH_CNN, 0, {0}, 2, {8, 16}, 3, 2, 1, 0};
            j->method.kind = METHOD_DETT;
            j->method.weighting = (weighting_spec){WEIGHT_JTT, 1, 50.0f, 0, 0, 0, { 0 }};
            j->optim = optim_defaults(OPTIM_ADAMW);
            j->optim.lr = 1e-3f, j->optim.wd = 1e-4f;
        }
        results_jobinfo *in = &info[i];
        in->epochs = E[i];
        in->groups = 4;
        in->n_attrs = 2;
        in->n_params = P[i];
        in->n_train = N_TRAIN;
        in->batch = 64;
        snprintf(in->optim, sizeof in->optim, "%s",
                 i == 2 ? "adamw(lr=0.001,wd=0.0001)" : "sgd(lr=0.01,momentum=0.9,wd=0.0001)");
        snprintf(in->method, sizeof in->method, "%s", i == 2 ? "dett" : "erm");
        snprintf(in->method_args, sizeof in->method_args, "%s", i == 2 ? "up=50,T=1" : "");
        snprintf(in->arch, sizeof in->arch, "%s", i == 2 ? "cnn[8,16;k3;max2;fc0]" : "mlp[64,64]");
        snprintf(in->weighting, sizeof in->weighting, "%s",
                 i == 2 ? "jtt(T=1,up=50)" : "none");
        snprintf(in->teacher, sizeof in->teacher, "%s", i == 2 ? "j000" : "");
        snprintf(in->ident, sizeof in->ident, "%s", i == 2 ? "j001" : "");
        snprintf(in->select, sizeof in->select, "val-worst");
    }
    return 0;
}

static results_meta meta_for(const char *sha)
{
    results_meta m = {"return grid{}\n", "grid.lua", sha, 1, 1};
    return m;
}

static void remove_all(const char *path)
{
    char tmp[512];
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    remove(path);
    remove(tmp);
}

/* whole file into a malloc'd buffer; NULL if unreadable */
static char *slurp(const char *path, long *n)
{
    FILE *f = fopen(path, "rb");
    char *b = NULL;
    *n = 0;
    if (!f) return NULL;
    if (fseek(f, 0, SEEK_END) == 0 && (*n = ftell(f)) >= 0 && fseek(f, 0, SEEK_SET) == 0 &&
        (b = malloc((size_t)*n + 1)) && fread(b, 1, (size_t)*n, f) == (size_t)*n) {
        b[*n] = '\0';
    } else {
        free(b);
        b = NULL;
    }
    fclose(f);
    return b;
}

static int spit(const char *path, const char *b, long n)
{
    FILE *f = fopen(path, "wb");
    if (!f) return -1;
    int ok = fwrite(b, 1, (size_t)n, f) == (size_t)n;
    return (fclose(f) == 0 && ok) ? 0 : -1;
}

static int exists(const char *path) { return access(path, F_OK) == 0; }

/* the data the tests write for job 0 (E = 4, 3 epochs run) */
static void job0_data(double tl[4], double acc[4 * 2 * 4], double w[8], double a[8],
                      double m[8], int32_t sel[4], float p[10])
{
    for (int e = 0; e < 4; e++) {
        tl[e] = 1.0 / (e + 1);
        for (int k = 0; k < 2; k++) {
            for (int g = 0; g < 4; g++) acc[(e * 2 + k) * 4 + g] = 0.5 + 0.01 * (e * 8 + k * 4 + g);
            w[e * 2 + k] = 0.25 + 0.1 * e + k * 0.01;
            a[e * 2 + k] = 0.75 + 0.01 * e + k * 0.001;
            m[e * 2 + k] = 0.6 + 0.02 * e + k * 0.002;
        }
    }
    sel[0] = 2;
    sel[1] = 1;
    sel[2] = 0;
    sel[3] = 3;
    for (int i = 0; i < 10; i++) p[i] = 0.5f * (float)i - 1.0f;
}

/* writes the rows, job 0's curves, artifacts and error set used by the checks */
static int write_sample(results *r, dett_err *e)
{
    double tl[4], acc[32], w[8], a[8], m[8];
    int32_t sel[4];
    float p[10], p1[7];
    uint8_t es[N_TRAIN];
    job0_data(tl, acc, w, a, m, sel, p);
    for (int i = 0; i < 7; i++) p1[i] = 100.0f + (float)i;
    for (int i = 0; i < N_TRAIN; i++) es[i] = (uint8_t)(i % 3 == 0);
    results_row row0 = {"j000", "train", "", JOB_DONE, "", 1.5, 1, 3};
    results_row row2 = {"j002", "student", "", JOB_FAILED, "killed-run-marker", 0.25, 1, 0};
    CHECK(results_write_row(r, 0, &row0, e));
    CHECK(results_write_job(r, 0, 3, tl, acc, w, a, m, sel, p, e));
    CHECK(results_write_artifact_params(r, 0, p, e));
    CHECK(results_write_artifact_params(r, 1, p1, e));
    CHECK(results_write_error_set(r, 1, 0, 20, es, e));
    CHECK(results_write_error_set(r, 1, 20, 0, es, e));   /* an empty range */
    CHECK(results_write_error_set(r, 1, 20, N_TRAIN - 20, es + 20, e));
    CHECK(results_write_row(r, 2, &row2, e));
    return 0;
fail:
    return -1;
}

/* ---- checks with plain HDF5 --------------------------------------------- */

/* a string attribute must be variable-length UTF-8 (format 2); read with
 * the project's reader */
static int h5_str_attr(hid_t obj, const char *name, char *buf, size_t cap)
{
    dett_err e;
    hid_t a = H5Aopen(obj, name, H5P_DEFAULT), t = a >= 0 ? H5Aget_type(a) : -1;
    int vl = t >= 0 && H5Tget_class(t) == H5T_STRING && H5Tis_variable_str(t) > 0 &&
             H5Tget_cset(t) == H5T_CSET_UTF8;
    if (t >= 0) H5Tclose(t);
    if (a >= 0) H5Aclose(a);
    if (!vl) return -1;
    return h5attr_get_text(obj, name, buf, cap, H5ATTR_EXACT, "test", &e);
}

/* a 1-D string array attribute's element k (variable-length) into buf */
static int h5_str_elem(hid_t obj, const char *name, int k, char *buf, size_t cap)
{
    hid_t a = H5Aopen(obj, name, H5P_DEFAULT), t = -1, sp = -1;
    char *v[8] = {NULL};
    int rc = -1;
    if (a < 0) return -1;
    if ((t = H5Aget_type(a)) >= 0 && (sp = H5Aget_space(a)) >= 0 &&
        H5Sget_simple_extent_npoints(sp) > k && H5Sget_simple_extent_npoints(sp) <= 8 &&
        H5Aread(a, t, v) >= 0) {
        snprintf(buf, cap, "%s", v[k] ? v[k] : "");
        rc = 0;
        H5Dvlen_reclaim(t, sp, H5P_DEFAULT, v);
    }
    if (sp >= 0) H5Sclose(sp);
    if (t >= 0) H5Tclose(t);
    H5Aclose(a);
    return rc;
}

static int h5_i64_attr(hid_t obj, const char *name, int64_t *v)
{
    hid_t a = H5Aopen(obj, name, H5P_DEFAULT);
    if (a < 0) return -1;
    int rc = H5Aread(a, H5T_NATIVE_INT64, v) < 0 ? -1 : 0;
    H5Aclose(a);
    return rc;
}

/* reads a whole dataset as native type t into buf (n elements); -1 on error
 * or if the dataset holds a different number of elements */
static int h5_read_all(hid_t f, const char *name, hid_t t, void *buf, hssize_t n)
{
    hid_t d = H5Dopen2(f, name, H5P_DEFAULT), s = -1;
    int rc = -1;
    if (d < 0) return -1;
    if ((s = H5Dget_space(d)) >= 0 && H5Sget_simple_extent_npoints(s) == n &&
        H5Dread(d, t, H5S_ALL, H5S_ALL, H5P_DEFAULT, buf) >= 0)
        rc = 0;
    if (s >= 0) H5Sclose(s);
    H5Dclose(d);
    return rc;
}

static int h5_link(hid_t f, const char *name) { return H5Lexists(f, name, H5P_DEFAULT) > 0; }

/* the layout of a fresh file, after write_sample, checked with serial HDF5 */
static void check_layout(const char *path, const job_list *jobs)
{
    hid_t f = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT);
    EXPECT(f >= 0, "%s: serial H5Fopen failed", path);
    if (f < 0) return;
    char s[256], name[160];
    int64_t v = -1;
    EXPECT(h5_str_attr(f, "format", s, sizeof s) == 0 && !strcmp(s, "dett-results"), "%s", s);
    EXPECT(h5_i64_attr(f, "format_version", &v) == 0 && v == 5 && v == RF_FORMAT_VERSION,
           "%lld", (long long)v);
    EXPECT(h5_i64_attr(f, "n_jobs", &v) == 0 && v == 3, "%lld", (long long)v);
    EXPECT(h5_i64_attr(f, "world_size", &v) == 0 && v == 1, "%lld", (long long)v);
    EXPECT(h5_str_attr(f, "script_sha256", s, sizeof s) == 0 && !strcmp(s, SHA_A), "%s", s);
    EXPECT(h5_str_attr(f, "script_path", s, sizeof s) == 0 && !strcmp(s, "grid.lua"), "%s", s);
    EXPECT(h5_str_attr(f, "script", s, sizeof s) == 0 && !strcmp(s, "return grid{}\n"), "%s", s);
    EXPECT(h5_str_attr(f, "start_time", s, sizeof s) == 0 && strlen(s) == 20 && s[10] == 'T' &&
               s[19] == 'Z', "start_time '%s'", s);
    EXPECT(h5_str_attr(f, "git_commit", s, sizeof s) == 0 && s[0], "git_commit '%s'", s);
    EXPECT(h5_str_attr(f, "dett_version", s, sizeof s) == 0 && s[0], "dett_version '%s'", s);
    for (int i = 0; i < 3; i++) {
        const job_spec *j = &jobs->jobs[i];
        snprintf(name, sizeof name, "/jobs/%s", j->id);
        EXPECT(h5_link(f, name), "%s missing", name);
        snprintf(name, sizeof name, "/artifacts/%s", j->hash);
        EXPECT(h5_link(f, name) == (j->kind != JOB_STUDENT), "%s", name);
    }
    snprintf(name, sizeof name, "/artifacts/%s/error_set", jobs->jobs[1].hash);
    EXPECT(h5_link(f, name), "%s missing", name);
    snprintf(name, sizeof name, "/artifacts/%s/error_set", jobs->jobs[0].hash);
    EXPECT(!h5_link(f, name), "%s should not exist", name);

    /* the table: field names and sizes, initial and written rows */
    hid_t d = H5Dopen2(f, "/jobs/table", H5P_DEFAULT), t = d >= 0 ? H5Dget_type(d) : -1;
    EXPECT(t >= 0 && H5Tget_nmembers(t) == 8, "table type");
    const char *names[8] = {"id", "kind", "hash", "status", "error", "wall_seconds", "ranks",
                            "epochs_run"};
    const size_t sizes[8] = {16, 8, 65, 4, 256, 8, 4, 4};
    for (int k = 0; t >= 0 && k < 8; k++) {
        char *mn = H5Tget_member_name(t, (unsigned)k);
        hid_t mt = H5Tget_member_type(t, (unsigned)k);
        EXPECT(mn && !strcmp(mn, names[k]), "member %d is %s", k, mn ? mn : "?");
        EXPECT(mt >= 0 && H5Tget_size(mt) == sizes[k], "member %s size", names[k]);
        if (k == 0) EXPECT(H5Tget_strpad(mt) == H5T_STR_NULLPAD, "id not NUL-padded");
        if (mn) H5free_memory(mn);
        if (mt >= 0) H5Tclose(mt);
    }
    if (t >= 0) H5Tclose(t);
    if (d >= 0) H5Dclose(d);
    /* read it back through the library's memory type layout, built here by hand */
    hid_t rt = H5Tcreate(H5T_COMPOUND, sizeof(results_row));
    hid_t s16 = H5Tcopy(H5T_C_S1), s8 = H5Tcopy(H5T_C_S1), s65 = H5Tcopy(H5T_C_S1),
          s256 = H5Tcopy(H5T_C_S1);
    H5Tset_size(s16, 16), H5Tset_size(s8, 8), H5Tset_size(s65, 65), H5Tset_size(s256, 256);
    H5Tset_strpad(s16, H5T_STR_NULLPAD), H5Tset_strpad(s8, H5T_STR_NULLPAD);
    H5Tset_strpad(s65, H5T_STR_NULLPAD), H5Tset_strpad(s256, H5T_STR_NULLPAD);
    H5Tinsert(rt, "id", offsetof(results_row, id), s16);
    H5Tinsert(rt, "kind", offsetof(results_row, kind), s8);
    H5Tinsert(rt, "hash", offsetof(results_row, hash), s65);
    H5Tinsert(rt, "status", offsetof(results_row, status), H5T_NATIVE_INT32);
    H5Tinsert(rt, "error", offsetof(results_row, error), s256);
    H5Tinsert(rt, "wall_seconds", offsetof(results_row, wall_seconds), H5T_NATIVE_DOUBLE);
    H5Tinsert(rt, "ranks", offsetof(results_row, ranks), H5T_NATIVE_INT32);
    H5Tinsert(rt, "epochs_run", offsetof(results_row, epochs_run), H5T_NATIVE_INT32);
    results_row rows[3];
    memset(rows, 0, sizeof rows);
    EXPECT(h5_read_all(f, "/jobs/table", rt, rows, 3) == 0, "table read");
    EXPECT(!strcmp(rows[0].id, "j000") && !strcmp(rows[0].kind, "train") &&
               rows[0].status == JOB_DONE && rows[0].wall_seconds == 1.5 &&
               rows[0].epochs_run == 3, "row 0: %s %s %d", rows[0].id, rows[0].kind,
           rows[0].status);
    EXPECT(!strcmp(rows[1].id, "j001") && !strcmp(rows[1].kind, "ident") &&
               !strcmp(rows[1].hash, jobs->jobs[1].hash) && rows[1].status == JOB_PENDING &&
               rows[1].ranks == 0, "row 1 initial: %s %s %d", rows[1].id, rows[1].kind,
           rows[1].status);
    EXPECT(rows[2].status == JOB_FAILED && !strcmp(rows[2].error, "killed-run-marker"),
           "row 2: %d %s", rows[2].status, rows[2].error);
    H5Tclose(s16), H5Tclose(s8), H5Tclose(s65), H5Tclose(s256), H5Tclose(rt);

    /* job attributes */
    hid_t g = H5Gopen2(f, "/jobs/j002", H5P_DEFAULT);
    EXPECT(g >= 0, "open /jobs/j002");
    if (g >= 0) {
        EXPECT(h5_str_attr(g, "config", s, sizeof s) == 0 && !strcmp(s, jobs->jobs[2].canon),
               "config %s", s);
        EXPECT(h5_str_attr(g, "kind", s, sizeof s) == 0 && !strcmp(s, "student"), "%s", s);
        EXPECT(h5_str_attr(g, "method", s, sizeof s) == 0 && !strcmp(s, "dett"), "%s", s);
        EXPECT(h5_str_attr(g, "method_args", s, sizeof s) == 0 && !strcmp(s, "up=50,T=1"),
               "%s", s);
        EXPECT(h5_str_attr(g, "weighting", s, sizeof s) == 0 && !strcmp(s, "jtt(T=1,up=50)"),
               "%s", s);
        EXPECT(h5_str_attr(g, "dataset", s, sizeof s) == 0 && !strcmp(s, "data/waterbirds.h5"),
               "%s", s);
        EXPECT(h5_str_attr(g, "teacher", s, sizeof s) == 0 && !strcmp(s, "j000"), "%s", s);
        EXPECT(h5_str_attr(g, "ident", s, sizeof s) == 0 && !strcmp(s, "j001"), "%s", s);
        EXPECT(h5_str_attr(g, "select", s, sizeof s) == 0 && !strcmp(s, "val-worst"), "%s", s);
        EXPECT(h5_str_attr(g, "hash", s, sizeof s) == 0 && !strcmp(s, jobs->jobs[2].hash),
               "%s", s);
        EXPECT(h5_i64_attr(g, "seed", &v) == 0 && v == 1002, "seed %lld", (long long)v);
        EXPECT(h5_i64_attr(g, "epochs", &v) == 0 && v == 5, "epochs %lld", (long long)v);
        EXPECT(h5_i64_attr(g, "groups", &v) == 0 && v == 4, "groups %lld", (long long)v);
        EXPECT(h5_i64_attr(g, "n_attrs", &v) == 0 && v == 2, "n_attrs %lld", (long long)v);
        /* typed configuration */
        dett_err te;
        int w[8], nw = -1;
        long long iv = -1;
        double dv = -1;
        EXPECT(h5_str_attr(g, RF_J_ARCH_KIND, s, sizeof s) == 0 && !strcmp(s, "cnn"), "%s", s);
        EXPECT(h5attr_get_ints(g, RF_J_ARCH_CHANNELS, w, 8, &nw, "t", &te) == 0 && nw == 2 &&
                   w[0] == 8 && w[1] == 16, "arch.channels %d", nw);
        EXPECT(h5attr_get_int(g, RF_J_ARCH_FC, 0, 99, &iv, "t", &te) == 0 && iv == 0, "fc");
        EXPECT(h5attr_get_int(g, RF_J_ARCH_KERNEL, 0, 99, &iv, "t", &te) == 0 && iv == 3, "k");
        EXPECT(h5attr_get_int(g, RF_J_ARCH_WIDTH, 0, 99, &iv, "t", &te) == 0 && iv == 16,
               "arch.width %lld (the fc0 CNN's width is its last conv's channels)", iv);
        EXPECT(h5_str_attr(g, RF_J_ARCH_POOL_KIND, s, sizeof s) == 0 && !strcmp(s, "max"), "%s",
               s);
        EXPECT(h5_str_attr(g, RF_J_OPTIM_NAME, s, sizeof s) == 0 && !strcmp(s, "adamw"), "%s", s);
        EXPECT(h5attr_get_double(g, "optim.lr", &dv, "t", &te) == 0 && dv == 0.001,
               "optim.lr %.17g (the decimal, not the float's expansion)", dv);
        EXPECT(h5attr_get_double(g, "optim.beta2", &dv, "t", &te) == 0 && dv == 0.999, "%g", dv);
        EXPECT(h5_str_attr(g, RF_J_WEIGHTING_KIND, s, sizeof s) == 0 && !strcmp(s, "jtt"), "%s",
               s);
        EXPECT(h5attr_get_double(g, "weighting.up", &dv, "t", &te) == 0 && dv == 50, "%g", dv);
        EXPECT(h5attr_get_double(g, "weighting.T", &dv, "t", &te) == 0 && dv == 1, "%g", dv);
        h5attr_value mv[4];
        int nm = -1;
        EXPECT(h5attr_list(g, RF_J_METHOD_PREFIX, mv, 4, &nm, "t", &te) == 0 && nm == 0,
               "dett has no method.* arguments of its own: %d", nm);
        /* what each dataset is */
        hid_t d = H5Dopen2(g, RF_D_ACC, H5P_DEFAULT);
        EXPECT(d >= 0 && h5_str_elem(d, RF_X_AXES, 0, s, sizeof s) == 0 && !strcmp(s, "epoch"),
               "acc @axes[0] %s", s);
        EXPECT(d >= 0 && h5_str_elem(d, RF_X_AXES, 2, s, sizeof s) == 0 && !strcmp(s, "group"),
               "acc @axes[2] %s", s);
        EXPECT(d >= 0 && h5_str_elem(d, RF_X_SPLIT, 1, s, sizeof s) == 0 && !strcmp(s, "test"),
               "acc @split[1] %s", s);
        EXPECT(d >= 0 && h5_str_attr(d, RF_X_UNITS, s, sizeof s) == 0 && !strcmp(s, "1"),
               "acc @units %s", s);
        EXPECT(d >= 0 && h5_i64_attr(d, RF_X_EPOCH_BASE, &v) == 0 && v == 0, "epoch_base");
        if (d >= 0) H5Dclose(d);
        d = H5Dopen2(g, RF_D_SELECTED, H5P_DEFAULT);
        EXPECT(d >= 0 && h5_str_elem(d, RF_X_SELECT, 2, s, sizeof s) == 0 &&
                   !strcmp(s, "oracle"), "selected @select[2] %s", s);
        if (d >= 0) H5Dclose(d);
        H5Gclose(g);
    }
    g = H5Gopen2(f, "/jobs/j000", H5P_DEFAULT);
    if (g >= 0) {
        dett_err te;
        h5attr_value mv[4];
        int nm = -1;
        EXPECT(h5attr_list(g, RF_J_METHOD_PREFIX, mv, 4, &nm, "t", &te) == 0 && nm == 2 &&
                   !strcmp(mv[0].name, "adj") && mv[0].num == 0 &&
                   !strcmp(mv[1].name, "eta") && mv[1].num == 0.01,
               "groupdro method.*: %d %s", nm, te.msg);
        int w[8], nw = -1;
        EXPECT(h5attr_get_ints(g, RF_J_ARCH_WIDTHS, w, 8, &nw, "t", &te) == 0 && nw == 2 &&
                   w[1] == 64, "arch.widths");
        H5Gclose(g);
    }
    {
        hid_t d = H5Dopen2(f, RF_TABLE, H5P_DEFAULT);
        EXPECT(d >= 0 && h5_str_elem(d, RF_X_STATUS, 3, s, sizeof s) == 0 &&
                   !strcmp(s, "failed"), "table @status[3] %s", s);
        if (d >= 0) H5Dclose(d);
    }
    g = H5Gopen2(f, "/jobs/j000", H5P_DEFAULT);
    EXPECT(g >= 0 && h5_str_attr(g, "teacher", s, sizeof s) == 0 && s[0] == '\0',
           "j000 teacher '%s'", s);
    if (g >= 0) H5Gclose(g);

    /* fill values of the untouched student; the written and unwritten rows of job 0 */
    double acc[5 * 2 * 4], tl[5];
    int32_t sel[4] = {0, 0, 0, 0};
    float p[10];
    int nan_all = h5_read_all(f, "/jobs/j002/acc", H5T_NATIVE_DOUBLE, acc, 40) == 0;
    for (int i = 0; i < 40; i++) nan_all = nan_all && isnan(acc[i]);
    EXPECT(nan_all, "j002/acc not NaN-filled");
    EXPECT(h5_read_all(f, "/jobs/j002/selected", H5T_NATIVE_INT32, sel, 4) == 0 &&
               sel[0] == -1 && sel[1] == -1 && sel[2] == -1 && sel[3] == -1, "selected fill %d", sel[0]);
    EXPECT(h5_read_all(f, "/jobs/j002/params", H5T_NATIVE_FLOAT, p, 6) == 0 && p[0] == 0.0f &&
               p[5] == 0.0f, "params fill");
    EXPECT(h5_read_all(f, "/jobs/j000/train_loss", H5T_NATIVE_DOUBLE, tl, 4) == 0 &&
               tl[0] == 1.0 && tl[2] == 1.0 / 3 && isnan(tl[3]), "j000 train_loss %g %g %g",
           tl[0], tl[2], tl[3]);
    EXPECT(h5_read_all(f, "/jobs/j000/acc", H5T_NATIVE_DOUBLE, acc, 32) == 0 &&
               acc[0] == 0.5 && acc[23] == 0.5 + 0.01 * 23 && isnan(acc[24]) && isnan(acc[31]),
           "j000 acc");
    EXPECT(h5_read_all(f, "/jobs/j000/selected", H5T_NATIVE_INT32, sel, 4) == 0 &&
               sel[0] == 2 && sel[1] == 1 && sel[2] == 0 && sel[3] == 3, "j000 selected");
    H5Fclose(f);
}

/* the h5dump of the table, taken while this process holds the file open */
static void check_h5dump_while_open(const char *path)
{
    char cmd[1024], out[512];
    long n;
    snprintf(out, sizeof out, "%s.dump", path);
    snprintf(cmd, sizeof cmd, "h5dump -d /jobs/table -d /jobs/j000/train_loss %s > %s 2>&1",
             path, out);
    int rc = system(cmd);
    char *text = slurp(out, &n);
    EXPECT(rc == 0, "h5dump of the open file exited %d: %s", rc, text ? text : "");
    EXPECT(text && strstr(text, "killed-run-marker"), "written row not visible to h5dump");
    EXPECT(text && strstr(text, "0.333333"), "written curve not visible to h5dump");
    free(text);
    remove(out);
}

/* ---- tests -------------------------------------------------------------- */

/* create, write, check the layout, resume and read back */
static void test_create_resume(const job_list *jobs, const results_jobinfo *info)
{
    const char *path = "test_results_main.h5";
    results_meta meta = meta_for(SHA_A);
    results *r = NULL;
    dett_err e = {""};
    remove_all(path);
    EXPECT(results_open(&r, path, MPI_COMM_WORLD, jobs, info, &meta, 0, &e) == 0, "%s", e.msg);
    EXPECT(!exists("test_results_main.h5.tmp"), "temporary file left behind");
    if (!r) return;
    EXPECT(write_sample(r, &e) == 0, "%s", e.msg);
    check_h5dump_while_open(path);

    /* misuse is refused with a message */
    uint8_t es[4] = {0};
    double x[64] = {0};
    results_row row;
    EXPECT(results_write_error_set(r, 0, 0, 1, es, &e) < 0 && strstr(e.msg, "no error_set"),
           "%s", e.msg);
    EXPECT(results_write_error_set(r, 1, N_TRAIN - 1, 2, es, &e) < 0 && strstr(e.msg, "outside"),
           "%s", e.msg);
    EXPECT(results_write_artifact_params(r, 2, (float *)x, &e) < 0, "student artifact");
    EXPECT(results_write_job(r, 1, 3, x, x, x, x, x, NULL, NULL, &e) < 0 &&
               strstr(e.msg, "epochs_run 3"), "%s", e.msg);
    EXPECT(results_read_row(r, 3, &row, &e) < 0 && strstr(e.msg, "out of range"), "%s", e.msg);
    EXPECT(results_close(r, &e) == 0, "%s", e.msg);
    EXPECT(results_close(NULL, &e) == 0, "close NULL");
    check_layout(path, jobs);

    /* resume: the same script reads back what was written */
    r = NULL;
    EXPECT(results_open(&r, path, MPI_COMM_WORLD, jobs, info, &meta, 0, &e) == 0, "%s", e.msg);
    if (!r) return;
    double tl[4], acc[32], w[8], a[8], m[8];
    int32_t sel[4];
    float p[10], q[10];
    uint8_t got[N_TRAIN];
    job0_data(tl, acc, w, a, m, sel, p);
    EXPECT(results_read_row(r, 0, &row, &e) == 0 && !strcmp(row.id, "j000") &&
               row.status == JOB_DONE && row.wall_seconds == 1.5 && row.ranks == 1 &&
               row.epochs_run == 3 && !strcmp(row.hash, jobs->jobs[0].hash),
           "row 0 %s %d", row.id, row.status);
    EXPECT(results_read_row(r, 1, &row, &e) == 0 && row.status == JOB_PENDING &&
               !strcmp(row.kind, "ident"), "row 1 %d", row.status);
    EXPECT(results_read_row(r, 2, &row, &e) == 0 && row.status == JOB_FAILED &&
               !strcmp(row.error, "killed-run-marker"), "row 2 %s", row.error);
    memset(q, 0, sizeof q);
    EXPECT(results_read_params(r, 0, q, &e) == 0 && !memcmp(p, q, sizeof p), "job params");
    memset(q, 0, sizeof q);
    EXPECT(results_read_artifact_params(r, 0, q, &e) == 0 && !memcmp(p, q, sizeof p),
           "artifact params");
    EXPECT(results_read_artifact_params(r, 1, q, &e) == 0 && q[0] == 100.0f && q[6] == 106.0f,
           "ident artifact params");
    memset(got, 9, sizeof got);
    int ok = results_read_error_set(r, 1, 0, N_TRAIN, got, &e) == 0;
    for (int i = 0; i < N_TRAIN; i++) ok = ok && got[i] == (i % 3 == 0);
    EXPECT(ok, "error set: %s", e.msg);
    EXPECT(results_read_error_set(r, 1, 5, 0, got, &e) == 0, "empty read");
    /* rewriting a row after resume */
    results_row again = {"j001", "ident", "", JOB_RUNNING, "", 0, 1, 0};
    snprintf(again.hash, sizeof again.hash, "%s", jobs->jobs[1].hash);
    EXPECT(results_write_row(r, 1, &again, &e) == 0, "%s", e.msg);
    EXPECT(results_read_row(r, 1, &row, &e) == 0 && row.status == JOB_RUNNING, "rewrite");
    EXPECT(results_close(r, &e) == 0, "%s", e.msg);
}

/* what a refused open must do: fail with msg containing `want`, touch nothing */
static void expect_refused(const char *path, const job_list *jobs, const results_jobinfo *info,
                           const char *sha, const char *want, const char *want2)
{
    results_meta meta = meta_for(sha);
    results *r = (results *)&meta;   /* must come back NULL */
    dett_err e = {""};
    long n0, n1;
    char tmp[512];
    char *before = slurp(path, &n0);
    int rc = results_open(&r, path, MPI_COMM_WORLD, jobs, info, &meta, 0, &e);
    char *after = slurp(path, &n1);
    EXPECT(rc < 0 && r == NULL, "%s: open was not refused", path);
    EXPECT(strstr(e.msg, path) && strstr(e.msg, want) && (!want2 || strstr(e.msg, want2)),
           "%s: message '%s' lacks '%s'", path, e.msg, want);
    EXPECT(before && after && n0 == n1 && !memcmp(before, after, (size_t)n0),
           "%s: refused file was modified", path);
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    EXPECT(!exists(tmp), "%s left behind", tmp);
    printf("refused as expected: %s\n", e.msg);
    free(before);
    free(after);
    if (rc == 0) results_close(r, &e);
}

/* a fresh results file at path for the checks below */
static int fresh(const char *path, const job_list *jobs, const results_jobinfo *info)
{
    results_meta meta = meta_for(SHA_A);
    results *r = NULL;
    dett_err e = {""};
    remove_all(path);
    int rc = results_open(&r, path, MPI_COMM_WORLD, jobs, info, &meta, 0, &e);
    if (rc == 0) rc = write_sample(r, &e);
    if (r && results_close(r, &e) != 0) rc = -1;
    EXPECT(rc == 0, "%s", e.msg);
    return rc;
}

static void test_refusals(const job_list *jobs, const results_jobinfo *info)
{
    dett_err e = {""};
    results *r = NULL;

    /* the file is a store: another script's run reuses what it holds, a new
     * job (an unseen hash) adds a row at the end and leaves the others
     * alone; --force replaces it */
    const char *other = "test_results_other.h5";
    if (fresh(other, jobs, info) == 0) {
        results_meta mb = meta_for(SHA_B);
        job_list changed = *jobs;
        job_spec js[3];
        memcpy(js, jobs->jobs, sizeof js);
        js[2].hash[0] = js[2].hash[0] == 'f' ? 'e' : 'f';
        changed.jobs = js;
        int stored = -1;
        EXPECT(results_adopt_ids(other, MPI_COMM_WORLD, &changed, 0, &stored, &e) == 0 &&
                   stored == 2 && !strcmp(js[0].id, "j000") && !strcmp(js[2].id, "j003"),
               "adopt: %d stored, ids %s %s: %s", stored, js[0].id, js[2].id, e.msg);
        EXPECT(results_open(&r, other, MPI_COMM_WORLD, &changed, info, &mb, 0, &e) == 0, "%s",
               e.msg);
        if (r) {
            results_row row;
            float q[10] = {0};
            EXPECT(results_read_row(r, 0, &row, &e) == 0 && row.status == JOB_DONE &&
                       row.epochs_run == 3, "stored job not kept: %d", row.status);
            EXPECT(results_read_params(r, 0, q, &e) == 0 && q[0] != 0.0f, "stored params %g",
                   q[0]);
            EXPECT(results_read_row(r, 2, &row, &e) == 0 && row.status == JOB_PENDING &&
                       !strcmp(row.id, "j003"), "new job row: %s %d", row.id, row.status);
            EXPECT(results_close(r, &e) == 0, "%s", e.msg);
            r = NULL;
        }
        hid_t f = H5Fopen(other, H5F_ACC_RDONLY, H5P_DEFAULT);
        char s[128] = "";
        int64_t nj = 0;
        EXPECT(f >= 0 && h5_str_attr(f, "script_sha256", s, sizeof s) == 0 &&
                   !strcmp(s, SHA_B) && h5_i64_attr(f, "n_jobs", &nj) == 0 && nj == 4,
               "grown store: sha %s, %lld rows", s, (long long)nj);
        EXPECT(f >= 0 && H5Lexists(f, "/scripts/" SHA_A, H5P_DEFAULT) > 0 &&
                   H5Lexists(f, "/scripts/" SHA_B, H5P_DEFAULT) > 0 &&
                   H5Lexists(f, "/jobs/j003", H5P_DEFAULT) > 0, "scripts or new job missing");
        if (f >= 0) H5Fclose(f);
        EXPECT(results_open(&r, other, MPI_COMM_WORLD, jobs, info, &mb, 1, &e) == 0, "%s",
               e.msg);
        if (r) {
            results_row row;
            float q[10] = {1};
            EXPECT(results_read_row(r, 0, &row, &e) == 0 && row.status == JOB_PENDING &&
                       row.epochs_run == 0, "forced file not fresh: %d", row.status);
            EXPECT(results_read_params(r, 0, q, &e) == 0 && q[0] == 0.0f && q[9] == 0.0f,
                   "forced params %g", q[0]);
            EXPECT(results_close(r, &e) == 0, "%s", e.msg);
            r = NULL;
        }
    }

    /* not HDF5: a text file; also an empty file */
    const char *text = "test_results_text.h5";
    const char body[] = "these are my notes, not results\n";
    EXPECT(spit(text, body, (long)sizeof body - 1) == 0, "write %s", text);
    expect_refused(text, jobs, info, SHA_A, "is not an HDF5 file", "--force");
    const char *empty = "test_results_empty.h5";
    EXPECT(spit(empty, "", 0) == 0, "write %s", empty);
    expect_refused(empty, jobs, info, SHA_A, "is not an HDF5 file", NULL);

    /* HDF5 but not dett's */
    const char *foreign = "test_results_foreign.h5";
    hid_t f = H5Fcreate(foreign, H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
    EXPECT(f >= 0 && H5Fclose(f) >= 0, "create %s", foreign);
    expect_refused(foreign, jobs, info, SHA_A, "is not a dett results file", NULL);

    /* truncated: the first half of a good file's bytes */
    const char *good = "test_results_good.h5", *trunc = "test_results_trunc.h5";
    long n;
    char *bytes;
    if (fresh(good, jobs, info) == 0 && (bytes = slurp(good, &n))) {
        EXPECT(spit(trunc, bytes, n / 2) == 0, "write %s", trunc);
        free(bytes);
        expect_refused(trunc, jobs, info, SHA_A, "refusing to overwrite it", NULL);
    }

    /* a newer format version */
    const char *newer = "test_results_newer.h5";
    if (fresh(newer, jobs, info) == 0) {
        hid_t nf = H5Fopen(newer, H5F_ACC_RDWR, H5P_DEFAULT);
        hid_t a = nf >= 0 ? H5Aopen(nf, "format_version", H5P_DEFAULT) : -1;
        int v99 = 99;
        EXPECT(a >= 0 && H5Awrite(a, H5T_NATIVE_INT, &v99) >= 0, "patch format_version");
        if (a >= 0) H5Aclose(a);
        if (nf >= 0) H5Fclose(nf);
        expect_refused(newer, jobs, info, SHA_A, "version 99 is newer", "version 5");
    }
    /* an older format version: cannot be resumed, the message says so and why */
    const char *older = "test_results_older.h5";
    if (fresh(older, jobs, info) == 0) {
        hid_t nf = H5Fopen(older, H5F_ACC_RDWR, H5P_DEFAULT);
        hid_t a = nf >= 0 ? H5Aopen(nf, RF_A_FORMAT_VERSION, H5P_DEFAULT) : -1;
        int v1 = 1;
        EXPECT(a >= 0 && H5Awrite(a, H5T_NATIVE_INT, &v1) >= 0, "patch format_version");
        if (a >= 0) H5Aclose(a);
        if (nf >= 0) H5Fclose(nf);
        expect_refused(older, jobs, info, SHA_A, "format version 1 (an older dett) cannot grow",
                       "--force");
    }

    /* --force replaces even a text file, and a truncated one */
    results_meta ma = meta_for(SHA_A);
    EXPECT(results_open(&r, text, MPI_COMM_WORLD, jobs, info, &ma, 1, &e) == 0, "%s", e.msg);
    EXPECT(results_close(r, &e) == 0, "%s", e.msg);
    r = NULL;
    EXPECT(results_open(&r, trunc, MPI_COMM_WORLD, jobs, info, &ma, 1, &e) == 0, "%s", e.msg);
    EXPECT(results_close(r, &e) == 0, "%s", e.msg);
    r = NULL;
    /* and then the replaced file resumes */
    EXPECT(results_open(&r, text, MPI_COMM_WORLD, jobs, info, &ma, 0, &e) == 0, "%s", e.msg);
    EXPECT(results_close(r, &e) == 0, "%s", e.msg);
    r = NULL;

    /* a directory cannot be replaced: the message says why, nothing is left */
    EXPECT(results_open(&r, ".", MPI_COMM_WORLD, jobs, info, &ma, 0, &e) < 0 && r == NULL,
           "directory accepted");
    EXPECT(!exists("..tmp"), "..tmp left behind");

    /* an unwritable place: the message names the file it could not make */
    EXPECT(results_open(&r, "no_such_dir/x.h5", MPI_COMM_WORLD, jobs, info, &ma, 0, &e) < 0 &&
               r == NULL && strstr(e.msg, "no_such_dir/x.h5.tmp"), "%s", e.msg);

    /* bad job ids are refused before any file is made */
    job_list bad = *jobs;
    job_spec js[3];
    memcpy(js, jobs->jobs, sizeof js);
    snprintf(js[1].id, sizeof js[1].id, "table");
    bad.jobs = js;
    EXPECT(results_open(&r, "test_results_badid.h5", MPI_COMM_WORLD, &bad, info, &ma, 0, &e) < 0 &&
               strstr(e.msg, "table") && !exists("test_results_badid.h5"), "%s", e.msg);

    /* an empty grid still makes a valid file */
    job_list none = {0, 0, NULL};
    remove_all("test_results_none.h5");
    EXPECT(results_open(&r, "test_results_none.h5", MPI_COMM_WORLD, &none, info, &ma, 0, &e) == 0,
           "empty grid: %s", e.msg);
    EXPECT(results_close(r, &e) == 0, "%s", e.msg);
    r = NULL;
    EXPECT(results_open(&r, "test_results_none.h5", MPI_COMM_WORLD, &none, info, &ma, 0, &e) == 0,
           "empty grid resume: %s", e.msg);
    EXPECT(results_close(r, &e) == 0, "%s", e.msg);
    remove_all("test_results_none.h5");

    remove_all(other), remove_all(text), remove_all(empty), remove_all(foreign);
    remove_all(good), remove_all(trunc), remove_all(newer), remove_all(older);
}

/* a script text beyond the 64 KB limit of compact attributes */
static void test_big_script(const job_list *jobs, const results_jobinfo *info)
{
    const char *path = "test_results_big.h5";
    size_t n = 200 * 1024;
    char *text = malloc(n + 1);
    EXPECT(text != NULL, "malloc");
    if (!text) return;
    for (size_t i = 0; i < n; i++) text[i] = "-- lua\n"[i % 7];
    text[n] = '\0';
    results_meta meta = meta_for(SHA_A);
    meta.script_text = text;
    results *r = NULL;
    dett_err e = {""};
    remove_all(path);
    EXPECT(results_open(&r, path, MPI_COMM_WORLD, jobs, info, &meta, 0, &e) == 0, "%s", e.msg);
    EXPECT(results_close(r, &e) == 0, "%s", e.msg);
    hid_t f = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT);
    char *back = malloc(n + 16);
    EXPECT(f >= 0 && back && h5_str_attr(f, "script", back, n + 16) == 0 &&
               !strcmp(back, text), "200 KB script attribute not read back");
    if (f >= 0) H5Fclose(f);
    free(back);
    free(text);
    remove_all(path);
}

/* `test_results write FILE`: a small file for results_h5py.py */
static int write_for_h5py(const char *path, const job_list *jobs, const results_jobinfo *info)
{
    results_meta meta = meta_for(SHA_A);
    results *r = NULL;
    dett_err e = {""};
    remove_all(path);
    int rc = results_open(&r, path, MPI_COMM_WORLD, jobs, info, &meta, 0, &e);
    if (rc == 0) rc = write_sample(r, &e);
    if (r && results_close(r, &e) != 0) rc = -1;
    if (rc) fprintf(stderr, "test_results: %s\n", e.msg);
    return rc ? 1 : 0;
}

/* checkpoints: two slots; the later mark wins; a slot being written (mark
 * -1) leaves the other; a job without sizes has none */
static void test_checkpoints(const job_list *jobs, const results_jobinfo *info0)
{
    results_jobinfo info[3];
    memcpy(info, info0, sizeof info);
    info[0].ckpt_f32 = 5;
    info[0].ckpt_f64 = 3;
    const char *path = "test_results_ckpt.h5";
    results_meta meta = meta_for(SHA_A);
    results *r = NULL;
    dett_err e = {""};
    remove_all(path);
    EXPECT(results_open(&r, path, MPI_COMM_WORLD, jobs, info, &meta, 0, &e) == 0, "%s", e.msg);
    if (!r) return;
    float a[5] = {1, 2, 3, 4, 5}, b[5] = {9, 8, 7, 6, 5}, g[5];
    double x[3] = {0.5, 1, 2}, y[3] = {7, 8, 9}, h[3];
    int slot = 7;
    int32_t mark = 7;
    EXPECT(results_ckpt_read(r, 0, &slot, &mark, g, h, &e) == 0 && slot == -1,
           "empty: slot %d %s", slot, e.msg);
    EXPECT(results_ckpt_write(r, 0, 0, 5, a, x, &e) == 0, "%s", e.msg);
    EXPECT(results_ckpt_write(r, 0, 1, 9, b, y, &e) == 0, "%s", e.msg);
    EXPECT(results_ckpt_read(r, 0, &slot, &mark, g, h, &e) == 0 && slot == 1 && mark == 9 &&
               !memcmp(g, b, sizeof b) && !memcmp(h, y, sizeof y), "later slot: %d", slot);
    EXPECT(results_ckpt_write(r, 0, 0, 12, b, x, &e) == 0, "%s", e.msg);
    EXPECT(results_ckpt_read(r, 0, &slot, &mark, g, h, &e) == 0 && slot == 0 && mark == 12 &&
               !memcmp(h, x, sizeof x), "overwritten slot 0: %d", slot);
    EXPECT(results_ckpt_read(r, 1, &slot, &mark, g, h, &e) < 0 && strstr(e.msg, "no checkpoint"),
           "job without checkpoint: %s", e.msg);
    EXPECT(results_close(r, &e) == 0, "%s", e.msg);
    r = NULL;
    /* a kill while slot 0 is written: its mark is -1 (set first), the data
     * half written; slot 1 must be read */
    const int32_t none = -1;
    hid_t f = H5Fopen(path, H5F_ACC_RDWR, H5P_DEFAULT);
    char name[160];
    snprintf(name, sizeof name, "/checkpoints/%s/mark", jobs->jobs[0].hash);
    hid_t d = f >= 0 ? H5Dopen2(f, name, H5P_DEFAULT) : -1;
    hid_t fs = d >= 0 ? H5Dget_space(d) : -1;
    hsize_t st = 0, one = 1;
    hid_t ms = H5Screate_simple(1, &one, NULL);
    EXPECT(fs >= 0 && H5Sselect_hyperslab(fs, H5S_SELECT_SET, &st, NULL, &one, NULL) >= 0 &&
               H5Dwrite(d, H5T_NATIVE_INT32, ms, fs, H5P_DEFAULT, &none) >= 0, "tear slot 0");
    H5Sclose(ms);
    if (fs >= 0) H5Sclose(fs);
    if (d >= 0) H5Dclose(d);
    if (f >= 0) H5Fclose(f);
    EXPECT(results_open(&r, path, MPI_COMM_WORLD, jobs, info, &meta, 0, &e) == 0, "%s", e.msg);
    if (r) {
        EXPECT(results_ckpt_read(r, 0, &slot, &mark, g, h, &e) == 0 && slot == 1 && mark == 9 &&
                   !memcmp(g, b, sizeof b), "torn slot 0: read slot %d", slot);
        EXPECT(results_close(r, &e) == 0, "%s", e.msg);
    }
    /* the job's layout grew since the file was written (a dedier job's
     * readout joined the checkpoint): the file is not refused, the job
     * runs without checkpoints there */
    info[0].ckpt_f32 = 8;
    r = NULL;
    EXPECT(results_open(&r, path, MPI_COMM_WORLD, jobs, info, &meta, 0, &e) == 0,
           "a grown checkpoint layout refused: %s", e.msg);
    if (r) {
        EXPECT(!results_has_ckpt(r, 0), "a job with slots of another layout keeps checkpoints");
        EXPECT(results_close(r, &e) == 0, "%s", e.msg);
    }
    remove_all(path);
}

int main(int argc, char **argv)
{
    MPI_Init(&argc, &argv);
    job_list jobs = {0, 0, NULL};
    results_jobinfo info[3];
    int rc;
    if (make_jobs(&jobs, info) != 0) {
        fprintf(stderr, "out of memory\n");
        MPI_Abort(MPI_COMM_WORLD, 1);
    }
    if (argc == 3 && !strcmp(argv[1], "write")) {
        rc = write_for_h5py(argv[2], &jobs, info);
    } else {
        test_create_resume(&jobs, info);
        test_refusals(&jobs, info);
        test_big_script(&jobs, info);
        test_checkpoints(&jobs, info);
        remove_all("test_results_main.h5");
        ssize_t open_ids = H5Fget_obj_count((hid_t)H5F_OBJ_ALL, H5F_OBJ_ALL);
        EXPECT(open_ids == 0, "%lld HDF5 files/objects still open", (long long)open_ids);
        rc = TEST_END();
    }
    free(jobs.jobs);
    MPI_Finalize();
    return rc;
}
