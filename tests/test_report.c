/* test_report.c - `dett report` on small results files written here with the
 * HDF5 C API, following runtime/io/results.h's layout.
 *
 * Fixture (E = 3 epochs, G = 4 groups, A = 2): test accuracy of group g at
 * epoch e is base[g] + bump[e], bump = {+0.02, 0, -0.01}; selected =
 * {1, 2, 0} (val-worst, val-avg, oracle). worst = min over groups, avg =
 * sum_g w_g acc_g with train proportions w = {0.45, 0.05, 0.10, 0.40}.
 *
 * Outputs are compared byte for byte with tests/report/ (set
 * DETT_REPORT_REGEN=1 to rewrite them, then check them by hand); the key
 * numbers are also checked here against values computed by hand (see the
 * comments at each EXPECT).
 */
#define _POSIX_C_SOURCE 200809L
#include "check.h"
#include "cmd.h"
#include "report.h"
#include "results.h"
#include <hdf5.h>
#include <math.h>
#include <mpi.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#ifndef REPORT_FIXTURES
#error "REPORT_FIXTURES (the tests/report directory) must be defined"
#endif

enum { E = 3, G = 4, A = 2, P = 5 };
static const double bump[E] = {0.02, 0.0, -0.01};
static const double wtrain[G] = {0.45, 0.05, 0.10, 0.40};

typedef struct {
    const char *id, *kind;
    int status;
    const char *error;
    const char *method, *args, *arch, *weighting, *teacher, *ident;
    long long seed;
    double base[G];
    const char *optim;     /* NULL: no optim/batch attributes (older files) */
    int batch;
    const char *dataset;   /* NULL: data/cmnist_small.h5 */
} fx_job;

/* ---- writing a results file ----------------------------------------------------- */

static int fx_attr_str(hid_t obj, const char *name, const char *v, int vlen)
{
    hid_t t = H5Tcopy(H5T_C_S1), sp = H5Screate(H5S_SCALAR), a = -1;
    int rc = -1;
    if (t < 0 || sp < 0) goto out;
    if (vlen) {
        /* UTF-8, as h5py writes str attributes */
        if (H5Tset_size(t, H5T_VARIABLE) < 0 || H5Tset_cset(t, H5T_CSET_UTF8) < 0) goto out;
    } else if (H5Tset_size(t, strlen(v) ? strlen(v) : 1) < 0 ||
               H5Tset_strpad(t, H5T_STR_NULLPAD) < 0)
        goto out;
    a = H5Acreate2(obj, name, t, sp, H5P_DEFAULT, H5P_DEFAULT);
    if (a < 0) goto out;
    if (vlen ? H5Awrite(a, t, &v) < 0 : H5Awrite(a, t, v) < 0) goto out;
    rc = 0;
out:
    if (a >= 0) H5Aclose(a);
    if (sp >= 0) H5Sclose(sp);
    if (t >= 0) H5Tclose(t);
    return rc;
}

static int fx_attr_int(hid_t obj, const char *name, hid_t type, long long v)
{
    hid_t sp = H5Screate(H5S_SCALAR), a = -1;
    int rc = -1;
    if (sp < 0) return -1;
    a = H5Acreate2(obj, name, type, sp, H5P_DEFAULT, H5P_DEFAULT);
    if (a >= 0 && H5Awrite(a, H5T_NATIVE_LLONG, &v) >= 0) rc = 0;
    if (a >= 0) H5Aclose(a);
    H5Sclose(sp);
    return rc;
}

/* a dataset with a fill value; data written unless NULL */
static int fx_dset(hid_t g, const char *name, hid_t ftype, hid_t mtype, int rank,
                   const hsize_t *dims, const void *fill, const void *data)
{
    hid_t sp = H5Screate_simple(rank, dims, NULL), pl = H5Pcreate(H5P_DATASET_CREATE), d = -1;
    int rc = -1;
    if (sp < 0 || pl < 0 || H5Pset_fill_value(pl, mtype, fill) < 0) goto out;
    d = H5Dcreate2(g, name, ftype, sp, H5P_DEFAULT, pl, H5P_DEFAULT);
    if (d < 0) goto out;
    if (data && H5Dwrite(d, mtype, H5S_ALL, H5S_ALL, H5P_DEFAULT, data) < 0) goto out;
    rc = 0;
out:
    if (d >= 0) H5Dclose(d);
    if (pl >= 0) H5Pclose(pl);
    if (sp >= 0) H5Sclose(sp);
    return rc;
}

