/* cmd_export.c - `dett export RESULTS.h5 JOB -o FILE.npz [--what W]`: a
 * trained model out of a results file, for numpy and PyTorch.
 *
 * The model's layers come from params' @layers (results_format.h), so the
 * export needs neither the data file nor any knowledge of methods. Each
 * parametric layer at position i of the exported sequence gives the
 * entries "i.weight" and "i.bias", shaped as in the state_dict of a
 * torch.nn.Sequential with one module per dett layer (Linear, ReLU, Conv2d,
 * MaxPool2d, AvgPool2d, and a global average pool that ends in [B, C]);
 * scripts/dett_torch.py builds that module. Metadata entries: "arch",
 * "what", "job", "config" (every configuration attribute of the job as
 * JSON), "layers" (JSON, one object per module), "input_shape",
 * "n_classes", and dett's own per-group accuracies at the job's selected
 * epoch, "val_acc" and "test_acc" [G].
 *
 * W: student (default: the job's model; for SimKD and DeTT the student
 * body, projector and the teacher's frozen head), teacher (the job's
 * teacher), projector (a SimKD or DeTT student's projector alone).
 * Serial, read-only, no MPI.
 */
#define _POSIX_C_SOURCE 200809L
#include "cmd.h"
#include "h5attr.h"
#include "npz_write.h"
#include "opts.h"
#include "report_internal.h"
#include "results.h"
#include <hdf5.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { X_OUT = 1, X_WHAT };

static const opt_def export_defs[] = {
    {"output", 'o', "F", "the .npz to write (required)", X_OUT},
    {"what", 0, "W", "student (default): the job's model; teacher: its teacher's;\n"
     "projector: a simkd or dett student's projector alone", X_WHAT},
    {NULL, 0, NULL, NULL, 0},
};

/* --help to stdout: the synopsis, what it writes, the table's options */
static void export_usage(void)
{
    fputs("usage: dett export RESULTS.h5 JOB -o FILE.npz [--what student|teacher|projector]\n"
          "\n"
          "Writes the trained model of job JOB (an id such as j004, as `dett check` and\n"
          "`dett report` list them) as a numpy .npz: its tensors under the names of a\n"
          "PyTorch nn.Sequential state_dict (0.weight, 0.bias, 2.weight, ...) and its\n"
          "architecture and configuration. scripts/dett_torch.py builds the module.\n"
          "\n", stdout);
    opts_usage(stdout, export_defs);
}

enum { WHAT_STUDENT, WHAT_TEACHER, WHAT_PROJECTOR };

/* ---- a growing JSON text ---------------------------------------------------- */

typedef struct {
    char *s;
    size_t n, cap;
    int oom;
} jbuf;

static void jb_put(jbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void jb_put(jbuf *b, const char *fmt, ...)
{
    va_list ap;
    if (b->oom) return;
    for (;;) {
        size_t room = b->cap - b->n;
        va_start(ap, fmt);
        int k = b->s ? vsnprintf(b->s + b->n, room, fmt, ap) : -1;
        va_end(ap);
        if (b->s && k >= 0 && (size_t)k < room) {
            b->n += (size_t)k;
            return;
        }
        size_t cap = b->cap ? 2 * b->cap : 1024;
        if (k > 0 && cap < b->n + (size_t)k + 1) cap = b->n + (size_t)k + 1;
        char *ns = realloc(b->s, cap);
        if (!ns) {
            b->oom = 1;
            return;
        }
        b->s = ns;
        b->cap = cap;
    }
}

/* s as a JSON string literal */
static void jb_str(jbuf *b, const char *s)
{
    jb_put(b, "\"");
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if (*p == '"' || *p == '\\') jb_put(b, "\\%c", *p);
        else if (*p < 0x20) jb_put(b, "\\u%04x", *p);
        else jb_put(b, "%c", *p);
    }
    jb_put(b, "\"");
}

/* ---- the job's configuration as JSON ---------------------------------------- */

typedef struct {
    jbuf *b;
    const char *where;
    dett_err *e;
    int n, failed;
} attr_walk;

