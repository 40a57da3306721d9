/* report_read.c - reads results files (runtime/io/results.h) into rep_data.
 * Serial and read-only: H5Fopen with the default (sec2) driver. */
#define _POSIX_C_SOURCE 200809L
#include "report_internal.h"
#include "results.h"
#include <errno.h>
#include <hdf5.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/* the /jobs/table row as read: one byte more per string than the file's
 * fields, so a NUL-padded field of full width still ends in a NUL */
typedef struct {
    char id[17], kind[9], hash[66];
    int32_t status;
    char error[257];
    double wall_seconds;
    int32_t ranks, epochs_run;
} rd_row;

/* ---- attributes ----------------------------------------------------------- */

/* opens attribute name of obj and its file type, which must be of class
 * cls ("what" names it in the message); the caller closes *a and *ft
 * (left -1 where not opened) */
static int rd_attr_open(hid_t obj, const char *where, const char *name, H5T_class_t cls,
                        const char *what, hid_t *a, hid_t *ft, dett_err *e)
{
    htri_t ex;
    *a = *ft = -1;
    CHECK_H5(e, ex = H5Aexists(obj, name), "%s: cannot query attribute '%s'", where, name);
    if (!ex) return dett_fail(e, "%s: no attribute '%s'", where, name);
    CHECK_H5(e, *a = H5Aopen(obj, name, H5P_DEFAULT), "%s: cannot open attribute '%s'",
             where, name);
    CHECK_H5(e, *ft = H5Aget_type(*a), "%s: attribute '%s': no type", where, name);
    if (H5Tget_class(*ft) != cls)
        return dett_fail(e, "%s: attribute '%s' is not %s", where, name, what);
    return 0;
fail:
    return -1;
}

/* a string attribute (fixed or variable length) into buf[cap] */
static int rd_attr_str(hid_t obj, const char *where, const char *name, char *buf,
                       size_t cap, dett_err *e)
{
    hid_t a = -1, ft = -1, mt = -1;
    char *vl = NULL, *tmp = NULL;
    int rc = -1;
    CHECK(rd_attr_open(obj, where, name, H5T_STRING, "a string", &a, &ft, e));
    htri_t var;
    CHECK_H5(e, var = H5Tis_variable_str(ft), "%s: attribute '%s': bad type", where, name);
    CHECK_H5(e, mt = H5Tcopy(H5T_C_S1), "%s: H5Tcopy", where);
    /* the file's character set (h5py writes UTF-8): HDF5 converts no other */
    H5T_cset_t cset;
    CHECK_H5(e, cset = H5Tget_cset(ft), "%s: attribute '%s': bad type", where, name);
    CHECK_H5(e, H5Tset_cset(mt, cset), "%s: H5Tset_cset", where);
    const char *s;
    if (var) {
        CHECK_H5(e, H5Tset_size(mt, H5T_VARIABLE), "%s: H5Tset_size", where);
        CHECK_H5(e, H5Aread(a, mt, &vl), "%s: cannot read attribute '%s'", where, name);
        s = vl ? vl : "";
    } else {
        size_t sz = H5Tget_size(ft);
        if (sz == 0) {
            dett_fail(e, "%s: attribute '%s': bad string size", where, name);
            goto fail;
        }
        CHECK_H5(e, H5Tset_size(mt, sz + 1), "%s: H5Tset_size", where);
        CHECK_H5(e, H5Tset_strpad(mt, H5T_STR_NULLTERM), "%s: H5Tset_strpad", where);
        tmp = calloc(sz + 1, 1);
        CHECK_ALLOC(e, tmp);
        CHECK_H5(e, H5Aread(a, mt, tmp), "%s: cannot read attribute '%s'", where, name);
        s = tmp;
    }
    if (strlen(s) >= cap) {
        dett_fail(e, "%s: attribute '%s' is longer than %zu bytes", where, name, cap - 1);
        goto fail;
    }
    memcpy(buf, s, strlen(s) + 1);
    rc = 0;
fail:
    if (vl) H5free_memory(vl);
    free(tmp);
    if (mt >= 0) H5Tclose(mt);
    if (ft >= 0) H5Tclose(ft);
    if (a >= 0) H5Aclose(a);
    return rc;
}