static hid_t fx_str_type(size_t n)
{
    hid_t t = H5Tcopy(H5T_C_S1);
    if (t < 0 || H5Tset_size(t, n) < 0 || H5Tset_strpad(t, H5T_STR_NULLPAD) < 0) return -1;
    return t;
}

static int fx_table(hid_t file, const fx_job *jobs, int n)
{
    hid_t s16 = fx_str_type(16), s8 = fx_str_type(8), s65 = fx_str_type(65),
          s256 = fx_str_type(256), ct = H5Tcreate(H5T_COMPOUND, sizeof(results_row));
    int rc = -1;
    results_row *rows = calloc((size_t)n, sizeof *rows);
    if (!rows || s16 < 0 || s8 < 0 || s65 < 0 || s256 < 0 || ct < 0) goto out;
    if (H5Tinsert(ct, "id", HOFFSET(results_row, id), s16) < 0 ||
        H5Tinsert(ct, "kind", HOFFSET(results_row, kind), s8) < 0 ||
        H5Tinsert(ct, "hash", HOFFSET(results_row, hash), s65) < 0 ||
        H5Tinsert(ct, "status", HOFFSET(results_row, status), H5T_NATIVE_INT32) < 0 ||
        H5Tinsert(ct, "error", HOFFSET(results_row, error), s256) < 0 ||
        H5Tinsert(ct, "wall_seconds", HOFFSET(results_row, wall_seconds), H5T_NATIVE_DOUBLE) < 0 ||
        H5Tinsert(ct, "ranks", HOFFSET(results_row, ranks), H5T_NATIVE_INT32) < 0 ||
        H5Tinsert(ct, "epochs_run", HOFFSET(results_row, epochs_run), H5T_NATIVE_INT32) < 0)
        goto out;
    for (int k = 0; k < n; k++) {
        strncpy(rows[k].id, jobs[k].id, sizeof rows[k].id);
        strncpy(rows[k].kind, jobs[k].kind, sizeof rows[k].kind);
        /* a full-width 64-hex hash, as the runtime writes */
        for (int c = 0; c < 64; c++) rows[k].hash[c] = "0123456789abcdef"[(k * 7 + c) % 16];
        rows[k].status = jobs[k].status;
        strncpy(rows[k].error, jobs[k].error, sizeof rows[k].error);
        rows[k].wall_seconds = 1.5 * k;
        rows[k].ranks = jobs[k].status == JOB_PENDING ? 0 : 1;
        rows[k].epochs_run = jobs[k].status == JOB_DONE ? E : jobs[k].status == JOB_FAILED ? 2 : 0;
    }
    hsize_t dim = (hsize_t)n;
    if (fx_dset(file, "/jobs/table", ct, ct, 1, &dim, &rows[0], rows) < 0) goto out;
    rc = 0;
out:
    free(rows);
    hid_t ts[5] = {s16, s8, s65, s256, ct};
    for (int k = 0; k < 5; k++)
        if (ts[k] >= 0) H5Tclose(ts[k]);
    return rc;
}