/* one attribute of the job group: scalar text or number, or an integer array */
static herr_t attr_json(hid_t g, const char *name, const H5A_info_t *info, void *op)
{
    (void)info;
    attr_walk *w = op;
    hid_t a = H5Aopen(g, name, H5P_DEFAULT), t = a >= 0 ? H5Aget_type(a) : -1;
    hid_t sp = a >= 0 ? H5Aget_space(a) : -1;
    H5T_class_t c = t >= 0 ? H5Tget_class(t) : H5T_NO_CLASS;
    hssize_t np = sp >= 0 ? H5Sget_simple_extent_npoints(sp) : -1;
    int rank = sp >= 0 ? H5Sget_simple_extent_ndims(sp) : -1;
    if (sp >= 0) H5Sclose(sp);
    if (t >= 0) H5Tclose(t);
    if (a >= 0) H5Aclose(a);
    if (c == H5T_NO_CLASS || np < 0) {
        w->failed = dett_fail(w->e, "%s: attribute %s: cannot read its type", w->where, name);
        return -1;
    }
    char *text = NULL;
    int ints[RESULTS_MAX_LAYERS], ni = 0;
    double num;
    int ok = 0;
    jbuf v = {0};
    if (c == H5T_STRING && np == 1) {
        size_t cap = 1 << 20;   /* the script text of a grid may be long */
        if ((text = malloc(cap)) &&
            h5attr_get_text(g, name, text, cap, H5ATTR_TRUNCATE, w->where, w->e) == 0) {
            jb_str(&v, text);
            ok = 1;
        }
    } else if ((c == H5T_INTEGER || c == H5T_FLOAT) && np == 1 && rank == 0) {
        if (h5attr_get_double(g, name, &num, w->where, w->e) == 0) {
            jb_put(&v, "%.17g", num);
            ok = 1;
        }
    } else if (c == H5T_INTEGER && rank == 1 &&
               h5attr_get_ints(g, name, ints, RESULTS_MAX_LAYERS, &ni, w->where, w->e) == 0) {
        jb_put(&v, "[");
        for (int k = 0; k < ni; k++) jb_put(&v, "%s%d", k ? ", " : "", ints[k]);
        jb_put(&v, "]");
        ok = 1;
    } else {
        return 0;   /* other arrays and compounds are not configuration */
    }
    free(text);
    if (!ok || v.oom) {
        free(v.s);
        w->failed = -1;
        return -1;
    }
    jb_put(w->b, "%s", w->n++ ? ", " : "{");
    jb_str(w->b, name);
    jb_put(w->b, ": %s", v.s);
    free(v.s);
    return 0;
}

/* every configuration attribute of group g as one JSON object */
static int config_json(hid_t g, const char *where, jbuf *b, dett_err *e)
{
    attr_walk w = {b, where, e, 0, 0};
    hsize_t idx = 0;
    if (H5Aiterate2(g, H5_INDEX_NAME, H5_ITER_INC, &idx, attr_json, &w) < 0 || w.failed) {
        if (!w.failed) dett_fail(e, "%s: cannot list its attributes", where);
        return -1;
    }
    jb_put(b, "%s", w.n ? "}" : "{}");
    return b->oom ? dett_fail(e, "%s:%d: out of memory", __FILE__, __LINE__) : 0;
}

/* ---- layers ---------------------------------------------------------------- */

/* reads params' @layers of group g into *out (malloc'd), count in *n */
static int layers_read(hid_t g, const char *where, results_layer **out, int *n, dett_err *e)
{
    hid_t d = -1, a = -1, sp = -1, mt = -1;
    int rc = -1;
    *out = NULL;
    CHECK_H5(e, d = H5Dopen2(g, RF_D_PARAMS, H5P_DEFAULT), "%s: no dataset " RF_D_PARAMS, where);
    int ex = h5attr_exists(d, RF_X_LAYERS, where, e);
    if (ex < 0) goto fail;
    if (!ex) {
        dett_fail(e, "%s/" RF_D_PARAMS ": no @" RF_X_LAYERS " (a file of results format 1, "
                  "which does not describe its models: rerun the grid with this dett to "
                  "export it)", where);
        goto fail;
    }
    CHECK_H5(e, a = H5Aopen(d, RF_X_LAYERS, H5P_DEFAULT), "%s: cannot open @" RF_X_LAYERS, where);
    CHECK_H5(e, sp = H5Aget_space(a), "%s: @" RF_X_LAYERS ": no extent", where);
    hssize_t np = H5Sget_simple_extent_npoints(sp);
    if (np < 1 || np > RESULTS_MAX_LAYERS) {
        dett_fail(e, "%s: @" RF_X_LAYERS ": %lld layers", where, (long long)np);
        goto fail;
    }
    CHECK_H5(e, mt = results_layer_type(0), "%s: cannot make the layer type", where);
    CHECK_ALLOC(e, *out = calloc((size_t)np, sizeof **out));
    CHECK_H5(e, H5Aread(a, mt, *out), "%s: cannot read @" RF_X_LAYERS, where);
    for (hssize_t i = 0; i < np; i++) (*out)[i].kind[RF_LAYER_KIND_LEN - 1] = '\0';
    *n = (int)np;
    rc = 0;
fail:
    if (rc) {
        free(*out);
        *out = NULL;
    }
    if (mt >= 0) H5Tclose(mt);
    if (sp >= 0) H5Sclose(sp);
    if (a >= 0) H5Aclose(a);
    if (d >= 0) H5Dclose(d);
    return rc;
}

