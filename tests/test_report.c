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
#include <dirent.h>
#include <sys/wait.h>
#include <unistd.h>

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

/* the entries of each job's selected: 3 as in files of format 1-3 (the
 * fixtures' format_version is 1), 4 as written since format 4
 * (val-worst-class = epoch 2) */
static int fx_n_sel = 3;

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
    int32_t sel[4] = {1, 2, 0, 2};
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
    hsize_t d1[1] = {E}, d3[3] = {E, 2, G}, d2[2] = {E, 2}, ds[1] = {(hsize_t)fx_n_sel}, dp[1] = {P};
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

/* two setups in one file (optimiser family, batch) and two architectures:
 * each row's group-DRO baseline is the one of its own setup, not the best
 * group-DRO row of the file (adamw's 80 beats sgd's 60 on validation), and
 * LaTeX bolds the best of each architecture's block */
#define SGD "sgd(lr=0.1,momentum=0.9,wd=0)"
#define ADAMW "adamw(lr=0.001,wd=0)"
#define GDRO_E "student", DONE, "groupdro", "eta=0.01"
#define ERM_E "student", DONE, "erm", ""
static const fx_job file_e[] = {
    {"j000", GDRO_E, "mlp[16]", "none", "", "", 1, {0.9, 0.60, 0.7, 0.9}, SGD, 64, NULL},
    {"j001", GDRO_E, "mlp[16]", "none", "", "", 1, {0.9, 0.80, 0.85, 0.9}, ADAMW, 64, NULL},
    {"j002", ERM_E, "mlp[16]", "none", "", "", 1, {0.97, 0.50, 0.6, 0.97}, SGD, 64, NULL},
    {"j003", ERM_E, "mlp[16]", "none", "", "", 1, {0.97, 0.70, 0.75, 0.97}, ADAMW, 64, NULL},
    {"j004", "student", DONE, "kd", "T=4,alpha=0.9", "mlp[16]", "none", "", "", 1,
     {0.97, 0.55, 0.6, 0.97}, SGD, 128, NULL},
    {"j005", ERM_E, "mlp[32]", "none", "", "", 1, {0.97, 0.40, 0.6, 0.97}, SGD, 64, NULL},
    {"j006", GDRO_E, "mlp[32]", "none", "", "", 1, {0.9, 0.45, 0.7, 0.9}, SGD, 64, NULL},
    {"j007", ERM_E, "mlp[16]", "none", "", "", 1, {0.97, 0.30, 0.6, 0.97}, SGD, 64,
     "data/other.h5"},
};

/* two teachers, and a teacher per seed: the gap to teacher is each
 * student's worst-group minus ITS OWN teacher's. A: 80; B: 70; C seed 1:
 * 80, C seed 2: 70 (paired with the students' seeds) */
#define T_JOB(id, arch, seed, w) {id, "train", DONE, "groupdro", "eta=0.01", arch, "none", "", \
                                  "", seed, {0.9, w, 0.95, 0.9}, NULL, 0, NULL}
#define S_JOB(id, teacher, arch, seed, w) {id, "student", DONE, "erm", "", arch, "none", \
                                           teacher, "", seed, {0.97, w, 0.95, 0.97}, NULL, 0, NULL}
static const fx_job file_f[] = {
    T_JOB("j000", "mlp[64,64]", 1, 0.80),
    T_JOB("j001", "mlp[32,32]", 1, 0.70),
    S_JOB("j002", "j000", "mlp[16]", 1, 0.50),
    S_JOB("j003", "j000", "mlp[16]", 2, 0.52),
    S_JOB("j004", "j001", "mlp[16]", 1, 0.55),
    S_JOB("j005", "j001", "mlp[16]", 2, 0.57),
    T_JOB("j006", "mlp[128]", 1, 0.80),
    T_JOB("j007", "mlp[128]", 2, 0.70),
    S_JOB("j008", "j006", "mlp[16]", 1, 0.75),
    S_JOB("j009", "j007", "mlp[16]", 2, 0.72),
    /* no teacher: joins every teacher's line of the pivot */
    {"j010", "student", DONE, "groupdro", "eta=0.01", "mlp[16]", "none", "", "", 1,
     {0.9, 0.65, 0.7, 0.9}, NULL, 0, NULL},
};

/* ten kd rows (alpha 0.1 .. 1.0): more series than a panel holds */
#define KD_A(id, a, w) {id, "student", DONE, "kd", "T=4,alpha=" a, "mlp[16]", "none", "", "", 1, \
                        {0.97, w, 0.9, 0.97}, NULL, 0, NULL}
static const fx_job file_g[] = {
    KD_A("j000", "0.1", 0.50), KD_A("j001", "0.2", 0.52), KD_A("j002", "0.3", 0.54),
    KD_A("j003", "0.4", 0.56), KD_A("j004", "0.5", 0.58), KD_A("j005", "0.6", 0.60),
    KD_A("j006", "0.7", 0.62), KD_A("j007", "0.8", 0.64), KD_A("j008", "0.9", 0.66),
    KD_A("j009", "1", 0.68),
};

/* gap to teacher against bias strength: two data files (minority shares
 * 0.1 and 0.01, written by the test), a teacher per seed on each (worst 80,
 * then 70), kd and erm students; a third dataset's file does not exist and
 * is left out of the figure */
#define BT(id, ds, seed, w) {id, "train", DONE, "groupdro", "eta=0.01", "mlp[64]", "none", "", \
                             "", seed, {0.9, w, 0.95, 0.9}, NULL, 0, ds}
#define BS(id, m, args, t, ds, seed, w) {id, "student", DONE, m, args, "mlp[16]", "none", t, \
                                         "", seed, {0.97, w, 0.95, 0.97}, NULL, 0, ds}