static int fx_job_group(hid_t file, const fx_job *j)
{
    char path[64];
    int rc = -1;
    snprintf(path, sizeof path, "/jobs/%s", j->id);
    hid_t g = H5Gcreate2(file, path, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    if (g < 0) return -1;
    char config[512];
    snprintf(config, sizeof config, "kind=%s method=%s(%s) arch=%s seed=%lld", j->kind,
             j->method, j->args, j->arch, j->seed);
    /* fixed-length strings, except dataset and config: variable length, as
     * h5py writes them */
    if (fx_attr_str(g, "config", config, 1) || fx_attr_str(g, "hash", "ab12", 0) ||
        fx_attr_str(g, "kind", j->kind, 0) || fx_attr_str(g, "method", j->method, 0) ||
        fx_attr_str(g, "method_args", j->args, 0) || fx_attr_str(g, "arch", j->arch, 0) ||
        fx_attr_str(g, "weighting", j->weighting, 0) ||
        fx_attr_str(g, "dataset", j->dataset ? j->dataset : "data/cmnist_small.h5", 1) ||
        fx_attr_str(g, "teacher", j->teacher, 0) || fx_attr_str(g, "ident", j->ident, 0) ||
        fx_attr_int(g, "seed", H5T_STD_I64LE, j->seed) ||
        fx_attr_int(g, "epochs", H5T_STD_I32LE, E) ||
        fx_attr_str(g, "select", "val-worst", 0) ||
        fx_attr_int(g, "groups", H5T_STD_I32LE, G) ||
        fx_attr_int(g, "n_attrs", H5T_STD_I32LE, A))
        goto out;
    if (j->optim && (fx_attr_str(g, "optim", j->optim, 0) ||
                     fx_attr_int(g, "batch", H5T_STD_I32LE, j->batch)))
        goto out;
    double acc[E][2][G], worst[E][2], avg[E][2], mean[E][2], loss[E];
    int32_t sel[3] = {1, 2, 0};
    float params[P] = {0};
    for (int e = 0; e < E; e++) {
        loss[e] = 1.0 / (e + 1);
        for (int s = 0; s < 2; s++) {
            double lo = 2, w = 0, m = 0;
            for (int g2 = 0; g2 < G; g2++) {
                double a = j->base[g2] + bump[e] + (s == 0 ? 0.005 : 0.0);
                acc[e][s][g2] = a;
                if (a < lo) lo = a;
                w += wtrain[g2] * a;
                m += a / G;
            }
            worst[e][s] = lo, avg[e][s] = w, mean[e][s] = m;
        }
    }
    int done = j->status == JOB_DONE;
    double nan = NAN;
    int32_t none = -1;
    float fzero = 0;
    hsize_t d1[1] = {E}, d3[3] = {E, 2, G}, d2[2] = {E, 2}, ds[1] = {3}, dp[1] = {P};
    if (fx_dset(g, "train_loss", H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, 1, d1, &nan,
                done ? loss : NULL) ||
        fx_dset(g, "acc", H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, 3, d3, &nan, done ? acc : NULL) ||
        fx_dset(g, "worst", H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, 2, d2, &nan,
                done ? worst : NULL) ||
        fx_dset(g, "avg", H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, 2, d2, &nan, done ? avg : NULL) ||
        fx_dset(g, "mean", H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, 2, d2, &nan,
                done ? mean : NULL) ||
        fx_dset(g, "selected", H5T_STD_I32LE, H5T_NATIVE_INT32, 1, ds, &none,
                done ? sel : NULL) ||
        fx_dset(g, "params", H5T_IEEE_F32LE, H5T_NATIVE_FLOAT, 1, dp, &fzero,
                done ? params : NULL))
        goto out;
    rc = 0;
out:
    H5Gclose(g);
    return rc;
}

static int fx_write(const char *path, const fx_job *jobs, int n)
{
    hid_t f = H5Fcreate(path, H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT), g = -1, ar = -1;
    int rc = -1;
    if (f < 0) return -1;
    if (fx_attr_str(f, "format", "dett-results", 0) ||
        fx_attr_int(f, "format_version", H5T_STD_I32LE, 1) ||
        fx_attr_str(f, "dett_version", "0.1.0", 0) || fx_attr_str(f, "git_commit", "test", 0) ||
        fx_attr_str(f, "script", "return grid{}", 1) ||
        fx_attr_str(f, "script_path", "grid.lua", 0) ||
        fx_attr_str(f, "script_sha256", "00", 0) ||
        fx_attr_int(f, "world_size", H5T_STD_I32LE, 1) ||
        fx_attr_int(f, "ranks_per_job", H5T_STD_I32LE, 1) ||
        fx_attr_str(f, "start_time", "2024-01-01T00:00:00Z", 0) ||
        fx_attr_int(f, "n_jobs", H5T_STD_I32LE, n))
        goto out;
    g = H5Gcreate2(f, "/jobs", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    ar = H5Gcreate2(f, "/artifacts", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    if (g < 0 || ar < 0 || fx_table(f, jobs, n)) goto out;
    for (int k = 0; k < n; k++)
        if (fx_job_group(f, &jobs[k])) goto out;
    rc = 0;
out:
    if (ar >= 0) H5Gclose(ar);
    if (g >= 0) H5Gclose(g);
    if (H5Fclose(f) < 0) rc = -1;
    return rc;
}

/* ---- the fixtures --------------------------------------------------------------------- */

#define DONE JOB_DONE, ""
#define TEACHER "train", DONE, "groupdro", "eta=0.01", "mlp[64,64]", "none", "", ""
#define IDENT "ident", DONE, "erm", "", "mlp[64,64]", "none", "", ""
#define ERM "student", DONE, "erm", "", "mlp[16]", "none", "j000", ""
#define DETT(up) "dett", "up=" #up ",T=1", "mlp[16]", "jtt(T=1,up=" #up ")", "j000", "j001"
#define GDRO "student", DONE, "groupdro", "eta=0.01", "mlp[16]", "none", "j000", ""
#define KD "kd", "T=4,alpha=0.9", "mlp[16]", "none", "j000", ""

static const fx_job file_a[] = {
    {"j000", TEACHER, 0, {0.90, 0.80, 0.84, 0.92}, NULL, 0, NULL},
    {"j001", IDENT, 0, {0.97, 0.40, 0.45, 0.98}, NULL, 0, NULL},
    {"j002", ERM, 1, {0.964, 0.50, 0.56, 0.97}, NULL, 0, NULL},
    {"j003", ERM, 2, {0.94, 0.54, 0.52, 0.95}, NULL, 0, NULL},
    {"j004", "student", DONE, DETT(50), 1, {0.908, 0.72, 0.75, 0.91}, NULL, 0, NULL},
    {"j005", "student", DONE, DETT(50), 2, {0.88, 0.78, 0.74, 0.90}, NULL, 0, NULL},
    {"j006", "student", JOB_FAILED, "loss is NaN at epoch 2", DETT(50), 3, {0}, NULL, 0, NULL},
    {"j007", GDRO, 1, {0.852, 0.70, 0.71, 0.86}, NULL, 0, NULL},
    {"j008", GDRO, 2, {0.87, 0.68, 0.73, 0.84}, NULL, 0, NULL},
    {"j009", "student", JOB_PENDING, "", KD, 1, {0}, NULL, 0, NULL},
};
/* a second run of the same grid, extended: seed 3 of erm, dett with up=5,
 * erm with a wider student, and kd seed 1 finished (it was pending in A) */
static const fx_job file_b[] = {
    {"j000", TEACHER, 0, {0.90, 0.80, 0.84, 0.92}, NULL, 0, NULL},
    {"j001", IDENT, 0, {0.97, 0.40, 0.45, 0.98}, NULL, 0, NULL},
    {"j002", ERM, 3, {0.95, 0.55, 0.53, 0.96}, NULL, 0, NULL},
    {"j003", "student", DONE, DETT(5), 1, {0.91, 0.60, 0.66, 0.93}, NULL, 0, NULL},
    {"j004", "student", DONE, DETT(5), 2, {0.92, 0.64, 0.62, 0.90}, NULL, 0, NULL},
    {"j005", "student", DONE, KD, 1, {0.931, 0.58, 0.64, 0.94}, NULL, 0, NULL},
    {"j006", "student", DONE, "erm", "", "mlp[64]", "none", "j000", "", 1,
     {0.97, 0.57, 0.58, 0.97}, NULL, 0, NULL},
};

/* an lr sweep: the same method and seeds with two optimisers (and a batch
 * sweep of one of them) are three rows, not repeated seeds of one */
static const fx_job file_c[] = {
    {"j000", ERM, 1, {0.96, 0.50, 0.56, 0.97}, "sgd(lr=0.01,momentum=0.9,wd=0)", 64, NULL},
    {"j001", ERM, 2, {0.94, 0.54, 0.52, 0.95}, "sgd(lr=0.01,momentum=0.9,wd=0)", 64, NULL},
    {"j002", ERM, 1, {0.96, 0.60, 0.66, 0.97}, "sgd(lr=0.1,momentum=0.9,wd=0)", 64, NULL},
    {"j003", ERM, 2, {0.94, 0.64, 0.62, 0.95}, "sgd(lr=0.1,momentum=0.9,wd=0)", 64, NULL},
    {"j004", ERM, 1, {0.96, 0.70, 0.76, 0.97}, "sgd(lr=0.1,momentum=0.9,wd=0)", 128, NULL},
    {"j005", "student", JOB_PENDING, "", "erm", "", "mlp[16]", "none", "j000", "", 3, {0},
     "sgd(lr=0.01,momentum=0.9,wd=0)", 64, NULL},
};

/* two datasets in one file: the plots go to one subdirectory each */
static const fx_job file_d[] = {
    {"j000", ERM, 1, {0.96, 0.50, 0.56, 0.97}, NULL, 0, "data/a.h5"},
    {"j001", ERM, 2, {0.94, 0.54, 0.52, 0.95}, NULL, 0, "data/a.h5"},
    {"j002", ERM, 1, {0.96, 0.60, 0.66, 0.97}, NULL, 0, "other/b.h5"},
};

/* ---- running the report ------------------------------------------------------------------- */

static char *slurp(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    size_t cap = 4096, n = 0;
    char *buf = malloc(cap);
    while (buf) {
        size_t got = fread(buf + n, 1, cap - n - 1, f);
        n += got;
        if (got == 0) break;
        if (n + 1 >= cap) {
            char *nb = realloc(buf, cap *= 2);
            if (!nb) free(buf);
            buf = nb;
        }
    }
    fclose(f);
    if (buf) buf[n] = '\0';
    return buf;
}

/* runs `dett report args...` with the report going to out_path; the output
 * text in *text (caller frees), the message in e */
static int run(const char *out_path, char **text, dett_err *e, int n, const char **args)
{
    char *argv[32];
    argv[0] = "report";
    for (int k = 0; k < n && k < 30; k++) argv[k + 1] = (char *)args[k];
    argv[n + 1] = NULL;
    FILE *out = fopen(out_path, "w");
    if (!out) return -100;
    memset(e, 0, sizeof *e);
    int rc = report_run(out, n + 1, argv, e);
    fclose(out);
    if (text) *text = slurp(out_path);
    return rc;
}

/* the output must equal tests/report/<name> byte for byte */
static void compare(const char *name, const char *text)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/%s", REPORT_FIXTURES, name);
    const char *regen = getenv("DETT_REPORT_REGEN");
    if (regen && !strcmp(regen, "1")) {
        FILE *f = fopen(path, "wb");
        EXPECT(f != NULL, "cannot write %s", path);
        if (f) {
            fputs(text, f);
            fclose(f);
        }
        return;
    }
    char *want = slurp(path);
    EXPECT(want != NULL, "missing fixture %s", path);
    if (!want) return;
    int same = !strcmp(want, text);
    EXPECT(same, "output differs from %s:\n--- got ---\n%s--- expected ---\n%s", path, text,
           want);
    free(want);
}

static int has(const char *text, const char *s) { return text && strstr(text, s) != NULL; }

static int is_svg(const char *dir, const char *name)
{
    char path[512];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    char *t = slurp(path);
    int ok = t && !strncmp(t, "<svg", 4) && strstr(t, "</svg>") && !strstr(t, "nan") &&
             !strstr(t, "inf");
    free(t);
    return ok;
}

int main(int argc, char **argv)
{
    MPI_Init(&argc, &argv);
    dett_err e;
    char *t = NULL;
    int rc;
    EXPECT(fx_write("report_a.h5", file_a, (int)(sizeof file_a / sizeof file_a[0])) == 0,
           "writing report_a.h5");
    EXPECT(fx_write("report_b.h5", file_b, (int)(sizeof file_b / sizeof file_b[0])) == 0,
           "writing report_b.h5");

    /* md, default selection val-worst = epoch 1 (bump 0): worst = min base.
     * erm: 50, 52 -> 51.0 ± 1.414; avg 89.2 ± 1.5 (see below);
     * dett: 72, 74 -> 73.0 ± 1.4, one seed failed; groupdro: 70, 68 ->
     * 69.0 ± 1.4; delta erm 51 - 69 = -18.0, dett +4.0; kd pending. */
    rc = run("report_a.md", &t, &e, 1, (const char *[]){"report_a.h5"});
    EXPECT(rc == 0, "md: rc %d: %s", rc, e.msg);
    /* erm avg: s1 .45*.964+.05*.50+.10*.56+.40*.97 = .4338+.025+.056+.388 = .9028;
     *          s2 .45*.94+.05*.54+.10*.52+.40*.95 = .423+.027+.052+.380 = .882;
     *          mean 89.24, std |90.28-88.2|/sqrt 2 = 1.47 */
    EXPECT(has(t, "| erm | 51.0 ± 1.4 (n=2) | 89.2 ± 1.5 (n=2) | -18.0 |"), "erm row:\n%s", t);
    EXPECT(has(t, "73.0 ± 1.4 (n=2, 1 failed)"), "dett row:\n%s", t);
    EXPECT(has(t, "| groupdro(eta=0.01) | 69.0 ± 1.4 (n=2) |"), "groupdro row:\n%s", t);
    EXPECT(has(t, "| +4.0 |"), "dett delta:\n%s", t);
    EXPECT(has(t, "| kd(T=4,alpha=0.9) | pending | pending | — |"), "kd row:\n%s", t);
    EXPECT(has(t, "| teacher: groupdro mlp[64,64] | 80.0 ± 0.0 (n=1) |"), "teacher:\n%s", t);
    EXPECT(has(t, "| j006 |") && has(t, "| failed | loss is NaN at epoch 2 |"), "failed:\n%s",
           t);
    EXPECT(has(t, "| j009 |") && has(t, "| pending |"), "pending:\n%s", t);
    EXPECT(has(t, "\n1 identification job\n"), "ident footer:\n%s", t);
    if (t) compare("a.md", t);
    free(t);

    rc = run("report_a.csv", &t, &e, 3, (const char *[]){"report_a.h5", "--format", "csv"});
    EXPECT(rc == 0, "csv: rc %d: %s", rc, e.msg);
    /* erm: worst 51, std sqrt 2 = 1.4142, n 2; delta -18 */
    EXPECT(has(t, "student,erm,erm,,mlp[16],none,data/cmnist_small.h5,2,2,0,0,0,0,51.0000,"
                  "1.4142,2,"),
           "csv erm:\n%s", t);
    EXPECT(has(t, ",-18.0000\n"), "csv delta:\n%s", t);
    EXPECT(t && !strstr(t, "±"), "csv has ±");
    if (t) compare("a.csv", t);
    free(t);

    rc = run("report_a.tex", &t, &e, 3, (const char *[]){"report_a.h5", "--format", "latex"});
    EXPECT(rc == 0, "latex: rc %d: %s", rc, e.msg);
    EXPECT(has(t, "\\toprule") && has(t, "\\midrule") && has(t, "\\bottomrule"), "booktabs");
    /* best worst-group mean among students: dett 73.0 */
    EXPECT(has(t, "\\textbf{73.0} $\\pm$ 1.4 (n=2, 1 failed)"), "latex best:\n%s", t);
    EXPECT(has(t, "data/cmnist\\_small.h5") || !has(t, "cmnist_small"), "latex escape:\n%s", t);
    if (t) compare("a.tex", t);
    free(t);

    /* oracle = epoch 0 (bump +0.02): erm 52, 54 -> 53.0; groupdro 71.0; and
     * per-group columns: erm g0 = (.964 + .94) / 2 + .02 = 97.2, g1 (y=0,a=1)
     * = (.50 + .54) / 2 + .02 = 54.0, g2 56.0, g3 98.0 */
    rc = run("report_a_oracle.md", &t, &e, 4,
             (const char *[]){"report_a.h5", "--select", "oracle", "--per-group"});
    EXPECT(rc == 0, "oracle: rc %d: %s", rc, e.msg);
    EXPECT(has(t, "| erm | 53.0 ± 1.4 (n=2) |"), "oracle erm:\n%s", t);
    EXPECT(has(t, "| groupdro(eta=0.01) | 71.0 ± 1.4 (n=2) |"), "oracle groupdro:\n%s", t);
    EXPECT(has(t, "| g0 (y=0,a=0) | g1 (y=0,a=1) | g2 (y=1,a=0) | g3 (y=1,a=1) |"),
           "per-group header:\n%s", t);
    EXPECT(has(t, "| -18.0 | 97.2 | 54.0 | 56.0 | 98.0 |"), "erm groups:\n%s", t);
    EXPECT(has(t, "| pending | pending | — | pending | pending | pending | pending |"),
           "kd groups:\n%s", t);
    if (t) compare("a_oracle_pergroup.md", t);
    free(t);

    /* val-avg = epoch 2 (bump -0.01): erm 49, 51 -> 50.0 */
    rc = run("report_a_valavg.md", &t, &e, 2,
             (const char *[]){"report_a.h5", "--select=val-avg"});
    EXPECT(rc == 0 && has(t, "50.0 ± 1.4 (n=2)"), "val-avg: rc %d:\n%s", rc, t);
    free(t);

    /* two files: seeds pooled. erm mlp[16]: 50, 52, 53 -> 51.7 ± 1.5
     * (deviations -1.667, .333, 1.333: sum of squares 4.667 / 2 = 2.333);
     * kd seed 1 finished in B replaces the pending one of A (58.0, n=1;
     * avg .45*.931+.05*.58+.10*.64+.40*.94 = .88795);
     * the teacher repeats seed 0 (a warning; counted once); 2 ident jobs. */
    rc = run("report_ab.md", &t, &e, 4,
             (const char *[]){"report_a.h5", "report_b.h5", "--plots", "report_plots/sub"});
    EXPECT(rc == 0, "merge: rc %d: %s", rc, e.msg);
    EXPECT(has(t, "| erm mlp[16] | 51.7 ± 1.5 (n=3) |"), "merged erm:\n%s", t);
    EXPECT(has(t, "| kd(T=4,alpha=0.9) mlp[16] | 58.0 ± 0.0 (n=1) | 88.8 ± 0.0 (n=1) | -11.0 |"), "merged kd:\n%s", t);
    EXPECT(has(t, "80.0 ± 0.0 (n=1)"), "merged teacher:\n%s", t);
    EXPECT(has(t, "| erm mlp[64] | 57.0 ± 0.0 (n=1) | ") && has(t, "(n=1) | — |"),
           "erm mlp[64] without a groupdro row:\n%s", t);
    EXPECT(has(t, "report_b.h5:j006") == 0 && has(t, "report_a.h5:j006"), "failed ids:\n%s", t);
    EXPECT(!has(t, "j009"), "kd pending superseded:\n%s", t);
    EXPECT(has(t, "\n2 identification jobs\n"), "ident count:\n%s", t);
    if (t) compare("ab.md", t);
    free(t);
    EXPECT(is_svg("report_plots/sub", "curves.svg"), "curves.svg");
    EXPECT(is_svg("report_plots/sub", "groups.svg"), "groups.svg");
    EXPECT(is_svg("report_plots/sub", "axis_up.svg"), "axis_up.svg");
    EXPECT(is_svg("report_plots/sub", "axis_width.svg"), "axis_width.svg");
    struct stat st;
    EXPECT(stat("report_plots/sub/axis_T.svg", &st) != 0, "T takes one value: no plot");

    /* rows differ by optimiser and batch: 50/52 -> 51.0, 60/62 -> 61.0, 70 */
    EXPECT(fx_write("report_c.h5", file_c, (int)(sizeof file_c / sizeof file_c[0])) == 0,
           "writing report_c.h5");
    rc = run("report_c.md", &t, &e, 1, (const char *[]){"report_c.h5"});
    EXPECT(rc == 0, "optim sweep: rc %d: %s", rc, e.msg);
    EXPECT(has(t, "| erm sgd(lr=0.01,momentum=0.9,wd=0) batch=64 | 51.0 ± 1.4 (n=2, 1 pending) |"),
           "lr 0.01 row:\n%s", t);
    EXPECT(has(t, "| erm sgd(lr=0.1,momentum=0.9,wd=0) batch=64 | 61.0 ± 1.4 (n=2) |"),
           "lr 0.1 row:\n%s", t);
    EXPECT(has(t, "| erm sgd(lr=0.1,momentum=0.9,wd=0) batch=128 | 70.0 ± 0.0 (n=1) |"),
           "batch 128 row:\n%s", t);
    free(t);
    /* --tune: validation worst = test + 0.5 points here, so by validation
     * lr 0.1 beats lr 0.01 at batch 64 (61.5 vs 51.5), and batch 128 (70.5)
     * beats both */
    rc = run("report_c_tune1.md", &t, &e, 3, (const char *[]){"report_c.h5", "--tune", "optim"});
    EXPECT(rc == 0, "tune optim: rc %d: %s", rc, e.msg);
    EXPECT(has(t, "| erm batch=64 [best of 2 on val] | 61.0 ± 1.4 (n=2) |") &&
               has(t, "| erm batch=128 | 70.0 ± 0.0 (n=1) |") && !has(t, "51.0"),
           "tune optim:\n%s", t);
    EXPECT(has(t, "Tuned on validation over optim"), "tune note:\n%s", t);
    free(t);
    rc = run("report_c_tune2.md", &t, &e, 3,
             (const char *[]){"report_c.h5", "--tune", "optim,batch"});
    EXPECT(rc == 0 && has(t, "| erm [best of 3 on val] | 70.0 ± 0.0 (n=1) |") &&
               !has(t, "61.0"),
           "tune optim,batch: rc %d:\n%s", rc, t);
    EXPECT(has(t, "| j005 | not kept by --tune: erm mlp[16] sgd(lr=0.01,momentum=0.9,wd=0) | 3 | "
                  "pending |"),
           "pending job of a dropped row:\n%s", t);
    free(t);
    rc = run("report_err.txt", NULL, &e, 3, (const char *[]){"report_c.h5", "--tune", "lr"});
    EXPECT(rc == 1 && has(e.msg, "--tune: 'lr' is not optim, batch, epochs or a method"),
           "unknown tune key: %d %s", rc, e.msg);

    /* plots per dataset */
    EXPECT(fx_write("report_d.h5", file_d, (int)(sizeof file_d / sizeof file_d[0])) == 0,
           "writing report_d.h5");
    rc = run("report_d.md", &t, &e, 3, (const char *[]){"report_d.h5", "--plots", "report_plots_d"});
    EXPECT(rc == 0, "plots per dataset: rc %d: %s", rc, e.msg);
    EXPECT(has(t, "| erm a | 51.0 ± 1.4 (n=2) |") && has(t, "| erm b | 60.0 ± 0.0 (n=1) |"),
           "two datasets:\n%s", t);
    free(t);
    EXPECT(is_svg("report_plots_d/a", "curves.svg") && is_svg("report_plots_d/b", "curves.svg") &&
               is_svg("report_plots_d/a", "groups.svg"),
           "per-dataset plots");
    EXPECT(stat("report_plots_d/curves.svg", &st) != 0, "no mixed plot");

    /* --diagnostics: the hook */
    rc = run("report_diag.md", &t, &e, 2, (const char *[]){"report_a.h5", "--diagnostics"});
    EXPECT(rc == 0 && has(t, "no diagnostics in report_a.h5\n"), "diagnostics:\n%s", t);
    free(t);

    /* errors: exit 1 with a clear message */
    rc = run("report_err.txt", NULL, &e, 1, (const char *[]){"report_missing.h5"});
    EXPECT(rc == 1 && has(e.msg, "report_missing.h5: No such file or directory"), "%d %s", rc,
           e.msg);
    {
        hid_t f = H5Fcreate("report_other.h5", H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
        EXPECT(f >= 0 && H5Gclose(H5Gcreate2(f, "/train", H5P_DEFAULT, H5P_DEFAULT,
                                             H5P_DEFAULT)) >= 0 && H5Fclose(f) >= 0,
               "writing report_other.h5");
        FILE *txt = fopen("report_text.h5", "w");
        if (txt) fputs("not hdf5\n", txt), fclose(txt);
    }
    rc = run("report_err.txt", NULL, &e, 1, (const char *[]){"report_other.h5"});
    EXPECT(rc == 1 && has(e.msg, "report_other.h5: not a dett results file"), "%d %s", rc,
           e.msg);
    rc = run("report_err.txt", NULL, &e, 1, (const char *[]){"report_text.h5"});
    EXPECT(rc == 1 && has(e.msg, "report_text.h5: not an HDF5 file"), "%d %s", rc, e.msg);
    rc = run("report_err.txt", NULL, &e, 2, (const char *[]){"report_a.h5", "report_other.h5"});
    EXPECT(rc == 1 && has(e.msg, "report_other.h5"), "second file bad: %d %s", rc, e.msg);

    /* usage: exit 2 */
    rc = run("report_err.txt", NULL, &e, 0, (const char *[]){NULL});
    EXPECT(rc == 2 && has(e.msg, "no results file"), "%d %s", rc, e.msg);
    rc = run("report_err.txt", NULL, &e, 3, (const char *[]){"report_a.h5", "--format", "pdf"});
    EXPECT(rc == 2 && has(e.msg, "--format"), "%d %s", rc, e.msg);
    rc = run("report_err.txt", NULL, &e, 2, (const char *[]){"report_a.h5", "--bogus"});
    EXPECT(rc == 2 && has(e.msg, "unknown option '--bogus'"), "%d %s", rc, e.msg);
    rc = run("report_err.txt", NULL, &e, 2, (const char *[]){"report_a.h5", "--select"});
    EXPECT(rc == 2 && has(e.msg, "--select needs a value"), "%d %s", rc, e.msg);
    rc = run("report_err.txt", NULL, &e, 3,
             (const char *[]){"report_a.h5", "--select", "best"});
    EXPECT(rc == 2, "%d %s", rc, e.msg);

    /* cmd_report_main: the same through stdout/stderr */
    char *av[] = {"report", "report_missing.h5", NULL};
    EXPECT(cmd_report_main(2, av) == 1, "cmd_report_main exit code");

    int fails = TEST_END();
    MPI_Finalize();
    return fails;
}