/* an integer attribute */
static int rd_attr_int(hid_t obj, const char *where, const char *name, long long *v,
                       dett_err *e)
{
    hid_t a = -1, ft = -1;
    int rc = -1;
    CHECK(rd_attr_open(obj, where, name, H5T_INTEGER, "an integer", &a, &ft, e));
    CHECK_H5(e, H5Aread(a, H5T_NATIVE_LLONG, v), "%s: cannot read attribute '%s'", where,
             name);
    rc = 0;
fail:
    if (ft >= 0) H5Tclose(ft);
    if (a >= 0) H5Aclose(a);
    return rc;
}

static int rd_attr_int_range(hid_t obj, const char *where, const char *name, long long lo,
                             long long hi, int *v, dett_err *e)
{
    long long x;
    if (rd_attr_int(obj, where, name, &x, e)) return -1;
    if (x < lo || x > hi)
        return dett_fail(e, "%s: attribute '%s' = %lld is out of range [%lld, %lld]", where,
                         name, x, lo, hi);
    *v = (int)x;
    return 0;
}

/* attributes that files written before they existed lack: "" / 0 then */
static int rd_attr_opt(hid_t obj, const char *where, const char *name, char *buf, size_t cap,
                       int *ival, dett_err *e)
{
    htri_t ex;
    CHECK_H5(e, ex = H5Aexists(obj, name), "%s: cannot query attribute '%s'", where, name);
    if (!ex) {
        if (buf) buf[0] = '\0';
        if (ival) *ival = 0;
        return 0;
    }
    if (buf) return rd_attr_str(obj, where, name, buf, cap, e);
    return rd_attr_int_range(obj, where, name, 1, 1 << 30, ival, e);
fail:
    return -1;
}

/* ---- datasets -------------------------------------------------------------- */

/* reads the double dataset name of group g, whose shape must be dims[0..rank) */
static int rd_doubles(hid_t g, const char *where, const char *name, int rank,
                      const hsize_t *dims, double *out, dett_err *e)
{
    hid_t d = -1, sp = -1;
    int rc = -1;
    hsize_t got[8];
    htri_t ex;
    CHECK_H5(e, ex = H5Lexists(g, name, H5P_DEFAULT), "%s: cannot query '%s'", where, name);
    if (!ex) {
        dett_fail(e, "%s: no dataset '%s'", where, name);
        goto fail;
    }
    CHECK_H5(e, d = H5Dopen2(g, name, H5P_DEFAULT), "%s: cannot open dataset '%s'", where,
             name);
    CHECK_H5(e, sp = H5Dget_space(d), "%s/%s: no dataspace", where, name);
    int r;
    CHECK_H5(e, r = H5Sget_simple_extent_ndims(sp), "%s/%s: bad dataspace", where, name);
    if (r != rank || H5Sget_simple_extent_dims(sp, got, NULL) < 0) {
        dett_fail(e, "%s/%s: expected a rank-%d dataset, found rank %d", where, name, rank, r);
        goto fail;
    }
    for (int k = 0; k < rank; k++)
        if (got[k] != dims[k]) {
            dett_fail(e, "%s/%s: dimension %d is %llu, expected %llu (from the attributes)",
                      where, name, k, (unsigned long long)got[k],
                      (unsigned long long)dims[k]);
            goto fail;
        }
    CHECK_H5(e, H5Dread(d, H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, out),
             "%s/%s: cannot read", where, name);
    rc = 0;
fail:
    if (sp >= 0) H5Sclose(sp);
    if (d >= 0) H5Dclose(d);
    return rc;
}