/* One layer into the archive (entries "<i>.weight", "<i>.bias" when it has
 * parameters) and the JSON layer list. P: floats in params. */
static int layer_out(npz *z, jbuf *lj, int i, const results_layer *l, const float *params,
                     int64_t P, const char *where, dett_err *e)
{
    char name[32];
    int dense = !strcmp(l->kind, "dense"), conv = !strcmp(l->kind, "conv");
    jb_put(lj, "%s{\"kind\": ", i ? ", " : "[");
    jb_str(lj, l->kind);
    if (dense) jb_put(lj, ", \"in\": %d, \"out\": %d", l->in_dim, l->out_dim);
    else if (conv)
        jb_put(lj, ", \"in_channels\": %d, \"out_channels\": %d, \"kernel\": %d, \"stride\": %d, "
                   "\"padding\": %d", l->C, l->OC, l->k, l->stride, l->pad);
    else if (!strcmp(l->kind, "maxpool") || !strcmp(l->kind, "avgpool"))
        jb_put(lj, ", \"kernel\": %d", l->k);
    jb_put(lj, ", \"frozen\": %s}", l->frozen ? "true" : "false");
    if (!dense && !conv) {
        if (l->n_params != 0)
            return dett_fail(e, "%s: layer %d (%s) has %lld parameters; this dett cannot "
                             "export it", where, i, l->kind, (long long)l->n_params);
        return 0;
    }
    int64_t nb = dense ? l->out_dim : l->OC;
    int64_t wshape[4] = {nb, dense ? l->in_dim : l->C, l->k, l->k};
    int64_t nw = dense ? nb * l->in_dim : nb * (int64_t)l->C * l->k * l->k;
    if (l->offset < 0 || nw + nb != l->n_params || l->offset + l->n_params > P)
        return dett_fail(e, "%s: layer %d (%s): %lld parameters at offset %lld do not match "
                         "its shape or the %lld stored", where, i, l->kind,
                         (long long)l->n_params, (long long)l->offset, (long long)P);
    snprintf(name, sizeof name, "%d.weight", i);
    CHECK(npz_f32(z, name, params + l->offset, dense ? 2 : 4, wshape, e));
    snprintf(name, sizeof name, "%d.bias", i);
    CHECK(npz_f32(z, name, params + l->offset + nw, 1, &nb, e));
    return 0;
fail:
    return -1;
}

/* ---- the command ------------------------------------------------------------ */

typedef struct {
    const char *results, *job, *out;
    int what;
} export_opts;

/* -1 with a usage message; 1 for --help (printed) */
static int parse(int argc, char **argv, export_opts *o, dett_err *e)
{
    memset(o, 0, sizeof *o);
    opts_parser p;
    const char *v;
    int id;
    if (opts_begin(&p, "export", export_defs, argc, argv, e)) return -1;
    while ((id = opts_next(&p, &v, e)) != OPTS_DONE) {
        if (id == OPTS_BAD) return -1;
        if (id == OPTS_HELP) {
            if (cmd_world_rank() == 0) export_usage();   /* one copy under a launcher */
            return 1;
        }
        if (id == X_OUT) {
            o->out = v;
        } else if (id == X_WHAT) {
            if (!strcmp(v, "student")) o->what = WHAT_STUDENT;
            else if (!strcmp(v, "teacher")) o->what = WHAT_TEACHER;
            else if (!strcmp(v, "projector")) o->what = WHAT_PROJECTOR;
            else return opts_bad_value(&p, (dett_fail(e, "--what: '%s' is not student, "
                                                      "teacher or projector", v), e));
        } else if (!o->results) {
            o->results = v;
        } else if (!o->job) {
            o->job = v;
        } else {
            return opts_bad_value(&p, (dett_fail(e, "unexpected argument '%s'", v), e));
        }
    }
    if (!o->results || !o->job)
        return opts_bad_value(&p, (dett_fail(e, "usage: dett export RESULTS.h5 JOB -o FILE.npz"), e));
    if (!o->out) return opts_bad_value(&p, (dett_fail(e, "-o FILE.npz is required"), e));
    return 0;
}

