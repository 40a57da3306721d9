/* report_read.c - reads results files (runtime/format/results_format.h,
 * docs/results-format.md) into rep_data. Serial and read-only: H5Fopen with
 * the default (sec2) driver; no MPI.
 *
 * Format 2 files carry the job configuration as typed attributes (arch.*,
 * method.*, weighting.*, optim.*), read as they are. Format 1 files carry
 * it as text only; rd_legacy turns that text into the same typed fields,
 * the one place that parses configuration strings. */
#define _POSIX_C_SOURCE 200809L
#include "report_internal.h"
#include "results_format.h"
#include <errno.h>
#include <hdf5.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/* the /jobs/table row as read: one byte more per string than the file's
 * fields, so a NUL-padded field of full width still ends in a NUL */
typedef struct {
    char id[RF_ID_LEN + 1], kind[RF_KIND_LEN + 1], hash[RF_HASH_LEN + 1];
    int32_t status;
    char error[RF_ERROR_LEN + 1];
    double wall_seconds;
    int32_t ranks, epochs_run;
} rd_row;

/* ---- attributes ----------------------------------------------------------- */

/* a string attribute into buf[cap] (longer: refused) */
static int rd_attr_str(hid_t obj, const char *where, const char *name, char *buf,
                       size_t cap, dett_err *e)
{
    return h5attr_get_text(obj, name, buf, cap, H5ATTR_EXACT, where, e);
}

/* an integer attribute in [lo, hi] as an int */
static int rd_attr_int_range(hid_t obj, const char *where, const char *name, long long lo,
                             long long hi, int *v, dett_err *e)
{
    long long x;
    if (h5attr_get_int(obj, name, lo, hi, &x, where, e)) return -1;
    *v = (int)x;
    return 0;
}

/* attributes that files written before they existed lack: "" / 0 then */
static int rd_attr_opt(hid_t obj, const char *where, const char *name, char *buf, size_t cap,
                       int *ival, dett_err *e)
{
    int ex = h5attr_exists(obj, name, where, e);
    if (ex < 0) return -1;
    if (!ex) {
        if (buf) buf[0] = '\0';
        if (ival) *ival = 0;
        return 0;
    }
    if (buf) return rd_attr_str(obj, where, name, buf, cap, e);
    return rd_attr_int_range(obj, where, name, 1, 1 << 30, ival, e);
}

/* ---- typed configuration ---------------------------------------------------- */

/* arch_t.width from the layers: the last hidden width */
static void rd_arch_width(rep_arch *a)
{
    if (!a->cnn) a->width = a->n_widths ? a->widths[a->n_widths - 1] : 0;
    else a->width = a->fc > 0 ? a->fc : a->n_channels ? a->channels[a->n_channels - 1] : 0;
}

/* a done ident job's error_groups [G] (absent in older files: left NULL)
 * and its training rows, the length of its artifact's error_set */
static int rd_error_groups(hid_t file, hid_t g, const char *where, rep_job *j, dett_err *e)
{
    char p[200];
    hid_t d = -1, sp = -1;
    hsize_t n = 0;
    int rc = -1;
    htri_t ex;
    CHECK_H5(e, ex = H5Lexists(g, RF_D_ERROR_GROUPS, H5P_DEFAULT),
             "%s: cannot query '" RF_D_ERROR_GROUPS "'", where);
    if (!ex) return 0;
    snprintf(p, sizeof p, RF_ARTIFACTS "/%s/" RF_D_ERROR_SET, j->hash);
    CHECK_H5(e, ex = H5Lexists(file, RF_ARTIFACTS, H5P_DEFAULT) > 0 &&
                     H5Lexists(file, p, H5P_DEFAULT) > 0 ? 1 : 0, "%s: cannot query %s", where, p);
    if (!ex) {
        dett_fail(e, "%s: an identification job without %s", where, p);
        goto fail;
    }
    CHECK_H5(e, d = H5Dopen2(file, p, H5P_DEFAULT), "%s: cannot open %s", where, p);
    CHECK_H5(e, sp = H5Dget_space(d), "%s: %s: no dataspace", where, p);
    if (H5Sget_simple_extent_ndims(sp) != 1 || H5Sget_simple_extent_dims(sp, &n, NULL) < 0) {
        dett_fail(e, "%s: %s is not a vector", where, p);
        goto fail;
    }
    j->n_train = (long long)n;
    j->error_groups = malloc(sizeof *j->error_groups * (size_t)j->groups);
    CHECK_ALLOC(e, j->error_groups);
    H5Sclose(sp);
    H5Dclose(d);
    sp = d = -1;
    CHECK_H5(e, d = H5Dopen2(g, RF_D_ERROR_GROUPS, H5P_DEFAULT),
             "%s: cannot open '" RF_D_ERROR_GROUPS "'", where);
    CHECK_H5(e, sp = H5Dget_space(d), "%s/" RF_D_ERROR_GROUPS ": no dataspace", where);
    if (H5Sget_simple_extent_ndims(sp) != 1 || H5Sget_simple_extent_dims(sp, &n, NULL) < 0 ||
        n != (hsize_t)j->groups) {
        dett_fail(e, "%s/" RF_D_ERROR_GROUPS ": expected [%d]", where, j->groups);
        goto fail;
    }
    CHECK_H5(e, H5Dread(d, H5T_NATIVE_LLONG, H5S_ALL, H5S_ALL, H5P_DEFAULT, j->error_groups),
             "%s/" RF_D_ERROR_GROUPS ": cannot read", where);
    for (int k = 0; k < j->groups; k++)
        if (j->error_groups[k] < 0 || j->error_groups[k] > j->n_train) {   /* not written */
            free(j->error_groups);
            j->error_groups = NULL;
            break;
        }
    rc = 0;
fail:
    if (sp >= 0) H5Sclose(sp);
    if (d >= 0) H5Dclose(d);
    return rc;
}