static int rd_selected(hid_t g, const char *where, int32_t sel[3], dett_err *e)
{
    hid_t d = -1, sp = -1;
    int rc = -1;
    hsize_t n = 0;
    CHECK_H5(e, d = H5Dopen2(g, "selected", H5P_DEFAULT), "%s: no dataset 'selected'", where);
    CHECK_H5(e, sp = H5Dget_space(d), "%s/selected: no dataspace", where);
    if (H5Sget_simple_extent_ndims(sp) != 1 || H5Sget_simple_extent_dims(sp, &n, NULL) < 0 ||
        n != 3) {
        dett_fail(e, "%s/selected: expected int32 [3]", where);
        goto fail;
    }
    CHECK_H5(e, H5Dread(d, H5T_NATIVE_INT32, H5S_ALL, H5S_ALL, H5P_DEFAULT, sel),
             "%s/selected: cannot read", where);
    rc = 0;
fail:
    if (sp >= 0) H5Sclose(sp);
    if (d >= 0) H5Dclose(d);
    return rc;
}

/* ---- one job ---------------------------------------------------------------- */

static int rd_job(hid_t file, const char *path, const rd_row *row, rep_job *j, dett_err *e)
{
    char where[600], gpath[40];
    hid_t g = -1;
    int rc = -1;
    long long seed;
    snprintf(where, sizeof where, "%s: /jobs/%s", path, row->id);
    snprintf(gpath, sizeof gpath, "/jobs/%s", row->id);
    memcpy(j->id, row->id, sizeof j->id);
    memcpy(j->kind, row->kind, sizeof j->kind);
    memcpy(j->hash, row->hash, sizeof j->hash);
    memcpy(j->error, row->error, sizeof j->error);
    j->status = row->status;
    j->wall_seconds = row->wall_seconds;
    j->ranks = row->ranks;
    j->epochs_run = row->epochs_run;
    j->selected[0] = j->selected[1] = j->selected[2] = -1;
    if (j->status < 0 || j->status >= REP_N_STATUS) {
        dett_fail(e, "%s: /jobs/table: job %s has unknown status %d", path, row->id,
                  j->status);
        goto fail;
    }
    if (strcmp(j->kind, "train") && strcmp(j->kind, "ident") && strcmp(j->kind, "student")) {
        dett_fail(e, "%s: /jobs/table: job %s has unknown kind '%s'", path, row->id, j->kind);
        goto fail;
    }
    if (!row->id[0] || strchr(row->id, '/')) {
        dett_fail(e, "%s: /jobs/table: bad job id '%s'", path, row->id);
        goto fail;
    }
    htri_t ex;
    CHECK_H5(e, ex = H5Lexists(file, gpath, H5P_DEFAULT), "%s: cannot query", where);
    if (!ex) {
        dett_fail(e, "%s: group missing (job listed in /jobs/table)", where);
        goto fail;
    }
    CHECK_H5(e, g = H5Gopen2(file, gpath, H5P_DEFAULT), "%s: cannot open group", where);
    CHECK(rd_attr_str(g, where, "method", j->method, sizeof j->method, e));
    CHECK(rd_attr_str(g, where, "method_args", j->method_args, sizeof j->method_args, e));
    CHECK(rd_attr_str(g, where, "arch", j->arch, sizeof j->arch, e));
    CHECK(rd_attr_str(g, where, "weighting", j->weighting, sizeof j->weighting, e));
    CHECK(rd_attr_opt(g, where, "optim", j->optim, sizeof j->optim, NULL, e));
    CHECK(rd_attr_opt(g, where, "batch", NULL, 0, &j->batch, e));
    CHECK(rd_attr_str(g, where, "dataset", j->dataset, sizeof j->dataset, e));
    CHECK(rd_attr_str(g, where, "teacher", j->teacher, sizeof j->teacher, e));
    CHECK(rd_attr_str(g, where, "ident", j->ident, sizeof j->ident, e));
    CHECK(rd_attr_str(g, where, "select", j->select, sizeof j->select, e));
    CHECK(rd_attr_int(g, where, "seed", &seed, e));
    j->seed = (int64_t)seed;
    CHECK(rd_attr_int_range(g, where, "epochs", 1, 1000000, &j->epochs, e));
    CHECK(rd_attr_int_range(g, where, "groups", 1, 65536, &j->groups, e));
    CHECK(rd_attr_int_range(g, where, "n_attrs", 1, 65536, &j->n_attrs, e));
    if (j->groups % j->n_attrs) {
        dett_fail(e, "%s: groups = %d is not a multiple of n_attrs = %d", where, j->groups,
                  j->n_attrs);
        goto fail;
    }
    htri_t diag;
    CHECK_H5(e, diag = H5Lexists(g, "diagnostics", H5P_DEFAULT),
             "%s: cannot query 'diagnostics'", where);
    j->has_diagnostics = diag > 0;
    if (j->status == JOB_DONE) {
        size_t E = (size_t)j->epochs, G = (size_t)j->groups;
        hsize_t d3[3] = {E, 2, G}, d2[2] = {E, 2};
        j->acc = malloc(E * 2 * G * sizeof *j->acc);
        j->worst = malloc(E * 2 * sizeof *j->worst);
        j->avg = malloc(E * 2 * sizeof *j->avg);
        CHECK_ALLOC(e, j->acc);
        CHECK_ALLOC(e, j->worst);
        CHECK_ALLOC(e, j->avg);
        CHECK(rd_doubles(g, where, "acc", 3, d3, j->acc, e));
        CHECK(rd_doubles(g, where, "worst", 2, d2, j->worst, e));
        CHECK(rd_doubles(g, where, "avg", 2, d2, j->avg, e));
        CHECK(rd_selected(g, where, j->selected, e));
        if (j->has_diagnostics) {
            hsize_t dg[1] = {G};
            j->cka = malloc(G * sizeof *j->cka);
            j->feature_mse = malloc(G * sizeof *j->feature_mse);
            CHECK_ALLOC(e, j->cka);
            CHECK_ALLOC(e, j->feature_mse);
            CHECK(rd_doubles(g, where, "diagnostics/cka", 1, dg, j->cka, e));
            CHECK(rd_doubles(g, where, "diagnostics/feature_mse", 1, dg, j->feature_mse, e));
        }
        for (int k = 0; k < 3; k++)
            if (j->selected[k] < 0 || j->selected[k] >= j->epochs) {
                dett_fail(e, "%s/selected: epoch %d out of range [0, %d) for a done job",
                          where, (int)j->selected[k], j->epochs);
                goto fail;
            }
    }
    rc = 0;
fail:
    if (g >= 0) H5Gclose(g);
    return rc;
}