/* the job named id in d, or NULL */
static const rep_job *find_job(const rep_data *d, const char *id)
{
    for (int k = 0; k < d->n_jobs; k++)
        if (!strcmp(d->jobs[k].id, id)) return &d->jobs[k];
    return NULL;
}

/* the metadata entries: arch, what, job, config, accuracies, input */
static int meta_out(npz *z, hid_t g, const rep_job *j, const char *what, const char *where,
                    dett_err *e)
{
    const char *const *sel_names = select_names;
    jbuf cfg = {0};
    int rc = -1;
    CHECK(npz_str(z, "arch", j->arch, e));
    CHECK(npz_str(z, "what", what, e));
    CHECK(npz_str(z, "job", j->id, e));
    CHECK(config_json(g, where, &cfg, e));
    CHECK(npz_str(z, "config", cfg.s, e));
    int sel = 0;
    for (int k = 0; k < RF_N_SEL; k++)
        if (!strcmp(j->select, sel_names[k])) sel = k;
    int ep = rep_job_epoch(j, sel);
    if (ep >= 0 && j->acc) {
        int64_t G = j->groups;
        const double *row = j->acc + (size_t)ep * RF_N_SPLITS * (size_t)G;
        CHECK(npz_f64(z, "val_acc", row + RF_SPLIT_VAL * G, 1, &G, e));
        CHECK(npz_f64(z, "test_acc", row + RF_SPLIT_TEST * G, 1, &G, e));
        int32_t e32 = ep;
        CHECK(npz_i32(z, "epoch", &e32, 0, NULL, e));
    }
    int shape[3], n = 0;
    long long nc;
    int ex = h5attr_exists(g, RF_J_INPUT_SHAPE, where, e);
    if (ex < 0) goto fail;
    if (ex) {
        int32_t s32[3];
        int64_t dim;
        CHECK(h5attr_get_ints(g, RF_J_INPUT_SHAPE, shape, 3, &n, where, e));
        for (int k = 0; k < n; k++) s32[k] = shape[k];
        dim = n;
        CHECK(npz_i32(z, "input_shape", s32, 1, &dim, e));
        CHECK(h5attr_get_int(g, RF_J_N_CLASSES, 1, 1 << 30, &nc, where, e));
        int32_t c32 = (int32_t)nc;
        CHECK(npz_i32(z, "n_classes", &c32, 0, NULL, e));
    }
    rc = 0;
fail:
    free(cfg.s);
    return rc;
}