/* format 2: arch.*, method.*, weighting.*, optim.* */
static int rd_typed(hid_t g, const char *where, rep_job *j, dett_err *e)
{
    char kind[16], pool[16];
    rep_arch *a = &j->arch_t;
    long long v;
    CHECK(rd_attr_str(g, where, RF_J_ARCH_KIND, kind, sizeof kind, e));
    if (!strcmp(kind, RF_ARCH_MLP)) {
        CHECK(h5attr_get_ints(g, RF_J_ARCH_WIDTHS, a->widths, REP_MAX_LAYERS, &a->n_widths,
                              where, e));
    } else if (!strcmp(kind, RF_ARCH_CNN)) {
        a->cnn = 1;
        CHECK(h5attr_get_ints(g, RF_J_ARCH_CHANNELS, a->channels, REP_MAX_LAYERS,
                              &a->n_channels, where, e));
        CHECK(rd_attr_int_range(g, where, RF_J_ARCH_KERNEL, 1, 1 << 20, &a->kernel, e));
        CHECK(rd_attr_int_range(g, where, RF_J_ARCH_POOL, 0, 1 << 20, &a->pool, e));
        CHECK(rd_attr_int_range(g, where, RF_J_ARCH_FC, 0, 1 << 30, &a->fc, e));
        CHECK(rd_attr_str(g, where, RF_J_ARCH_POOL_KIND, pool, sizeof pool, e));
        a->pool_max = !strcmp(pool, RF_POOL_MAX);
    } else {
        return dett_fail(e, "%s: attribute " RF_J_ARCH_KIND ": '%s' is neither '" RF_ARCH_MLP
                         "' nor '" RF_ARCH_CNN "'", where, kind);
    }
    CHECK(h5attr_get_int(g, RF_J_ARCH_WIDTH, 0, 1 << 30, &v, where, e));
    a->width = (int)v;
    CHECK(h5attr_list(g, RF_J_METHOD_PREFIX, j->margs, REP_MAX_ARGS, &j->n_margs, where, e));
    CHECK(h5attr_list(g, RF_J_WEIGHTING_PREFIX, j->wargs, REP_MAX_ARGS, &j->n_wargs, where, e));
    CHECK(h5attr_list(g, RF_J_OPTIM_PREFIX, j->oargs, REP_MAX_ARGS, &j->n_oargs, where, e));
    return 0;
fail:
    return -1;
}

/* appends name = the text s[0..n) to v[*cnt] (cap entries): a number if it
 * reads as one whole, else a text */
static void rd_value(h5attr_value *v, int cap, int *cnt, const char *name, size_t nlen,
                     const char *s, size_t n)
{
    char num[H5ATTR_TEXT];
    if (*cnt >= cap || nlen == 0 || nlen >= H5ATTR_NAME || n >= sizeof num) return;
    h5attr_value *x = &v[(*cnt)++];
    memset(x, 0, sizeof *x);
    memcpy(x->name, name, nlen);
    memcpy(num, s, n);
    num[n] = '\0';
    char *end;
    errno = 0;
    x->num = strtod(num, &end);
    if (n == 0 || *end || errno) {
        x->is_text = 1;
        x->num = 0;
        memcpy(x->text, num, n + 1);
    }
}

/* "k=v,k=v" (the inside of "name(...)" if it has parentheses, the name
 * itself then as `head`=name) into typed values */
static void rd_pairs(const char *s, const char *head, h5attr_value *v, int cap, int *cnt)
{
    const char *open = strchr(s, '(');
    const char *p = s, *end = s + strlen(s);
    *cnt = 0;
    if (open) {
        if (head) rd_value(v, cap, cnt, head, strlen(head), s, (size_t)(open - s));
        p = open + 1;
        if (end > p && end[-1] == ')') end--;
    } else if (head && *s && !strchr(s, '=')) {
        rd_value(v, cap, cnt, head, strlen(head), s, strlen(s));
        return;
    }
    while (p < end) {
        const char *comma = memchr(p, ',', (size_t)(end - p));
        const char *stop = comma ? comma : end;
        const char *eq = memchr(p, '=', (size_t)(stop - p));
        /* "betas=0.9,0.999": a comma inside a value joins the previous pair */
        if (eq) rd_value(v, cap, cnt, p, (size_t)(eq - p), eq + 1, (size_t)(stop - eq - 1));
        p = comma ? comma + 1 : end;
    }
}