/* ---- the file --------------------------------------------------------------- */

static int rd_table(hid_t file, const char *path, rd_row **rows, int *n, dett_err *e)
{
    hid_t d = -1, sp = -1, mt = -1, s[4] = {-1, -1, -1, -1};
    const size_t len[4] = {17, 9, 66, 257};
    int rc = -1;
    hsize_t dim = 0;
    htri_t ex;
    *rows = NULL;
    CHECK_H5(e, ex = H5Lexists(file, "/jobs", H5P_DEFAULT), "%s: cannot query /jobs", path);
    if (ex) CHECK_H5(e, ex = H5Lexists(file, "/jobs/table", H5P_DEFAULT),
                     "%s: cannot query /jobs/table", path);
    if (!ex) {
        dett_fail(e, "%s: no /jobs/table (not a complete dett results file)", path);
        goto fail;
    }
    CHECK_H5(e, d = H5Dopen2(file, "/jobs/table", H5P_DEFAULT), "%s: cannot open /jobs/table",
             path);
    CHECK_H5(e, sp = H5Dget_space(d), "%s: /jobs/table: no dataspace", path);
    if (H5Sget_simple_extent_ndims(sp) != 1 || H5Sget_simple_extent_dims(sp, &dim, NULL) < 0) {
        dett_fail(e, "%s: /jobs/table is not one-dimensional", path);
        goto fail;
    }
    for (int k = 0; k < 4; k++) {
        CHECK_H5(e, s[k] = H5Tcopy(H5T_C_S1), "%s: H5Tcopy", path);
        CHECK_H5(e, H5Tset_size(s[k], len[k]), "%s: H5Tset_size", path);
        CHECK_H5(e, H5Tset_strpad(s[k], H5T_STR_NULLTERM), "%s: H5Tset_strpad", path);
    }
    CHECK_H5(e, mt = H5Tcreate(H5T_COMPOUND, sizeof(rd_row)), "%s: H5Tcreate", path);
    CHECK_H5(e, H5Tinsert(mt, "id", HOFFSET(rd_row, id), s[0]), "%s: H5Tinsert", path);
    CHECK_H5(e, H5Tinsert(mt, "kind", HOFFSET(rd_row, kind), s[1]), "%s: H5Tinsert", path);
    CHECK_H5(e, H5Tinsert(mt, "hash", HOFFSET(rd_row, hash), s[2]), "%s: H5Tinsert", path);
    CHECK_H5(e, H5Tinsert(mt, "status", HOFFSET(rd_row, status), H5T_NATIVE_INT32),
             "%s: H5Tinsert", path);
    CHECK_H5(e, H5Tinsert(mt, "error", HOFFSET(rd_row, error), s[3]), "%s: H5Tinsert", path);
    CHECK_H5(e, H5Tinsert(mt, "wall_seconds", HOFFSET(rd_row, wall_seconds),
                          H5T_NATIVE_DOUBLE), "%s: H5Tinsert", path);
    CHECK_H5(e, H5Tinsert(mt, "ranks", HOFFSET(rd_row, ranks), H5T_NATIVE_INT32),
             "%s: H5Tinsert", path);
    CHECK_H5(e, H5Tinsert(mt, "epochs_run", HOFFSET(rd_row, epochs_run), H5T_NATIVE_INT32),
             "%s: H5Tinsert", path);
    *rows = calloc(dim ? dim : 1, sizeof **rows);
    CHECK_ALLOC(e, *rows);
    if (dim)
        CHECK_H5(e, H5Dread(d, mt, H5S_ALL, H5S_ALL, H5P_DEFAULT, *rows),
                 "%s: cannot read /jobs/table (fields id, kind, hash, status, error, "
                 "wall_seconds, ranks, epochs_run expected)", path);
    *n = (int)dim;
    rc = 0;
fail:
    for (int k = 0; k < 4; k++)
        if (s[k] >= 0) H5Tclose(s[k]);
    if (mt >= 0) H5Tclose(mt);
    if (sp >= 0) H5Sclose(sp);
    if (d >= 0) H5Dclose(d);
    if (rc) {
        free(*rows);
        *rows = NULL;
    }
    return rc;
}