static const fx_job file_h[] = {
    BT("j000", "report_bias10.h5", 1, 0.80), BT("j001", "report_bias10.h5", 2, 0.70),
    BS("j002", "kd", "T=4", "j000", "report_bias10.h5", 1, 0.78),
    BS("j003", "kd", "T=4", "j001", "report_bias10.h5", 2, 0.66),
    BS("j004", "erm", "", "j000", "report_bias10.h5", 1, 0.60),
    BT("j005", "report_bias01.h5", 1, 0.80), BT("j006", "report_bias01.h5", 2, 0.70),
    BS("j007", "kd", "T=4", "j005", "report_bias01.h5", 1, 0.70),
    BS("j008", "kd", "T=4", "j006", "report_bias01.h5", 2, 0.60),
    BS("j009", "erm", "", "j005", "report_bias01.h5", 1, 0.40),
    BT("j010", "report_bias_gone.h5", 1, 0.80),
    BS("j011", "kd", "T=4", "j010", "report_bias_gone.h5", 1, 0.70),
    /* group DRO has no teacher: its distance to the data set's teacher row */
    {"j014", "student", DONE, "groupdro", "eta=0.01", "mlp[16]", "none", "", "", 1,
     {0.97, 0.75, 0.95, 0.97}, NULL, 0, "report_bias10.h5"},
    {"j015", "student", DONE, "groupdro", "eta=0.01", "mlp[16]", "none", "", "", 1,
     {0.97, 0.65, 0.95, 0.97}, NULL, 0, "report_bias01.h5"},
    /* rows of another shape: another family, alone in it (no figure) */
    BT("j012", "report_bias_wide.h5", 1, 0.80),
    BS("j013", "kd", "T=4", "j012", "report_bias_wide.h5", 1, 0.70),
};

/* kd with each benchmark's own batch: one pivot column, not one per batch */
static const fx_job file_i[] = {
    {"j000", "student", DONE, "kd", "T=4", "mlp[16]", "none", "", "", 1, {0.97, 0.5, 0.9, 0.97},
     SGD, 64, "data/small.h5"},
    {"j001", "student", DONE, "kd", "T=4", "mlp[16]", "none", "", "", 1, {0.97, 0.6, 0.9, 0.97},
     SGD, 128, "data/big.h5"},
};

/* a data file of n training rows of d features with y = a but for
 * `minority` rows */
static int fx_bias_data(const char *path, int n, int d, int minority)
{
    long long *y = malloc(sizeof *y * (size_t)n), *a = malloc(sizeof *a * (size_t)n);
    double *X = calloc((size_t)n * (size_t)d, sizeof *X), dzero = 0;
    hsize_t dn[1] = {(hsize_t)n}, dx[2] = {(hsize_t)n, (hsize_t)d};
    long long zero = 0;
    int rc = -1;
    hid_t f = H5Fcreate(path, H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT), g = -1;
    if (!y || !a || !X || f < 0) goto out;
    for (int i = 0; i < n; i++) y[i] = i % 2, a[i] = i < minority ? 1 - y[i] : y[i];
    g = H5Gcreate2(f, "/train", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    if (g < 0 || fx_dset(g, "y", H5T_STD_I64LE, H5T_NATIVE_LLONG, 1, dn, &zero, y) ||
        fx_dset(g, "a", H5T_STD_I64LE, H5T_NATIVE_LLONG, 1, dn, &zero, a) ||
        fx_dset(g, "X", H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, 2, dx, &dzero, X))
        goto out;
    rc = 0;
out:
    if (g >= 0) H5Gclose(g);
    if (f >= 0 && H5Fclose(f) < 0) rc = -1;
    free(y);
    free(a);
    free(X);
    return rc;
}

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
/* text for a failure message: a missing table prints as "(none)" */
static const char *shown(const char *text) { return text ? text : "(none)"; }

/* dir/name exists, is at least 500 bytes and starts with magic */
static int is_fig(const char *dir, const char *name, const char *magic)
{
    char path[512];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "rb");
    if (!f) return 0;
    char head[64] = {0};
    size_t n = fread(head, 1, sizeof head - 1, f);
    int ok = fseek(f, 0, SEEK_END) == 0 && ftell(f) >= 500 && n >= strlen(magic) &&
             strstr(head, magic) != NULL;
    fclose(f);
    return ok;
}

/* run() in a child process, as a rerun of `dett report` would be (cairo
 * numbers SVG surfaces with a process-wide counter: a figure's bytes are
 * those of a fresh process); the exit status, or -100 */
static int run_fresh(const char *out_path, int n, const char **args)
{
    fflush(NULL);
    pid_t pid = fork();
    if (pid == 0) {
        dett_err e;
        _exit(run(out_path, NULL, &e, n, args) & 0x7f);
    }
    int st = 0;
    if (pid < 0 || waitpid(pid, &st, 0) != pid || !WIFEXITED(st)) return -100;
    return WEXITSTATUS(st);
}

/* 1 if file path holds the bytes of s somewhere (binary-safe) */
static int file_has(const char *path, const char *s)
{
    FILE *f = fopen(path, "rb");
    if (!f) return 0;
    size_t n = strlen(s), k = 0;
    int c, found = 0;
    while (!found && (c = fgetc(f)) != EOF) {
        if ((char)c == s[k]) k++;
        else k = (char)c == s[0];
        found = k == n;
    }
    fclose(f);
    return found;
}