/* Format 1: the typed fields from the text attributes. arch is
 * "mlp[64,64]" or "cnn[8,16;k3;max2;fc32]"; method_args "k=v,...";
 * weighting "none" or "jtt(T=1,up=50)"; optim "sgd(lr=..,...)". */
static int rd_legacy(rep_job *j, const char *where, dett_err *e)
{
    rep_arch *a = &j->arch_t;
    const char *s = j->arch, *open = strchr(s, '['), *close = strrchr(s, ']');
    int cnn = !strncmp(s, RF_ARCH_CNN "[", 4);
    if (!open || !close || close < open || (!cnn && strncmp(s, RF_ARCH_MLP "[", 4)))
        return dett_fail(e, "%s: attribute " RF_J_ARCH ": cannot read '%s'", where, s);
    a->cnn = cnn;
    const char *p = open + 1;
    int *n = cnn ? &a->n_channels : &a->n_widths, *w = cnn ? a->channels : a->widths;
    while (p < close && *p != ';') {   /* the comma-separated layer list */
        char *end;
        long x = strtol(p, &end, 10);
        if (end == p || x < 0 || x > INT_MAX || *n >= REP_MAX_LAYERS)
            return dett_fail(e, "%s: attribute " RF_J_ARCH ": cannot read '%s'", where, s);
        w[(*n)++] = (int)x;
        p = *end == ',' ? end + 1 : end;
    }
    while (cnn && p < close && *p == ';') {   /* ;k3 ;max2 | ;avg2 ;fc32 */
        p++;
        int *dst = NULL;
        if (*p == 'k') dst = &a->kernel, p += 1;
        else if (!strncmp(p, RF_POOL_MAX, 3)) dst = &a->pool, a->pool_max = 1, p += 3;
        else if (!strncmp(p, RF_POOL_AVG, 3)) dst = &a->pool, p += 3;
        else if (!strncmp(p, "fc", 2)) dst = &a->fc, p += 2;
        char *end;
        long x = dst ? strtol(p, &end, 10) : -1;
        if (!dst || end == p || x < 0 || x > INT_MAX)
            return dett_fail(e, "%s: attribute " RF_J_ARCH ": cannot read '%s'", where, s);
        *dst = (int)x;
        p = end;
    }
    rd_arch_width(a);
    rd_pairs(j->method_args, NULL, j->margs, REP_MAX_ARGS, &j->n_margs);
    rd_pairs(j->weighting, "kind", j->wargs, REP_MAX_ARGS, &j->n_wargs);
    rd_pairs(j->optim, "name", j->oargs, REP_MAX_ARGS, &j->n_oargs);
    return 0;
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

/* selected[RF_N_SEL]; files of format 1-3 hold RF_N_SEL_V3 entries, the rest
 * stay -1 (no epoch: such jobs have no numbers under val-worst-class) */
static int rd_selected(hid_t g, const char *where, int32_t sel[RF_N_SEL], dett_err *e)
{
    hid_t d = -1, sp = -1;
    int rc = -1;
    hsize_t n = 0;
    CHECK_H5(e, d = H5Dopen2(g, RF_D_SELECTED, H5P_DEFAULT),
             "%s: no dataset '" RF_D_SELECTED "'", where);
    CHECK_H5(e, sp = H5Dget_space(d), "%s/" RF_D_SELECTED ": no dataspace", where);
    if (H5Sget_simple_extent_ndims(sp) != 1 || H5Sget_simple_extent_dims(sp, &n, NULL) < 0 ||
        (n != RF_N_SEL && n != RF_N_SEL_V3)) {
        dett_fail(e, "%s/" RF_D_SELECTED ": expected int32 [%d] or [%d]", where, RF_N_SEL,
                  RF_N_SEL_V3);
        goto fail;
    }
    CHECK_H5(e, H5Dread(d, H5T_NATIVE_INT32, H5S_ALL, H5S_ALL, H5P_DEFAULT, sel),
             "%s/" RF_D_SELECTED ": cannot read", where);
    rc = 0;
fail:
    if (sp >= 0) H5Sclose(sp);
    if (d >= 0) H5Dclose(d);
    return rc;
}

/* ---- one job ---------------------------------------------------------------- */

/* A done dfr{} job of format 5: its curves are the base model's E epochs and
 * the refit, the job's result, is in dfr/ (acc [2, G], worst, avg [2]). In
 * memory it becomes row E of acc, worst and avg (j->refit = 1), which every
 * selection rule then names, so the rows, tables and tunes report the refit
 * as format 4 did (where it was stored as that row); the curves (plots) stop
 * at E. */
static int rd_dfr_refit(hid_t g, const char *where, rep_job *j, dett_err *e)
{
    size_t E = (size_t)j->epochs, G = (size_t)j->groups;
    hsize_t da[2] = {RF_N_SPLITS, G}, d2[1] = {RF_N_SPLITS};
    double *acc = realloc(j->acc, (E + 1) * 2 * G * sizeof *acc);
    if (acc) j->acc = acc;
    double *w = realloc(j->worst, (E + 1) * 2 * sizeof *w);
    if (w) j->worst = w;
    double *a = realloc(j->avg, (E + 1) * 2 * sizeof *a);
    if (a) j->avg = a;
    CHECK_ALLOC(e, acc);
    CHECK_ALLOC(e, w);
    CHECK_ALLOC(e, a);
    CHECK(rd_doubles(g, where, RF_DFR "/" RF_D_DFR_ACC, 2, da, j->acc + E * 2 * G, e));
    CHECK(rd_doubles(g, where, RF_DFR "/" RF_D_DFR_WORST, 1, d2, j->worst + E * 2, e));
    CHECK(rd_doubles(g, where, RF_DFR "/" RF_D_DFR_AVG, 1, d2, j->avg + E * 2, e));
    j->refit = 1;
    for (int k = 0; k < RF_N_SEL; k++) j->selected[k] = (int32_t)E;
    return 0;
fail:
    return -1;
}

static int rd_job(hid_t file, const char *path, int version, const rd_row *row, rep_job *j,
                  dett_err *e)
{
    char where[600], gpath[40];
    hid_t g = -1;
    int rc = -1;
    long long seed;
    snprintf(where, sizeof where, "%s: " RF_JOBS "/%s", path, row->id);
    snprintf(gpath, sizeof gpath, RF_JOBS "/%s", row->id);
    memcpy(j->id, row->id, sizeof j->id);
    memcpy(j->kind, row->kind, sizeof j->kind);
    memcpy(j->hash, row->hash, sizeof j->hash);
    memcpy(j->error, row->error, sizeof j->error);
    j->status = row->status;
    j->wall_seconds = row->wall_seconds;
    j->ranks = row->ranks;
    j->epochs_run = row->epochs_run;
    for (int k = 0; k < RF_N_SEL; k++) j->selected[k] = -1;
    if (j->status < 0 || j->status >= REP_N_STATUS) {
        dett_fail(e, "%s: " RF_TABLE ": job %s has unknown status %d", path, row->id,
                  j->status);
        goto fail;
    }
    if (strcmp(j->kind, RF_KIND_TRAIN) && strcmp(j->kind, RF_KIND_IDENT) &&
        strcmp(j->kind, RF_KIND_STUDENT)) {
        dett_fail(e, "%s: " RF_TABLE ": job %s has unknown kind '%s'", path, row->id, j->kind);
        goto fail;
    }
    if (!row->id[0] || strchr(row->id, '/')) {
        dett_fail(e, "%s: " RF_TABLE ": bad job id '%s'", path, row->id);
        goto fail;
    }
    htri_t ex;
    CHECK_H5(e, ex = H5Lexists(file, gpath, H5P_DEFAULT), "%s: cannot query", where);
    if (!ex) {
        dett_fail(e, "%s: group missing (job listed in " RF_TABLE ")", where);
        goto fail;
    }
    CHECK_H5(e, g = H5Gopen2(file, gpath, H5P_DEFAULT), "%s: cannot open group", where);
    CHECK(rd_attr_str(g, where, RF_J_METHOD, j->method, sizeof j->method, e));
    CHECK(rd_attr_str(g, where, RF_J_METHOD_ARGS, j->method_args, sizeof j->method_args, e));
    CHECK(rd_attr_str(g, where, RF_J_ARCH, j->arch, sizeof j->arch, e));
    CHECK(rd_attr_str(g, where, RF_J_WEIGHTING, j->weighting, sizeof j->weighting, e));
    CHECK(rd_attr_opt(g, where, RF_J_OPTIM, j->optim, sizeof j->optim, NULL, e));
    CHECK(rd_attr_opt(g, where, RF_J_BATCH, NULL, 0, &j->batch, e));
    CHECK(rd_attr_str(g, where, RF_J_DATASET, j->dataset, sizeof j->dataset, e));
    {   /* the data digest the job's hash covers (format 3: data=sha256:<hex>) */
        char cfg[8192];
        const char *p;
        j->data_digest[0] = '\0';
        if (rd_attr_opt(g, where, RF_J_CONFIG, cfg, sizeof cfg, NULL, e) == 0 &&
            (p = strstr(cfg, "data=sha256:")) != NULL)
            snprintf(j->data_digest, sizeof j->data_digest, "%.12s", p + 12);
    }
    CHECK(rd_attr_str(g, where, RF_J_TEACHER, j->teacher, sizeof j->teacher, e));
    CHECK(rd_attr_str(g, where, RF_J_IDENT, j->ident, sizeof j->ident, e));
    CHECK(rd_attr_str(g, where, RF_J_SELECT, j->select, sizeof j->select, e));
    CHECK(rd_attr_opt(g, where, RF_J_SAMPLER, j->sampler, sizeof j->sampler, NULL, e));
    if (!j->sampler[0]) snprintf(j->sampler, sizeof j->sampler, "rows");
    CHECK(rd_attr_opt(g, where, RF_J_INIT, j->init, sizeof j->init, NULL, e));
    if (!j->init[0]) snprintf(j->init, sizeof j->init, "random");
    CHECK(h5attr_get_int(g, RF_J_SEED, LLONG_MIN, LLONG_MAX, &seed, where, e));
    j->seed = (int64_t)seed;
    CHECK(rd_attr_int_range(g, where, RF_J_EPOCHS, 1, 1000000, &j->epochs, e));
    CHECK(rd_attr_int_range(g, where, RF_J_GROUPS, 1, 65536, &j->groups, e));
    CHECK(rd_attr_int_range(g, where, RF_J_N_ATTRS, 1, 65536, &j->n_attrs, e));
    CHECK(version >= 2 ? rd_typed(g, where, j, e) : rd_legacy(j, where, e));
    if (j->groups % j->n_attrs) {
        dett_fail(e, "%s: groups = %d is not a multiple of n_attrs = %d", where, j->groups,
                  j->n_attrs);
        goto fail;
    }
    htri_t diag;
    CHECK_H5(e, diag = H5Lexists(g, RF_DIAGNOSTICS, H5P_DEFAULT),
             "%s: cannot query '" RF_DIAGNOSTICS "'", where);
    j->has_diagnostics = diag > 0;
    if (j->status == JOB_DONE) {
        size_t E = (size_t)j->epochs, G = (size_t)j->groups;
        hsize_t d3[3] = {E, RF_N_SPLITS, G}, d2[2] = {E, RF_N_SPLITS};
        j->acc = malloc(E * 2 * G * sizeof *j->acc);
        j->worst = malloc(E * 2 * sizeof *j->worst);
        j->avg = malloc(E * 2 * sizeof *j->avg);
        CHECK_ALLOC(e, j->acc);
        CHECK_ALLOC(e, j->worst);
        CHECK_ALLOC(e, j->avg);
        CHECK(rd_doubles(g, where, RF_D_ACC, 3, d3, j->acc, e));
        CHECK(rd_doubles(g, where, RF_D_WORST, 2, d2, j->worst, e));
        CHECK(rd_doubles(g, where, RF_D_AVG, 2, d2, j->avg, e));
        CHECK(rd_selected(g, where, j->selected, e));
        if (j->has_diagnostics) {
            hsize_t dg[1] = {G};
            j->cka = malloc(G * sizeof *j->cka);
            j->feature_mse = malloc(G * sizeof *j->feature_mse);
            CHECK_ALLOC(e, j->cka);
            CHECK_ALLOC(e, j->feature_mse);
            CHECK(rd_doubles(g, where, RF_DIAGNOSTICS "/" RF_D_CKA, 1, dg, j->cka, e));
            CHECK(rd_doubles(g, where, RF_DIAGNOSTICS "/" RF_D_FEATURE_MSE, 1, dg,
                             j->feature_mse, e));
        }
        if (!strcmp(j->kind, RF_KIND_IDENT)) CHECK(rd_error_groups(file, g, where, j, e));
        htri_t has_dfr;
        CHECK_H5(e, has_dfr = H5Lexists(g, RF_DFR, H5P_DEFAULT),
                 "%s: cannot query '" RF_DFR "'", where);
        if (has_dfr > 0) {
            hsize_t ds[2] = {RF_DFR_N_LAMBDAS, 3}, dc[1] = {RF_DFR_N_CHOICE};
            j->dfr_scores = malloc(sizeof(double) * RF_DFR_N_LAMBDAS * 3);
            j->dfr_choice = malloc(sizeof(double) * RF_DFR_N_CHOICE);
            CHECK_ALLOC(e, j->dfr_scores);
            CHECK_ALLOC(e, j->dfr_choice);
            CHECK(rd_doubles(g, where, RF_DFR "/" RF_D_DFR_SCORES, 2, ds, j->dfr_scores, e));
            CHECK(rd_doubles(g, where, RF_DFR "/" RF_D_DFR_CHOICE, 1, dc, j->dfr_choice, e));
            if (version >= RF_FORMAT_DFR_REFIT) CHECK(rd_dfr_refit(g, where, j, e));
        }
        for (int k = 0; k < RF_N_SEL; k++)
            if ((k < RF_N_SEL_V3 || j->selected[k] != -1) &&
                (j->selected[k] < 0 || j->selected[k] >= j->epochs + j->refit)) {
                dett_fail(e, "%s/" RF_D_SELECTED ": epoch %d out of range [0, %d) for a done job",
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
    const size_t len[4] = {RF_ID_LEN + 1, RF_KIND_LEN + 1, RF_HASH_LEN + 1, RF_ERROR_LEN + 1};
    int rc = -1;
    hsize_t dim = 0;
    htri_t ex;
    *rows = NULL;
    CHECK_H5(e, ex = H5Lexists(file, RF_JOBS, H5P_DEFAULT), "%s: cannot query " RF_JOBS, path);
    if (ex) CHECK_H5(e, ex = H5Lexists(file, RF_TABLE, H5P_DEFAULT),
                     "%s: cannot query " RF_TABLE, path);
    if (!ex) {
        dett_fail(e, "%s: no " RF_TABLE " (not a complete dett results file)", path);
        goto fail;
    }
    CHECK_H5(e, d = H5Dopen2(file, RF_TABLE, H5P_DEFAULT), "%s: cannot open " RF_TABLE, path);
    CHECK_H5(e, sp = H5Dget_space(d), "%s: " RF_TABLE ": no dataspace", path);
    if (H5Sget_simple_extent_ndims(sp) != 1 || H5Sget_simple_extent_dims(sp, &dim, NULL) < 0) {
        dett_fail(e, "%s: " RF_TABLE " is not one-dimensional", path);
        goto fail;
    }
    for (int k = 0; k < 4; k++) {
        CHECK_H5(e, s[k] = H5Tcopy(H5T_C_S1), "%s: H5Tcopy", path);
        CHECK_H5(e, H5Tset_size(s[k], len[k]), "%s: H5Tset_size", path);
        CHECK_H5(e, H5Tset_strpad(s[k], H5T_STR_NULLTERM), "%s: H5Tset_strpad", path);
    }
    CHECK_H5(e, mt = H5Tcreate(H5T_COMPOUND, sizeof(rd_row)), "%s: H5Tcreate", path);
    CHECK_H5(e, H5Tinsert(mt, RF_F_ID, HOFFSET(rd_row, id), s[0]), "%s: H5Tinsert", path);
    CHECK_H5(e, H5Tinsert(mt, RF_F_KIND, HOFFSET(rd_row, kind), s[1]), "%s: H5Tinsert", path);
    CHECK_H5(e, H5Tinsert(mt, RF_F_HASH, HOFFSET(rd_row, hash), s[2]), "%s: H5Tinsert", path);
    CHECK_H5(e, H5Tinsert(mt, RF_F_STATUS, HOFFSET(rd_row, status), H5T_NATIVE_INT32),
             "%s: H5Tinsert", path);
    CHECK_H5(e, H5Tinsert(mt, RF_F_ERROR, HOFFSET(rd_row, error), s[3]), "%s: H5Tinsert", path);
    CHECK_H5(e, H5Tinsert(mt, RF_F_WALL_SECONDS, HOFFSET(rd_row, wall_seconds),
                          H5T_NATIVE_DOUBLE), "%s: H5Tinsert", path);
    CHECK_H5(e, H5Tinsert(mt, RF_F_RANKS, HOFFSET(rd_row, ranks), H5T_NATIVE_INT32),
             "%s: H5Tinsert", path);
    CHECK_H5(e, H5Tinsert(mt, RF_F_EPOCHS_RUN, HOFFSET(rd_row, epochs_run), H5T_NATIVE_INT32),
             "%s: H5Tinsert", path);
    *rows = calloc(dim ? dim : 1, sizeof **rows);
    CHECK_ALLOC(e, *rows);
    if (dim)
        CHECK_H5(e, H5Dread(d, mt, H5S_ALL, H5S_ALL, H5P_DEFAULT, *rows),
                 "%s: cannot read " RF_TABLE " (fields " RF_F_ID ", " RF_F_KIND ", " RF_F_HASH
                 ", " RF_F_STATUS ", " RF_F_ERROR ", " RF_F_WALL_SECONDS ", " RF_F_RANKS ", "
                 RF_F_EPOCHS_RUN " expected)", path);
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

/* job k's configuration without its seed, appended to key: "method|
 * method_args|arch|weighting|dataset|epochs|optim|batch|sampler|init", then
 * (a student of a chain) "<" and its own teacher's, up the chain; -1 if
 * k names a teacher the file lacks */
static int rd_config_key(const rep_job *jobs, int first, int last, int k, char *key, size_t cap,
                         int depth)
{
    const rep_job *t = &jobs[k];
    size_t n = strlen(key);
    rep_fmt(key + n, cap - n, "%s|%s|%s|%s|%s|%d|%s|%d|%s|%s", t->method, t->method_args,
            t->arch, t->weighting, t->dataset, t->epochs, t->optim, t->batch, t->sampler,
            t->init);
    if (!t->teacher[0] || depth > 16) return 0;
    for (int q = first; q < last; q++)
        if (!strcmp(jobs[q].id, t->teacher)) {
            n = strlen(key);
            rep_fmt(key + n, cap - n, "<");
            return rd_config_key(jobs, first, last, q, key, cap, depth + 1);
        }
    return -1;
}

/* the teacher job's configuration (rd_config_key, not its seed: students
 * of paired teachers share a row) */
static void rd_teacher_key(rep_job *j, const rep_job *jobs, int first, int last,
                           const char *path)
{
    j->teacher_key[0] = j->teacher_label[0] = '\0';
    if (!j->teacher[0]) return;
    for (int k = first; k < last; k++)
        if (!strcmp(jobs[k].id, j->teacher)) {
            const rep_job *t = &jobs[k];
            if (rd_config_key(jobs, first, last, k, j->teacher_key, sizeof j->teacher_key, 0))
                break;
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

/* the format and its version (*version): RF_FORMAT_OLDEST..RF_FORMAT_VERSION */
static int rd_check_format(hid_t file, const char *path, int *version, dett_err *e)
{
    char fmt[64];
    long long ver;
    int ex = h5attr_exists(file, RF_A_FORMAT, path, e);
    if (ex < 0) return -1;
    if (!ex)
        return dett_fail(e, "%s: not a dett results file (no '" RF_A_FORMAT "' attribute on /)",
                         path);
    if (h5attr_get_text(file, RF_A_FORMAT, fmt, sizeof fmt, H5ATTR_TRUNCATE, path, e)) return -1;
    if (strcmp(fmt, RF_FORMAT_NAME))
        return dett_fail(e, "%s: not a dett results file (format is '%s', expected '"
                         RF_FORMAT_NAME "')", path, fmt);
    if (h5attr_get_int(file, RF_A_FORMAT_VERSION, LLONG_MIN, LLONG_MAX, &ver, path, e))
        return -1;
    if (ver > RF_FORMAT_VERSION)
        return dett_fail(e, "%s: results format version %lld is newer than this dett reads "
                         "(%d to %d): read it with a newer dett", path, ver, RF_FORMAT_OLDEST,
                         RF_FORMAT_VERSION);
    if (ver < RF_FORMAT_OLDEST)
        return dett_fail(e, "%s: results format version %lld is older than this dett reads "
                         "(%d to %d): rerun its grid with this dett", path, ver,
                         RF_FORMAT_OLDEST, RF_FORMAT_VERSION);
    *version = (int)ver;
    return 0;
}

/* /scripts/<sha>/@rows of the script whose @script is d->script_text, or
 * of the last script (root @script_sha256) into keep[0..n) (1: report the
 * row); every row for d->all or a file older than format 3 */
static int rd_script_rows(hid_t file, const char *path, int version, const rep_data *d,
                          char *keep, int n, dett_err *e)
{
    char name[128], sha[80];
    int *rows = NULL, nr = 0, rc = -1;
    char *text = NULL;
    hid_t g = -1;
    memset(keep, d->all || version < 3, (size_t)(n ? n : 1));
    if (d->all || version < 3) return 0;
    if (d->script_text) {
        hsize_t cnt = 0;
        size_t len = strlen(d->script_text);
        H5G_info_t gi;
        CHECK_H5(e, g = H5Gopen2(file, RF_SCRIPTS, H5P_DEFAULT), "%s: no " RF_SCRIPTS, path);
        CHECK_H5(e, H5Gget_info(g, &gi), "%s: " RF_SCRIPTS ": H5Gget_info", path);
        text = malloc(len + 2);
        CHECK_ALLOC(e, text);
        sha[0] = '\0';
        for (cnt = 0; cnt < gi.nlinks && !sha[0]; cnt++) {
            char nm[80];
            if (H5Lget_name_by_idx(g, ".", H5_INDEX_NAME, H5_ITER_INC, cnt, nm, sizeof nm,
                                   H5P_DEFAULT) < 0)
                continue;
            hid_t s = H5Gopen2(g, nm, H5P_DEFAULT);
            if (s < 0) continue;
            if (h5attr_get_text(s, RF_S_SCRIPT, text, len + 2, H5ATTR_TRUNCATE, path, e) == 0 &&
                strcmp(text, d->script_text) == 0)
                snprintf(sha, sizeof sha, "%s", nm);
            H5Gclose(s);
        }
        if (!sha[0]) {
            dett_fail(e, "%s: %s was never run on this file (its text matches none of the %llu "
                      "scripts run on it; dett report --all shows every job)", path,
                      d->script_name ? d->script_name : "the script",
                      (unsigned long long)gi.nlinks);
            goto fail;
        }
    } else if (h5attr_get_text(file, RF_A_SCRIPT_SHA256, sha, sizeof sha, H5ATTR_EXACT, path,
                               e)) {
        goto fail;
    }
    snprintf(name, sizeof name, RF_SCRIPTS "/%s", sha);
    hid_t sg;
    CHECK_H5(e, sg = H5Gopen2(file, name, H5P_DEFAULT), "%s: no %s (the last script's jobs)",
             path, name);
    rows = malloc((size_t)(n ? n : 1) * sizeof *rows);
    if (!rows) {
        H5Gclose(sg);
        CHECK_ALLOC(e, rows);
    }
    rc = h5attr_get_ints(sg, RF_S_ROWS, rows, n, &nr, path, e);
    H5Gclose(sg);
    if (rc) goto fail;
    rc = -1;
    for (int k = 0; k < nr; k++) {
        if (rows[k] < 0 || rows[k] >= n) {
            dett_fail(e, "%s: %s/@" RF_S_ROWS " names row %d of %d", path, name, rows[k], n);
            goto fail;
        }
        keep[rows[k]] = 1;
    }
    rc = 0;
fail:
    if (g >= 0) H5Gclose(g);
    free(rows);
    free(text);
    return rc;
}

int rep_read_file(rep_data *d, const char *path, dett_err *e)
{
    char *keep = NULL;
    hid_t file = -1;
    rd_row *rows = NULL;
    int n = 0, rc = -1, first = d->n_jobs, version = 0;
    H5E_auto2_t old_fn = NULL;
    void *old_data = NULL;
    int quiet = H5Eget_auto2(H5E_DEFAULT, &old_fn, &old_data) >= 0 &&
                H5Eset_auto2(H5E_DEFAULT, NULL, NULL) >= 0;

    char **files = realloc(d->files, (size_t)(d->n_files + 1) * sizeof *files);
    CHECK_ALLOC(e, files);
    d->files = files;
    char **prov = realloc(d->prov, (size_t)(d->n_files + 1) * sizeof *prov);
    CHECK_ALLOC(e, prov);
    d->prov = prov;
    d->prov[d->n_files] = NULL;
    d->files[d->n_files] = malloc(strlen(path) + 1);
    CHECK_ALLOC(e, d->files[d->n_files]);
    strcpy(d->files[d->n_files], path);
    int fi = d->n_files++;

    CHECK(rd_file_open(path, &file, e));
    CHECK(rd_check_format(file, path, &version, e));
    {   /* provenance: the dett that wrote the file and the last script */
        char ver[64] = "", commit[64] = "", script[512] = "";
        h5attr_get_text(file, RF_A_DETT_VERSION, ver, sizeof ver, H5ATTR_TRUNCATE, path, NULL);
        h5attr_get_text(file, RF_A_GIT_COMMIT, commit, sizeof commit, H5ATTR_TRUNCATE, path, NULL);
        h5attr_get_text(file, RF_A_SCRIPT_PATH, script, sizeof script, H5ATTR_TRUNCATE, path,
                        NULL);
        size_t len = strlen(ver) + strlen(commit) + strlen(script) + 64;
        d->prov[fi] = malloc(len);
        CHECK_ALLOC(e, d->prov[fi]);
        snprintf(d->prov[fi], len, "dett %s (git %s), script %s", ver[0] ? ver : "?",
                 commit[0] ? commit : "?", script[0] ? script : "?");
    }
    CHECK(rd_table(file, path, &rows, &n, e));
    keep = malloc((size_t)(n ? n : 1));
    CHECK_ALLOC(e, keep);
    CHECK(rd_script_rows(file, path, version, d, keep, n, e));
    if (d->n_jobs + n > d->cap) {
        int cap = d->cap ? d->cap : 16;
        while (cap < d->n_jobs + n) cap *= 2;
        rep_job *jobs = realloc(d->jobs, (size_t)cap * sizeof *jobs);
        CHECK_ALLOC(e, jobs);
        d->jobs = jobs;
        d->cap = cap;
    }
    for (int k = 0; k < n; k++) {
        if (!keep[k]) continue;
        rep_job *j = &d->jobs[d->n_jobs];
        memset(j, 0, sizeof *j);
        j->file = fi;
        d->n_jobs++;                  /* counted first, so rep_data_free frees it */
        CHECK(rd_job(file, path, version, &rows[k], j, e));
    }
    for (int k = first; k < d->n_jobs; k++)
        rd_teacher_key(&d->jobs[k], d->jobs, first, d->n_jobs, path);
    rc = 0;
fail:
    free(rows);
    free(keep);
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
        free(d->jobs[k].dfr_scores);
        free(d->jobs[k].dfr_choice);
        free(d->jobs[k].feature_mse);
        free(d->jobs[k].error_groups);
    }
    free(d->jobs);
    for (int k = 0; k < d->n_files; k++) free(d->files[k]);
    for (int k = 0; d->prov && k < d->n_files; k++) free(d->prov[k]);
    free(d->prov);
    free(d->files);
    memset(d, 0, sizeof *d);
}