/* "method|method_args|arch|weighting|dataset|epochs|optim|batch" of the teacher job */
static void rd_teacher_key(rep_job *j, const rep_job *jobs, int first, int last,
                           const char *path)
{
    j->teacher_key[0] = j->teacher_label[0] = '\0';
    if (!j->teacher[0]) return;
    for (int k = first; k < last; k++)
        if (!strcmp(jobs[k].id, j->teacher)) {
            const rep_job *t = &jobs[k];
            rep_fmt(j->teacher_key, sizeof j->teacher_key, "%s|%s|%s|%s|%s|%d|%s|%d", t->method,
                    t->method_args, t->arch, t->weighting, t->dataset, t->epochs, t->optim,
                    t->batch);
            rep_fmt(j->teacher_label, sizeof j->teacher_label, "%s %s", t->method, t->arch);
            return;
        }
    /* not in the file: key on the id, so the row stays apart */
    rep_fmt(j->teacher_key, sizeof j->teacher_key, "missing %s in %s", j->teacher, path);
    rep_fmt(j->teacher_label, sizeof j->teacher_label, "%s (missing)", j->teacher);
}

static int rd_file_open(const char *path, hid_t *file, dett_err *e)
{
    struct stat st;
    htri_t is;
    if (stat(path, &st) != 0) return dett_fail(e, "%s: %s", path, strerror(errno));
    if (!S_ISREG(st.st_mode)) return dett_fail(e, "%s: not a regular file", path);
    is = H5Fis_hdf5(path);
    if (is <= 0) return dett_fail(e, "%s: not an HDF5 file", path);
    *file = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT);
    if (*file < 0) return dett_fail(e, "%s: cannot open (HDF5)", path);
    return 0;
}