/* writes the npz of job j (done) of the open file */
static int export_job(hid_t file, const char *path, const rep_job *j, const export_opts *o,
                      dett_err *e)
{
    static const char *const what_names[] = {"student", "teacher", "projector"};
    char where[1200], gp[64];
    hid_t g = -1, d = -1, sp = -1;
    results_layer *L = NULL;
    float *params = NULL;
    npz *z = NULL;
    jbuf lj = {0};
    int nl = 0, rc = -1;
    snprintf(where, sizeof where, "%.1000s: " RF_JOBS "/%s", path, j->id);
    snprintf(gp, sizeof gp, RF_JOBS "/%s", j->id);
    CHECK_H5(e, g = H5Gopen2(file, gp, H5P_DEFAULT), "%s: cannot open the group", where);
    CHECK(layers_read(g, where, &L, &nl, e));
    CHECK_H5(e, d = H5Dopen2(g, RF_D_PARAMS, H5P_DEFAULT), "%s: no " RF_D_PARAMS, where);
    CHECK_H5(e, sp = H5Dget_space(d), "%s/" RF_D_PARAMS ": no extent", where);
    hssize_t P = H5Sget_simple_extent_npoints(sp);
    CHECK_H5(e, P, "%s/" RF_D_PARAMS ": no extent", where);
    CHECK_ALLOC(e, params = malloc((size_t)(P ? P : 1) * sizeof *params));
    CHECK_H5(e, H5Dread(d, H5T_NATIVE_FLOAT, H5S_ALL, H5S_ALL, H5P_DEFAULT, params),
             "%s/" RF_D_PARAMS ": cannot read", where);
    int first = 0, last = nl;
    if (o->what == WHAT_PROJECTOR) {
        /* a transplanted student ends in projector (dense) -> frozen head */
        if (nl < 2 || !L[nl - 1].frozen || strcmp(L[nl - 2].kind, "dense")) {
            dett_fail(e, "export: %s: job %s (%s) has no projector in its model: only simkd "
                      "and dett students have one stored (fitnet's is not saved)", path, j->id,
                      j->method);
            goto fail;
        }
        first = nl - 2, last = nl - 1;
    }
    CHECK(!(z = npz_new(o->out, e)));
    for (int i = first; i < last; i++)
        CHECK(layer_out(z, &lj, i - first, &L[i], params, (int64_t)P, where, e));
    jb_put(&lj, "]");
    if (lj.oom) {
        dett_fail(e, "%s:%d: out of memory", __FILE__, __LINE__);
        goto fail;
    }
    CHECK(npz_str(z, "layers", lj.s, e));
    CHECK(meta_out(z, g, j, what_names[o->what], where, e));
    rc = npz_close(z, e);
    z = NULL;
    if (rc == 0)
        printf("%s: %s %s (%s, %s) of %s: %d layers, %lld parameters\n", o->out,
               what_names[o->what], j->id, j->method, j->arch, path, last - first,
               (long long)(o->what == WHAT_PROJECTOR ? L[first].n_params : P));
fail:
    npz_discard(z);
    free(lj.s);
    free(params);
    free(L);
    if (sp >= 0) H5Sclose(sp);
    if (d >= 0) H5Dclose(d);
    if (g >= 0) H5Gclose(g);
    return rc;
}

/* the whole command once options are parsed */
static int run_export(const export_opts *o, dett_err *e)
{
    rep_data d = {0};
    hid_t file = -1;
    int rc = -1;
    CHECK(rep_read_file(&d, o->results, e));
    const rep_job *j = find_job(&d, o->job);
    if (!j) {
        dett_fail(e, "export: %s: no job '%s' (`dett report %s` lists failed jobs, `dett "
                  "check GRID.lua` every id)", o->results, o->job, o->results);
        goto fail;
    }
    if (o->what == WHAT_TEACHER) {
        if (!j->teacher[0]) {
            dett_fail(e, "export: %s: job %s (%s) has no teacher", o->results, j->id, j->method);
            goto fail;
        }
        const rep_job *t = find_job(&d, j->teacher);
        if (!t) {
            dett_fail(e, "export: %s: job %s's teacher %s is not in the file", o->results,
                      j->id, j->teacher);
            goto fail;
        }
        j = t;
    }
    if (j->status != JOB_DONE) {
        static const char *const st[] = RF_STATUS_NAMES;
        dett_fail(e, "export: %s: job %s is %s%s%s: it has no trained parameters", o->results,
                  j->id, j->status >= 0 && j->status < RF_N_STATUS ? st[j->status] : "?",
                  j->error[0] ? ": " : "", j->error);
        goto fail;
    }
    H5E_auto2_t fn;
    void *fd;
    int quiet = H5Eget_auto2(H5E_DEFAULT, &fn, &fd) >= 0 && H5Eset_auto2(H5E_DEFAULT, NULL, NULL) >= 0;
    file = H5Fopen(o->results, H5F_ACC_RDONLY, H5P_DEFAULT);
    if (file < 0) dett_fail(e, "%s: cannot open (HDF5)", o->results);
    else rc = export_job(file, o->results, j, o, e);
    if (file >= 0 && H5Fclose(file) < 0 && rc == 0) rc = dett_fail(e, "%s: H5Fclose failed", o->results);
    if (quiet) H5Eset_auto2(H5E_DEFAULT, fn, fd);
fail:
    rep_data_free(&d);
    return rc;
}

int cmd_export(int argc, char **argv)
{
    dett_err e = {{0}};
    export_opts o;
    int p = parse(argc, argv, &o, &e);
    if (p == 1) return 0;
    if (p < 0) {
        fprintf(stderr, "dett: %s\n", e.msg);
        return 2;
    }
    if (run_export(&o, &e)) {
        fprintf(stderr, "dett: %s\n", e.msg);
        return 1;
    }
    return 0;
}