/* 1 if the files a and b hold the same bytes (both readable) */
static int same_file(const char *a, const char *b)
{
    FILE *fa = fopen(a, "rb"), *fb = fopen(b, "rb");
    int same = fa && fb;
    while (same) {
        int ca = fgetc(fa), cb = fgetc(fb);
        same = ca == cb;
        if (ca == EOF) break;
    }
    if (fa) fclose(fa);
    if (fb) fclose(fb);
    return same;
}

/* 1 if every file of directory a is in b with the same bytes (and a has
 * at least `least` files); the first that differs is named in bad */
static int same_dir(const char *a, const char *b, int least, char *bad, size_t cap)
{
    DIR *d = opendir(a);
    int n = 0, same = d != NULL;
    snprintf(bad, cap, "%s", a);
    for (struct dirent *de; same && (de = readdir(d));) {
        if (de->d_name[0] == '.') continue;
        char pa[512], pb[512];
        snprintf(pa, sizeof pa, "%s/%s", a, de->d_name);
        snprintf(pb, sizeof pb, "%s/%s", b, de->d_name);
        same = same_file(pa, pb);
        if (!same) snprintf(bad, cap, "%s", de->d_name);
        n++;
    }
    if (d) closedir(d);
    return same && n >= least;
}

/* the width and height of a PNG (its IHDR chunk); 0 if not a PNG */
static int png_size(const char *dir, const char *name, unsigned *w, unsigned *h)
{
    char path[512];
    unsigned char b[24];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "rb");
    if (!f) return 0;
    size_t n = fread(b, 1, sizeof b, f);
    fclose(f);
    if (n != sizeof b || memcmp(b, "\x89PNG\r\n\x1a\n", 8) || memcmp(b + 12, "IHDR", 4)) return 0;
    *w = (unsigned)b[16] << 24 | (unsigned)b[17] << 16 | (unsigned)b[18] << 8 | b[19];
    *h = (unsigned)b[20] << 24 | (unsigned)b[21] << 16 | (unsigned)b[22] << 8 | b[23];
    return 1;
}