static int rd_check_format(hid_t file, const char *path, dett_err *e)
{
    char fmt[64];
    long long ver;
    htri_t ex = H5Aexists(file, "format");
    if (ex < 0) return dett_fail(e, "%s: cannot query attribute 'format'", path);
    if (!ex)
        return dett_fail(e, "%s: not a dett results file (no 'format' attribute on /)", path);
    if (rd_attr_str(file, path, "format", fmt, sizeof fmt, e)) return -1;
    if (strcmp(fmt, "dett-results"))
        return dett_fail(e, "%s: not a dett results file (format is '%s', expected "
                         "'dett-results')", path, fmt);
    if (rd_attr_int(file, path, "format_version", &ver, e)) return -1;
    if (ver < 1 || ver > RESULTS_FORMAT_VERSION)
        return dett_fail(e, "%s: results format_version %lld is not one this dett reads (%d)",
                         path, ver, RESULTS_FORMAT_VERSION);
    return 0;
}

int rep_read_file(rep_data *d, const char *path, dett_err *e)
{
    hid_t file = -1;
    rd_row *rows = NULL;
    int n = 0, rc = -1, first = d->n_jobs;
    H5E_auto2_t old_fn = NULL;
    void *old_data = NULL;
    int quiet = H5Eget_auto2(H5E_DEFAULT, &old_fn, &old_data) >= 0 &&
                H5Eset_auto2(H5E_DEFAULT, NULL, NULL) >= 0;

    char **files = realloc(d->files, (size_t)(d->n_files + 1) * sizeof *files);
    CHECK_ALLOC(e, files);
    d->files = files;
    d->files[d->n_files] = malloc(strlen(path) + 1);
    CHECK_ALLOC(e, d->files[d->n_files]);
    strcpy(d->files[d->n_files], path);
    int fi = d->n_files++;

    CHECK(rd_file_open(path, &file, e));
    CHECK(rd_check_format(file, path, e));
    CHECK(rd_table(file, path, &rows, &n, e));
    if (d->n_jobs + n > d->cap) {
        int cap = d->cap ? d->cap : 16;
        while (cap < d->n_jobs + n) cap *= 2;
        rep_job *jobs = realloc(d->jobs, (size_t)cap * sizeof *jobs);
        CHECK_ALLOC(e, jobs);
        d->jobs = jobs;
        d->cap = cap;
    }
    for (int k = 0; k < n; k++) {
        rep_job *j = &d->jobs[d->n_jobs];
        memset(j, 0, sizeof *j);
        j->file = fi;
        d->n_jobs++;                  /* counted first, so rep_data_free frees it */
        CHECK(rd_job(file, path, &rows[k], j, e));
    }
    for (int k = first; k < d->n_jobs; k++)
        rd_teacher_key(&d->jobs[k], d->jobs, first, d->n_jobs, path);
    rc = 0;
fail:
    free(rows);
    if (file >= 0 && H5Fclose(file) < 0 && rc == 0)
        rc = dett_fail(e, "%s: H5Fclose failed", path);
    if (quiet) H5Eset_auto2(H5E_DEFAULT, old_fn, old_data);
    return rc;
}

void rep_data_free(rep_data *d)
{
    if (!d) return;
    for (int k = 0; k < d->n_jobs; k++) {
        free(d->jobs[k].acc);
        free(d->jobs[k].worst);
        free(d->jobs[k].avg);
        free(d->jobs[k].cka);
        free(d->jobs[k].feature_mse);
    }
    free(d->jobs);
    for (int k = 0; k < d->n_files; k++) free(d->files[k]);
    free(d->files);
    memset(d, 0, sizeof *d);
}