/* how often s occurs in text */
static int count(const char *text, const char *s)
{
    int n = 0;
    for (const char *p = text; p && (p = strstr(p, s)); p += strlen(s)) n++;
    return n;
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
    /* gap: 50 - 80, 52 - 80 -> -29.0 ± 1.4; mean-group: (.964+.50+.56+.97)/4 = .7485,
     * (.94+.54+.52+.95)/4 = .7375 -> 74.3 ± 0.8 */
    EXPECT(has(t, "| erm | 51.0 ± 1.4 (n=2) | -29.0 ± 1.4 | 74.3 ± 0.8 (n=2) | 89.2 ± 1.5 (n=2) "
                  "| -18.0 |"), "erm row:\n%s", shown(t));
    EXPECT(has(t, "73.0 ± 1.4 (n=2, 1 failed)"), "dett row:\n%s", shown(t));
    EXPECT(has(t, "| groupdro(eta=0.01) | 69.0 ± 1.4 (n=2) |"), "groupdro row:\n%s", shown(t));
    EXPECT(has(t, "| +4.0 |"), "dett delta:\n%s", shown(t));
    EXPECT(has(t, "| kd(T=4,alpha=0.9) | pending | — | pending | pending | — |"), "kd row:\n%s", shown(t));
    EXPECT(has(t, "SubpopBench") && has(t, "group_DRO's avg acc"), "metric names:\n%s", shown(t));
    EXPECT(has(t, "| teacher: groupdro mlp[64,64] | 80.0 ± 0.0 (n=1) |"), "teacher:\n%s", shown(t));
    EXPECT(has(t, "| j006 |") && has(t, "| failed | loss is NaN at epoch 2 |"), "failed:\n%s",
           shown(t));
    EXPECT(has(t, "| j009 |") && has(t, "| pending |"), "pending:\n%s", shown(t));
    EXPECT(has(t, "\n1 identification job\n"), "ident footer:\n%s", shown(t));
    if (t) compare("a.md", t);
    free(t);

    rc = run("report_a.csv", &t, &e, 3, (const char *[]){"report_a.h5", "--format", "csv"});
    EXPECT(rc == 0, "csv: rc %d: %s", rc, e.msg);
    /* erm: worst 51, std sqrt 2 = 1.4142, n 2; delta -18 */
    EXPECT(has(t, "student,erm,erm,,mlp[16],none,data/cmnist_small.h5,3,,0,\"groupdro "
                  "mlp[64,64]\",2,2,0,0,0,0,74.3000,0.7778,-29.0000,1.4142,2,groupdro(eta=0.01),"
                  "51.0000,1.4142,2,"),
           "csv erm:\n%s", shown(t));
    EXPECT(has(t, ",-18.0000\n"), "csv delta:\n%s", shown(t));
    EXPECT(t && !strstr(t, "±"), "csv has ±");
    if (t) compare("a.csv", t);
    free(t);

    rc = run("report_a.tex", &t, &e, 3, (const char *[]){"report_a.h5", "--format", "latex"});
    EXPECT(rc == 0, "latex: rc %d: %s", rc, e.msg);
    EXPECT(has(t, "\\toprule") && has(t, "\\midrule") && has(t, "\\bottomrule"), "booktabs");
    /* best worst-group mean among students: dett 73.0 */
    EXPECT(has(t, "\\textbf{73.0} $\\pm$ 1.4 (n=2, 1 failed)"), "latex best:\n%s", shown(t));
    EXPECT(has(t, "data/cmnist\\_small.h5") || !has(t, "cmnist_small"), "latex escape:\n%s", shown(t));
    if (t) compare("a.tex", t);
    free(t);

    /* oracle = epoch 0 (bump +0.02): erm 52, 54 -> 53.0; groupdro 71.0; and
     * per-group columns: erm g0 = (.964 + .94) / 2 + .02 = 97.2, g1 (y=0,a=1)
     * = (.50 + .54) / 2 + .02 = 54.0, g2 56.0, g3 98.0 */
    rc = run("report_a_oracle.md", &t, &e, 4,
             (const char *[]){"report_a.h5", "--select", "oracle", "--per-group"});
    EXPECT(rc == 0, "oracle: rc %d: %s", rc, e.msg);
    EXPECT(has(t, "| erm | 53.0 ± 1.4 (n=2) |"), "oracle erm:\n%s", shown(t));
    EXPECT(has(t, "| groupdro(eta=0.01) | 71.0 ± 1.4 (n=2) |"), "oracle groupdro:\n%s", shown(t));
    EXPECT(has(t, "| g0 (y=0,a=0) | g1 (y=0,a=1) | g2 (y=1,a=0) | g3 (y=1,a=1) |"),
           "per-group header:\n%s", shown(t));
    EXPECT(has(t, "| -18.0 | 97.2 | 54.0 | 56.0 | 98.0 |"), "erm groups:\n%s", shown(t));
    EXPECT(has(t, "| pending | — | pending | pending | — | pending | pending | pending | pending |"),
           "kd groups:\n%s", shown(t));
    if (t) compare("a_oracle_pergroup.md", t);
    free(t);

    /* val-avg = epoch 2 (bump -0.01): erm 49, 51 -> 50.0 */
    rc = run("report_a_valavg.md", &t, &e, 2,
             (const char *[]){"report_a.h5", "--select=val-avg"});
    EXPECT(rc == 0 && has(t, "50.0 ± 1.4 (n=2)"), "val-avg: rc %d:\n%s", rc, shown(t));
    free(t);

    /* val-worst-class: a file of format 1-3 stores no such choice (no
     * numbers); one with 4 entries picks epoch 2 -> erm 50.0 as val-avg */
    rc = run("report_a_vwc_old.md", &t, &e, 2,
             (const char *[]){"report_a.h5", "--select=val-worst-class"});
    EXPECT(rc != 0 && has(e.msg, "stores no val-worst-class choice"),
           "val-worst-class, 3 entries: rc %d %s", rc, e.msg);
    free(t);
    fx_n_sel = 4;
    EXPECT(fx_write("report_a4.h5", file_a, (int)(sizeof file_a / sizeof file_a[0])) == 0,
           "write report_a4.h5");
    fx_n_sel = 3;
    rc = run("report_a_vwc.md", &t, &e, 2,
             (const char *[]){"report_a4.h5", "--select=val-worst-class"});
    EXPECT(rc == 0 && has(t, "50.0 ± 1.4 (n=2)"), "val-worst-class: rc %d %s:\n%s", rc, e.msg, shown(t));
    free(t);

    /* two files: seeds pooled. erm mlp[16]: 50, 52, 53 -> 51.7 ± 1.5
     * (deviations -1.667, .333, 1.333: sum of squares 4.667 / 2 = 2.333);
     * kd seed 1 finished in B replaces the pending one of A (58.0, n=1;
     * avg .45*.931+.05*.58+.10*.64+.40*.94 = .88795);
     * the teacher repeats seed 0 (a warning; counted once); 2 ident jobs. */
    /* a fresh figure directory: files of an earlier run must not count */
    for (int k = 0; k < 4; k++) {
        static const char *const old[4] = {"curves", "groups", "axis_up", "axis_width"};
        static const char *const ext[3] = {"svg", "pdf", "png"};
        for (int x = 0; x < 3; x++) {
            char p[128];
            snprintf(p, sizeof p, "report_plots/sub/%s.%s", old[k], ext[x]);
            remove(p);
        }
    }
    rc = run("report_ab.md", &t, &e, 4,
             (const char *[]){"report_a.h5", "report_b.h5", "--plots", "report_plots/sub"});
    EXPECT(rc == 0, "merge: rc %d: %s", rc, e.msg);
    EXPECT(has(t, "| erm mlp[16] | 51.7 ± 1.5 (n=3) |"), "merged erm:\n%s", shown(t));
    EXPECT(has(t, "| kd(T=4,alpha=0.9) mlp[16] | 58.0 ± 0.0 (n=1) | -22.0 ± 0.0 | 77.3 ± 0.0 "
                  "(n=1) | 88.8 ± 0.0 (n=1) | -11.0 |"), "merged kd:\n%s", shown(t));
    EXPECT(has(t, "80.0 ± 0.0 (n=1)"), "merged teacher:\n%s", shown(t));
    EXPECT(has(t, "| erm mlp[64] | 57.0 ± 0.0 (n=1) | ") && has(t, "(n=1) | none |\n"),
           "erm mlp[64] without a groupdro row:\n%s", shown(t));
    EXPECT(has(t, "report_b.h5:j006") == 0 && has(t, "report_a.h5:j006"), "failed ids:\n%s", shown(t));
    EXPECT(!has(t, "j009"), "kd pending superseded:\n%s", shown(t));
    EXPECT(has(t, "\n2 identification jobs\n"), "ident count:\n%s", shown(t));
    if (t) compare("ab.md", t);
    free(t);
    /* the default formats: PDF and PNG (3.3 in at 300 dpi = 990 px wide) */
    const char *figs[4] = {"curves", "groups", "axis_up", "axis_width"};
    for (int k = 0; k < 4; k++) {
        char n[64];
        unsigned w = 0, h = 0;
        snprintf(n, sizeof n, "%s.pdf", figs[k]);
        EXPECT(is_fig("report_plots/sub", n, "%PDF"), "%s", n);
        snprintf(n, sizeof n, "%s.png", figs[k]);
        EXPECT(png_size("report_plots/sub", n, &w, &h) && w == 990 && h > 400 && h < 1600,
               "%s: %u x %u", n, w, h);
        char path[128];
        snprintf(path, sizeof path, "report_plots/sub/%s.svg", figs[k]);
        struct stat st;
        EXPECT(stat(path, &st) != 0, "svg not asked for: %s", path);
    }
    struct stat st;
    EXPECT(stat("report_plots/sub/axis_T.pdf", &st) != 0 &&
               stat("report_plots/sub/axis_dett_T.pdf", &st) != 0 &&
               stat("report_plots/sub/axis_kd_T.pdf", &st) != 0,
           "T takes one value per method: no plot");
    /* the captions: definitions, short legend labels, the full configurations */
    t = slurp("report_plots/sub/figures.md");
    EXPECT(has(t, "## curves\n") && has(t, "## groups\n") && has(t, "## axis_up\n") &&
               has(t, "![curves](curves.png)") && has(t, "mean ± sample std over seeds"),
           "figures.md:\n%s", shown(t));
    EXPECT(has(t, "- **dett up=50 mlp[16]**: dett(up=50,T=1); weighting jtt(T=1,up=50); arch "
                  "mlp[16]; teacher groupdro mlp[64,64]; n = 2 seeds"),
           "series caption:\n%s", shown(t));
    EXPECT(has(t, "All series: 3 epochs."), "common parts:\n%s", shown(t));
    free(t);

    /* rows differ by optimiser and batch: 50/52 -> 51.0, 60/62 -> 61.0, 70 */
    EXPECT(fx_write("report_c.h5", file_c, (int)(sizeof file_c / sizeof file_c[0])) == 0,
           "writing report_c.h5");
    rc = run("report_c.md", &t, &e, 1, (const char *[]){"report_c.h5"});
    EXPECT(rc == 0, "optim sweep: rc %d: %s", rc, e.msg);
    EXPECT(has(t, "| erm sgd(lr=0.01,momentum=0.9,wd=0) batch=64 | 51.0 ± 1.4 (n=2, 1 pending) |"),
           "lr 0.01 row:\n%s", shown(t));
    EXPECT(has(t, "| erm sgd(lr=0.1,momentum=0.9,wd=0) batch=64 | 61.0 ± 1.4 (n=2) |"),
           "lr 0.1 row:\n%s", shown(t));
    EXPECT(has(t, "| erm sgd(lr=0.1,momentum=0.9,wd=0) batch=128 | 70.0 ± 0.0 (n=1) |"),
           "batch 128 row:\n%s", shown(t));
    free(t);
    /* --tune: validation worst = test + 0.5 points here, so by validation
     * lr 0.1 beats lr 0.01 at batch 64 (61.5 vs 51.5), and batch 128 (70.5)
     * beats both */
    rc = run("report_c_tune1.md", &t, &e, 3, (const char *[]){"report_c.h5", "--tune", "optim"});
    EXPECT(rc == 0, "tune optim: rc %d: %s", rc, e.msg);
    EXPECT(has(t, "| erm batch=64 [best of 2 on val] | 61.0 ± 1.4 (n=2) |") &&
               has(t, "| erm batch=128 | 70.0 ± 0.0 (n=1) |") && !has(t, "51.0"),
           "tune optim:\n%s", shown(t));
    EXPECT(has(t, "| optim (tuned) |") &&
               has(t, "| none | sgd(lr=0.1,momentum=0.9,wd=0) |\n"), "tuned values:\n%s", shown(t));
    EXPECT(has(t, "Tuned on validation over optim"), "tune note:\n%s", shown(t));
    free(t);
    rc = run("report_c_tune2.md", &t, &e, 3,
             (const char *[]){"report_c.h5", "--tune", "optim,batch"});
    EXPECT(rc == 0 && has(t, "| erm [best of 3 on val] | 70.0 ± 0.0 (n=1) |") &&
               !has(t, "61.0"),
           "tune optim,batch: rc %d:\n%s", rc, shown(t));
    EXPECT(has(t, "| j005 | not kept by --tune: erm mlp[16] sgd(lr=0.01,momentum=0.9,wd=0) | 3 | "
                  "pending |"),
           "pending job of a dropped row:\n%s", shown(t));
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
           "two datasets:\n%s", shown(t));
    free(t);
    EXPECT(is_fig("report_plots_d/a", "curves.pdf", "%PDF") &&
               is_fig("report_plots_d/b", "curves.png", "PNG") &&
               is_fig("report_plots_d/a", "groups.png", "PNG") &&
               is_fig("report_plots_d/b", "figures.md", "# Figures"),
           "per-dataset plots");
    EXPECT(stat("report_plots_d/curves.pdf", &st) != 0, "no mixed plot");

    /* the group-DRO baseline of the row's own setup: erm sgd 50 - groupdro sgd 60
     * = -10.0 (the best groupdro of the file by validation, adamw's 80, would
     * give -30.0); erm adamw 70 - 80 = -10.0; kd at batch 128 and erm on
     * another dataset have none; erm mlp[32] 40 - 45 = -5.0 */
    EXPECT(fx_write("report_e.h5", file_e, (int)(sizeof file_e / sizeof file_e[0])) == 0,
           "writing report_e.h5");
    rc = run("report_e.md", &t, &e, 1, (const char *[]){"report_e.h5"});
    EXPECT(rc == 0, "baselines: rc %d: %s", rc, e.msg);
    EXPECT(count(t, "| -10.0 |\n") == 2 && !has(t, "-30.0"), "matched baselines:\n%s", shown(t));
    EXPECT(count(t, "| none |\n") == 2, "kd batch 128 and other.h5 have none:\n%s", shown(t));
    EXPECT(has(t, "| -5.0 |\n"), "mlp[32] baseline:\n%s", shown(t));
    free(t);
    /* blocks: mlp[16] rows first (groupdro adamw 80 the best), then mlp[32]
     * (groupdro 45 the best: bold although 80 is the column's best) */
    rc = run("report_e.tex", &t, &e, 3, (const char *[]){"report_e.h5", "--format", "latex"});
    EXPECT(rc == 0 && has(t, "\\textbf{80.0}") && has(t, "\\textbf{45.0}") &&
               !has(t, "\\textbf{50.0}") && count(t, "\\addlinespace") == 2,
           "bold per block: rc %d:\n%s", rc, shown(t));
    free(t);
    rc = run("report_e.csv", &t, &e, 3, (const char *[]){"report_e.h5", "--format", "csv"});
    EXPECT(rc == 0 && count(t, ",0,none,") == 2, "csv baseline none:\n%s", shown(t));
    free(t);

    /* the gap to each student's own teacher: A 50, 52 - 80 -> -29.0 ± 1.4;
     * B 55, 57 - 70 -> -14.0 ± 1.4; paired C: 75 - 80, 72 - 70 -> -1.5 ± 4.9 */
    EXPECT(fx_write("report_f.h5", file_f, (int)(sizeof file_f / sizeof file_f[0])) == 0,
           "writing report_f.h5");
    rc = run("report_f.md", &t, &e, 1, (const char *[]){"report_f.h5"});
    EXPECT(rc == 0, "gap: rc %d: %s", rc, e.msg);
    EXPECT(has(t, "| erm teacher=groupdro mlp[64,64] | 51.0 ± 1.4 (n=2) | -29.0 ± 1.4 |"),
           "gap to teacher A:\n%s", shown(t));
    EXPECT(has(t, "| erm teacher=groupdro mlp[32,32] | 56.0 ± 1.4 (n=2) | -14.0 ± 1.4 |"),
           "gap to teacher B:\n%s", shown(t));
    EXPECT(has(t, "| erm teacher=groupdro mlp[128] | 73.5 ± 2.1 (n=2) | -1.5 ± 4.9 |"),
           "gap to paired teachers:\n%s", shown(t));
    EXPECT(has(t, "| teacher: groupdro mlp[128] | 75.0 ± 7.1 (n=2) | — |"), "teacher C:\n%s", shown(t));
    free(t);
    rc = run("report_f.csv", &t, &e, 3, (const char *[]){"report_f.h5", "--format", "csv"});
    EXPECT(rc == 0 && has(t, ",-1.5000,4.9497,2,groupdro(eta=0.01),73.5000,"), "csv gap:\n%s", shown(t));
    free(t);
    /* the pivot: a line per teacher, its model named */
    rc = run("report_f_pivot.md", &t, &e, 3, (const char *[]){"report_f.h5", "--pivot", "method"});
    EXPECT(rc == 0 && has(t, "| benchmark | student | teacher model | teacher | erm | groupdro |") &&
               has(t, "| cmnist_small | mlp[16] | groupdro mlp[32,32] | 70.0 | 56.0 ± 1.4 | "
                      "65.0 ± 0.0 (n=1) |\n") &&
               has(t, "| cmnist_small | mlp[16] | groupdro mlp[128] | 75.0 ± 7.1 | 73.5 ± 2.1 | "
                      "65.0 ± 0.0 (n=1) |\n") && count(t, "| cmnist_small |") == 3,
           "pivot per teacher: rc %d:\n%s", rc, shown(t));
    free(t);

    /* --pivot method: benchmark x method, bold the best apart from groupdro */
    rc = run("report_ab_pivot.md", &t, &e, 4,
             (const char *[]){"report_a.h5", "report_b.h5", "--pivot", "method"});
    EXPECT(rc == 0, "pivot: rc %d: %s", rc, e.msg);
    EXPECT(has(t, "| benchmark | student | teacher | erm | dett(up=50,T=1) | groupdro | kd | "
                  "dett(up=5,T=1) |\n") &&
               has(t, "| cmnist_small | mlp[16] | 80.0 | 51.7 ± 1.5 | **73.0 ± 1.4** (n=2) | "
                      "69.0 ± 1.4 (n=2) | 58.0 ± 0.0 (n=1) | 61.0 ± 1.4 (n=2) |\n") &&
               has(t, "| cmnist_small | mlp[64] | 80.0 | 57.0 ± 0.0 (n=1) |  |  |  |  |\n"),
           "pivot md:\n%s", shown(t));
    if (t) compare("ab_pivot.md", t);
    free(t);
    rc = run("report_ab_pivot.tex", &t, &e, 6, (const char *[]){"report_a.h5", "report_b.h5",
             "--pivot", "method", "--format", "latex"});
    EXPECT(rc == 0 && has(t, "\\begin{tabular}{llrrrrrr}") &&
               has(t, "cmnist\\_small & mlp[16] & 80.0 & 51.7 $\\pm$ 1.5 & \\textbf{73.0 $\\pm$ "
                      "1.4} (n=2) &"),
           "pivot latex: rc %d:\n%s", rc, shown(t));
    free(t);
    rc = run("report_ab_pivot.csv", &t, &e, 6, (const char *[]){"report_a.h5", "report_b.h5",
             "--pivot", "method", "--format", "csv"});
    EXPECT(rc == 0 && has(t, "benchmark,student,dataset,teacher_model,teacher_mean,teacher_std,"
                             "teacher_n,erm mean,erm std,erm n,") &&
               has(t, "cmnist_small,mlp[16],data/cmnist_small.h5,\"groupdro mlp[64,64]\",80.0000,"
                      "0.0000,1,51.6667,1.5275,3,73.0000,1.4142,2,"),
           "pivot csv: rc %d:\n%s", rc, shown(t));
    free(t);
    rc = run("report_err.txt", NULL, &e, 3, (const char *[]){"report_a.h5", "--pivot", "arch"});
    EXPECT(rc == 2 && has(e.msg, "--pivot: 'arch' is not 'method'"), "%d %s", rc, e.msg);

    /* --tune keys: T is kd's temperature and dett's identification epochs */
    rc = run("report_err.txt", NULL, &e, 4,
             (const char *[]){"report_a.h5", "report_b.h5", "--tune", "T"});
    EXPECT(rc == 1 && has(e.msg, "'T' is an argument of several methods (dett, kd)") &&
               has(e.msg, "dett.T,kd.T"),
           "ambiguous T: %d %s", rc, e.msg);
    rc = run("report_err.txt", NULL, &e, 3, (const char *[]){"report_a.h5", "--tune", "kd.up"});
    EXPECT(rc == 1 && has(e.msg, "'kd.up': no kd job has an argument 'up'"), "%d %s", rc, e.msg);
    rc = run("report_err.txt", NULL, &e, 3, (const char *[]){"report_a.h5", "--tune", "jtt.up"});
    EXPECT(rc == 1 && has(e.msg, "no job has method 'jtt'"), "%d %s", rc, e.msg);
    /* dett.up: up=50 (val 73.5) beats up=5 (61.5); the choice in every format */
    rc = run("report_tune.md", &t, &e, 6, (const char *[]){"report_a.h5", "report_b.h5",
             "--tune", "dett.up", "--plots", "report_plots_tune"});
    EXPECT(rc == 0 && has(t, "| dett.up (tuned) |") &&
               has(t, "| dett(up=50,T=1) mlp[16] [best of 2 on val] | 73.0 ± 1.4") &&
               has(t, "| +4.0 | 50 |\n") && has(t, "| -17.3 | — |\n") && !has(t, "61.0"),
           "tune dett.up md: rc %d:\n%s", rc, shown(t));
    free(t);
    t = slurp("report_plots_tune/figures.md");
    EXPECT(has(t, "- **dett mlp[16]**: dett(T=1); weighting jtt(T=1); arch mlp[16]; teacher "
                  "groupdro mlp[64,64]; chosen on validation of 2: dett.up=50; n = 2 seeds\n"),
           "tuned values in the captions:\n%s", shown(t));
    free(t);
    rc = run("report_tune.csv", &t, &e, 6, (const char *[]){"report_a.h5", "report_b.h5",
             "--tune", "dett.up", "--format", "csv"});
    EXPECT(rc == 0 && has(t, ",teacher,tuned_dett.up,seeds,") &&
               has(t, "\"groupdro mlp[64,64]\",50,3,2,1,"),
           "tune csv: rc %d:\n%s", rc, shown(t));
    free(t);
    rc = run("report_tune.tex", &t, &e, 6, (const char *[]){"report_a.h5", "report_b.h5",
             "--tune", "up", "--format", "latex"});
    EXPECT(rc == 0 && has(t, "dett.up (tuned)") == 0 && has(t, "up (tuned)") &&
               has(t, "& +4.0 & 50 \\\\") == 0 && has(t, "& \\textbf{+4.0} & 50 \\\\"),
           "tune bare up (one method) latex: rc %d:\n%s", rc, shown(t));
    free(t);

    /* figures: every format; more than eight series split into panels */
    EXPECT(fx_write("report_g.h5", file_g, (int)(sizeof file_g / sizeof file_g[0])) == 0,
           "writing report_g.h5");
    rc = run("report_g.md", &t, &e, 5, (const char *[]){"report_g.h5", "--plots",
             "report_plots_g", "--plot-format", "pdf,svg,png"});
    EXPECT(rc == 0, "plots g: rc %d: %s", rc, e.msg);
    free(t);
    EXPECT(is_fig("report_plots_g", "curves-1.pdf", "%PDF") &&
               is_fig("report_plots_g", "curves-2.svg", "<svg") &&
               is_fig("report_plots_g", "groups-2.png", "PNG") &&
               is_fig("report_plots_g", "axis_alpha.svg", "<svg"),
           "panels and formats");
    EXPECT(stat("report_plots_g/curves.pdf", &st) != 0 && stat("report_plots_g/curves-3.pdf", &st) != 0,
           "ten series: two panels of five");
    /* figures are reproducible byte for byte: a second render is the same
     * file for file (PDF, SVG, PNG, captions); the PDF's creation date is
     * SOURCE_DATE_EPOCH, else 1970-01-01, never the wall clock */
    char bad[300];
    rc = run_fresh("report_g1.md", 5, (const char *[]){"report_g.h5", "--plots",
                   "report_plots_g1", "--plot-format", "pdf,svg,png"});
    int rc2 = run_fresh("report_g2.md", 5, (const char *[]){"report_g.h5", "--plots",
                        "report_plots_g2", "--plot-format", "pdf,svg,png"});
    EXPECT(rc == 0 && rc2 == 0 && same_dir("report_plots_g1", "report_plots_g2", 10, bad, sizeof bad),
           "a second render differs: %s (rc %d %d)", bad, rc, rc2);
    EXPECT(file_has("report_plots_g1/axis_alpha.pdf", "/CreationDate (19700101000000Z)"),
           "PDF creation date not the epoch");
    EXPECT(setenv("SOURCE_DATE_EPOCH", "1000000000", 1) == 0, "setenv");
    rc = run("report_g3.md", &t, &e, 5, (const char *[]){"report_g.h5", "--plots",
             "report_plots_g3", "--plot-format", "pdf"});
    free(t);
    unsetenv("SOURCE_DATE_EPOCH");
    EXPECT(rc == 0 && file_has("report_plots_g3/axis_alpha.pdf", "/CreationDate (20010909014640Z)"),
           "PDF creation date from SOURCE_DATE_EPOCH: rc %d", rc);
    t = slurp("report_plots_g/figures.md");
    /* five series per panel, labelled by what differs: alpha */
    EXPECT(t && count(t, "\n- **kd alpha=") == 20 && has(t, "## curves-2\n") &&
               has(t, "- **kd alpha=0.6**: kd(T=4,alpha=0.6)"),
           "panel captions:\n%s", shown(t));
    free(t);
    rc = run("report_err.txt", NULL, &e, 5, (const char *[]){"report_g.h5", "--plots",
             "report_plots_g", "--plot-format", "pdf,jpg"});
    EXPECT(rc == 2 && has(e.msg, "--plot-format: 'pdf,jpg'"), "%d %s", rc, e.msg);

    /* --stat sem: every ± is std / sqrt(n): erm on a.h5, std 1.4 over 2 seeds -> 1.0 */
    rc = run("report_d_sem.md", &t, &e, 3, (const char *[]){"report_d.h5", "--stat", "sem"});
    EXPECT(rc == 0 && has(t, "| erm a | 51.0 ± 1.0 (n=2) |") &&
               has(t, "mean ± standard error (sample std / sqrt(n)) over seeds") &&
               !has(t, "sample std over"),
           "--stat sem: rc %d:\n%s", rc, shown(t));
    free(t);
    rc = run("report_d_sem.csv", &t, &e, 5,
             (const char *[]){"report_d.h5", "--stat", "sem", "--format", "csv"});
    EXPECT(rc == 0 && has(t, ",worst_mean,worst_sem,worst_n,") && !has(t, "worst_std"),
           "--stat sem csv: rc %d:\n%s", rc, shown(t));
    free(t);
    rc = run("report_err.txt", NULL, &e, 3, (const char *[]){"report_d.h5", "--stat", "var"});
    EXPECT(rc == 2 && has(e.msg, "--stat: 'var' is not std or sem"), "%d %s", rc, e.msg);

    /* pivot: a benchmark's own batch does not split kd's column */
    EXPECT(fx_write("report_i.h5", file_i, (int)(sizeof file_i / sizeof file_i[0])) == 0,
           "writing report_i.h5");
    rc = run("report_i.md", &t, &e, 3, (const char *[]){"report_i.h5", "--pivot", "method"});
    EXPECT(rc == 0 && has(t, "| benchmark | student | teacher | kd |\n") &&
               has(t, "| small | mlp[16] | — | 50.0 ± 0.0 |\n") && has(t, "| big | mlp[16] | — | 60.0 ± 0.0 |\n"),
           "pivot columns across benchmarks: rc %d:\n%s", rc, shown(t));
    free(t);

    /* gap to teacher against the bias strength of the data files */
    EXPECT(fx_bias_data("report_bias10.h5", 200, 2, 20) == 0 &&
               fx_bias_data("report_bias01.h5", 1000, 2, 10) == 0 &&
               fx_bias_data("report_bias_wide.h5", 100, 3, 50) == 0 &&
               fx_write("report_h.h5", file_h, (int)(sizeof file_h / sizeof file_h[0])) == 0,
           "writing report_h.h5 and its data files");
    remove("report_bias_gone.h5");
    rc = run("report_h.md", &t, &e, 5, (const char *[]){"report_h.h5", "--plots",
             "report_plots_h", "--stat", "sem"});
    EXPECT(rc == 0, "gap_bias: rc %d: %s", rc, e.msg);
    free(t);
    EXPECT(is_fig("report_plots_h", "gap_bias_report-bias_mlp16_ep3.png", "PNG") &&
               is_fig("report_plots_h", "gap_bias_report-bias_mlp16_ep3.pdf", "%PDF") &&
               is_fig("report_plots_h/report_bias10", "curves.png", "PNG"),
           "gap_bias figure and the per-dataset ones");
    t = slurp("report_plots_h/figures.md");
    /* kd: gaps -2, -4 at 0.1 (mean -3) and -10, -10 at 0.01; erm one seed */
    EXPECT(t && has(t, "## gap_bias_report-bias_mlp16_ep3\n") &&
               count(t, "\n## ") == 1 &&
               has(t, "Data files: report_bias10.h5 (0.1), report_bias01.h5 (0.01).") &&
               !has(t, "report_bias_gone") && !has(t, "report_bias_wide") && has(t, "- **groupdro**") && has(t, "- **kd**") && has(t, "- **erm**") &&
               has(t, "± standard error (sample std / sqrt(n))"),
           "gap_bias captions:\n%s", shown(t));
    free(t);
    /* one dataset: no figure across datasets, no top-level captions */
    rc = run("report_g.md", &t, &e, 3, (const char *[]){"report_g.h5", "--plots",
             "report_plots_g"});
    free(t);
    EXPECT(rc == 0 && stat("report_plots_g/figures.md", &st) == 0 &&
               stat("report_plots_g/gap_bias_data_mlp16_ep3.png", &st) != 0, "no gap_bias");

    /* --diagnostics: the hook */
    rc = run("report_diag.md", &t, &e, 2, (const char *[]){"report_a.h5", "--diagnostics"});
    EXPECT(rc == 0 && has(t, "no diagnostics in report_a.h5\n"), "diagnostics:\n%s", shown(t));
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
