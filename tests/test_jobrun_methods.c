/* test_jobrun_methods.c - DeTT, JTT and their identification step through
 * the job runner: an in-process `dett run` of a small grid (a group-DRO
 * teacher; erm, jtt, simkd and dett students; the identification jobs the
 * DSL adds), then from the results file alone:
 *  - each identification job's stored error set is exactly the training
 *    rows its stored model misclassifies (not inverted, not another split's
 *    rows), non-empty, under half the rows, and richer in minority groups
 *    than the training set (DeTT's identification inherits the student's
 *    AdamW, issue 16.3: its set is only mildly enriched);
 *  - the job runner hands training the weights the method says: the stored
 *    DeTT student is reproduced bit for bit by train_job with weights
 *    up on the error set and 1 elsewhere, and JTT's by error rows visited
 *    round(up) times; the same jobs without the weights (without the
 *    upsampling) end elsewhere, so the weights reach the objective;
 *  - SimKD is reproduced without weights (the reproduction is faithful);
 *  - the transplanted head of simkd/dett equals the teacher's, the
 *    projector moved;
 *  - every job's selected epochs follow the rules from the stored curves
 *    (val-worst: first maximum of validation worst-group, never test), and
 *    the grid has a job where the two rules disagree, so this is tested.
 * One process (MPI_COMM_WORLD of size 1, M = 8 micro-shards). */
#include "arch.h"
#include "check.h"
#include "fixture_groupdata.h"
#include "cmd.h"
#include "dataset.h"
#include "dsl.h"
#include "groupdata.h"
#include "h5attr.h"
#include "results_format.h"
#include "jobrun.h"
#include "loss.h"
#include "method.h"
#include "metrics.h"
#include "synth.h"
#include "train.h"
#include <hdf5.h>
#include <math.h>
#include <mpi.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define DATA "jobrun_methods.h5"
#define SCRIPT "jobrun_methods.lua"
#define OUT "jobrun_methods_results.h5"
#define M_SHARDS 8          /* dett run's default --micro-shards */
#define FORWARD_CHUNK 256   /* jobrun.c's chunk of a micro-shard's forward */

static const char *grid_text =
    "local d = dataset \"" DATA "\"\n"
    "local teacher = train { data = d, arch = mlp{32}, method = groupdro{ eta = 0.1 },\n"
    "  epochs = 6, batch = 64 }\n"
    "return grid { data = d, teacher = teacher, student = mlp{8}, epochs = 8, batch = 64,\n"
    "  seeds = {1}, method = sweep{ erm{}, jtt{ up = 8 }, simkd{}, dett{ up = 20 } } }\n";

/* reads dataset `name` (a path) of file f into buf as type t; 1 on success */
static int h5_read(hid_t f, const char *name, hid_t t, void *buf, hsize_t want)
{
    hid_t d = H5Dopen2(f, name, H5P_DEFAULT);
    if (d < 0) return 0;
    hid_t sp = H5Dget_space(d);
    hssize_t n = sp >= 0 ? H5Sget_simple_extent_npoints(sp) : -1;
    int ok = n == (hssize_t)want && H5Dread(d, t, H5S_ALL, H5S_ALL, H5P_DEFAULT, buf) >= 0;
    if (sp >= 0) H5Sclose(sp);
    H5Dclose(d);
    return ok;
}

static int read_job(hid_t f, const job_spec *j, const char *what, hid_t t, void *buf, hsize_t n)
{
    char name[256];
    snprintf(name, sizeof name, "/jobs/%s/%s", j->id, what);
    return h5_read(f, name, t, buf, n);
}

static int read_artifact(hid_t f, const job_spec *j, const char *what, hid_t t, void *buf,
                         hsize_t n)
{
    char name[256];
    snprintf(name, sizeof name, "/artifacts/%s/%s", j->hash, what);
    return h5_read(f, name, t, buf, n);
}

/* the jobs' hashes as dett run stored them (with the data digests mixed
 * in): artifacts are stored under them */
static void stored_hashes(hid_t f, job_list *jobs)
{
    for (int j = 0; j < jobs->n; j++) {
        char name[128];
        dett_err e = { "" };
        snprintf(name, sizeof name, "/jobs/%s", jobs->jobs[j].id);
        hid_t g = H5Gopen2(f, name, H5P_DEFAULT);
        EXPECT(g >= 0 && h5attr_get_text(g, RF_J_HASH, jobs->jobs[j].hash, sizeof jobs->jobs[j].hash,
                                          H5ATTR_EXACT, name, &e) == 0,
               "%s: no stored hash %s", name, e.msg);
        if (g >= 0) H5Gclose(g);
    }
}

/* logits and features of m on gd's train rows, chunked as jobrun.c's
 * forward_local (per micro-shard, FORWARD_CHUNK rows) so they are the
 * same floats the job runner computed */
static void forward_rows(const model *m, const groupdata *gd, float *z, float *f)
{
    const shard_plan *p = &gd->plan;
    const int d = gd->info.d, C = m->n_classes, F = m->feat_dim;
    model_ws *ws = model_ws_new(m, FORWARD_CHUNK);
    int64_t base = shard_row0(p, p->s0);
    for (int s = p->s0; s < p->s1; s++) {
        int64_t lo = shard_row0(p, s) - base, hi = lo + shard_rows(p, s);
        for (int64_t i = lo; i < hi; i += FORWARD_CHUNK) {
            int b = (int)(hi - i < FORWARD_CHUNK ? hi - i : FORWARD_CHUNK);
            const float *out = model_forward(m, ws, gd->train.X + i * d, b);
            if (z) memcpy(z + i * C, out, sizeof(float) * (size_t)b * C);
            if (f) memcpy(f + i * F, model_features(m, ws), sizeof(float) * (size_t)b * F);
        }
    }
    model_ws_free(ws);
}

/* first epoch maximising v[ep * stride] over E epochs */
static int first_argmax(const double *v, int E, int stride)
{
    int best = 0;
    for (int ep = 1; ep < E; ep++)
        if (v[ep * stride] > v[best * stride]) best = ep;
    return best;
}

/* the error set of ident job `id` (stored, [n] over the training rows) checked
 * against its stored model; returns the stored set (caller frees) */
static uint8_t *check_error_set(hid_t f, const job_list *jobs, int id, const groupdata *gd)
{
    const job_spec *ij = &jobs->jobs[id];
    const int64_t n = gd->train.n;
    const int C = gd->info.n_classes, A = gd->info.n_attrs;
    dett_err e;
    uint8_t *err = malloc((size_t)n);
    model *im = arch_build(&ij->arch, &gd->info, &e);
    float *z = malloc(sizeof(float) * (size_t)n * C);
    EXPECT(err && im && z, "%s: setup", ij->id);
    if (!err || !im || !z) { free(z); model_free(im); return err; }
    EXPECT(read_artifact(f, ij, "error_set", H5T_NATIVE_UINT8, err, (hsize_t)n) &&
           read_artifact(f, ij, "params", H5T_NATIVE_FLOAT, im->params, im->n_params),
           "%s: no stored error set or model", ij->id);
    forward_rows(im, gd, z, NULL);
    int64_t size = 0, mismatch = 0, minority_err = 0, minority = 0;
    for (int64_t i = 0; i < n; i++) {
        int pred;
        loss_argmax(&pred, z + i * C, 1, C);
        uint8_t want = pred != gd->train.y[i];
        mismatch += err[i] != want;
        size += err[i];
        int maj = gd->train.a[i] == gd->train.y[i] % A;
        minority += !maj;
        minority_err += !maj && err[i];
    }
    printf("%s: error set %lld of %lld rows, %.0f%% minority (train %.0f%%), %lld disagree with "
           "its stored model\n", ij->id, (long long)size, (long long)n,
           size ? 100.0 * minority_err / size : 0.0, 100.0 * minority / n, (long long)mismatch);
    EXPECT(mismatch == 0, "%s: the stored error set is not the rows its model misclassifies "
           "(%lld of %lld differ)", ij->id, (long long)mismatch, (long long)n);
    EXPECT(size > 0 && size < n / 2, "%s: error set of %lld rows", ij->id, (long long)size);
    EXPECT(size > 0 && (double)minority_err / size > (double)minority / n,
           "%s: error set not concentrated on the minority groups", ij->id);
    free(z);
    model_free(im);
    return err;
}

/* trains job j again with train_job on the given per-row weights or
 * visits (NULL: none); the teacher from its stored artifact. Returns the
 * selected params (caller frees) or NULL. */
static float *retrain(hid_t f, const job_list *jobs, int j, groupdata *gd, const float *w,
                      const int *rep, size_t *n_params)
{
    const job_spec *job = &jobs->jobs[j];
    const int64_t n = gd->train.n;
    dett_err e = { "" };
    model *t = NULL, *m = NULL;
    float *tz = NULL, *tf = NULL, *out = NULL;
    train_result res = { 0 };
    if (groupdata_plan(gd, job->batch, &e)) goto done;
    if (job->teacher >= 0) {
        t = jobrun_build_teacher(jobs, j, &gd->info, &e);
        if (!t || !read_artifact(f, &jobs->jobs[job->teacher], "params", H5T_NATIVE_FLOAT,
                                 t->params, t->n_params))
            goto done;
        tz = malloc(sizeof(float) * (size_t)n * t->n_classes);
        tf = malloc(sizeof(float) * (size_t)n * t->feat_dim);
        if (!tz || !tf) goto done;
        forward_rows(t, gd, tz, tf);
    }
    m = jobrun_build_model(jobs, j, &gd->info, t, &e);
    if (!m) goto done;
    train_inputs in = { .sample_w = w, .sample_rep = rep, .t_logits = tz, .t_feats = tf };
    if (train_job(MPI_COMM_WORLD, job, gd, &in, m, &res, &e) == 0 && !res.failed) {
        out = malloc(sizeof(float) * m->n_params);
        if (out) memcpy(out, res.params, sizeof(float) * m->n_params);
        *n_params = m->n_params;
    }
done:
    EXPECT(out != NULL, "%s: retraining failed: %s %s", job->id, e.msg, res.reason);
    train_result_free(&res);
    model_free(t);
    model_free(m);
    free(tz);
    free(tf);
    return out;
}

/* the stored params of job j equal p (n floats)? */
static int same_as_stored(hid_t f, const job_spec *j, const float *p, size_t n)
{
    float *s = malloc(sizeof(float) * (n ? n : 1));
    int same = s && read_job(f, j, "params", H5T_NATIVE_FLOAT, s, n) &&
               memcmp(s, p, sizeof(float) * n) == 0;
    free(s);
    return same;
}

int main(int argc, char **argv)
{
    MPI_Init(&argc, &argv);
    dett_err e = { "" };

    /* strongly biased synthetic data: 95% of training rows in majority groups */
    synth_opts so = synth_defaults();
    so.n_train = 1600;
    so.n_val = 400;
    so.n_test = 400;
    so.p_maj = 0.95f;
    so.seed = 4;
    /* the data and the job list, as dett run sees them */
    dsl *dl = NULL;
    job_list jobs = { 0, 0, NULL };
    EXPECT(fixture_grid(DATA, &so, NULL, SCRIPT, grid_text, &dl, &jobs, &e) == 0, "grid: %s",
           e.msg);

    int jerm = -1, jjtt = -1, jsimkd = -1, jdett = -1;
    for (int j = 0; j < jobs.n; j++) {
        if (jobs.jobs[j].kind != JOB_STUDENT) continue;
        int k = jobs.jobs[j].method.kind;
        if (k == METHOD_ERM) jerm = j;
        if (k == METHOD_JTT) jjtt = j;
        if (k == METHOD_SIMKD) jsimkd = j;
        if (k == METHOD_DETT) jdett = j;
    }
    EXPECT(jerm >= 0 && jjtt >= 0 && jsimkd >= 0 && jdett >= 0, "students missing");
    EXPECT(jjtt >= 0 && jdett >= 0 && jobs.jobs[jjtt].ident >= 0 && jobs.jobs[jdett].ident >= 0,
           "jtt and dett have identification jobs");
    if (jerm < 0 || jjtt < 0 || jsimkd < 0 || jdett < 0 || jobs.jobs[jjtt].ident < 0 ||
        jobs.jobs[jdett].ident < 0) {
        MPI_Finalize();
        return TEST_END();
    }

    /* dett run, in-process */
    char *run_argv[] = { "run", SCRIPT, "-o", OUT, "--force", "--progress", "lines", NULL };
    remove(OUT);
    EXPECT(cmd_run(7, run_argv) == 0, "dett run of the grid failed");
    hid_t f = H5Fopen(OUT, H5F_ACC_RDONLY, H5P_DEFAULT);
    EXPECT(f >= 0, "cannot open %s", OUT);
    stored_hashes(f, &jobs);
    groupdata gd;
    EXPECT(groupdata_load(&gd, DATA, MPI_COMM_WORLD, M_SHARDS, 64, &e) == 0, "load: %s", e.msg);
    const int64_t n = gd.train.n;
    EXPECT(gd.train.row0 == 0 && n == so.n_train, "one rank holds every training row");

    /* the identification step: error sets against the stored models */
    uint8_t *err_dett = check_error_set(f, &jobs, jobs.jobs[jdett].ident, &gd);
    uint8_t *err_jtt = check_error_set(f, &jobs, jobs.jobs[jjtt].ident, &gd);

    /* what the job runner hands training: reproduce the stored students */
    const job_spec *dj = &jobs.jobs[jdett], *jj = &jobs.jobs[jjtt];
    float *w = malloc(sizeof(float) * (size_t)n);
    int *rep = malloc(sizeof(int) * (size_t)n);
    EXPECT(w && rep, "alloc");
    size_t P = 0;
    for (int64_t i = 0; i < n; i++) w[i] = err_dett[i] ? dj->method.weighting.up : 1.0f;
    float *p = retrain(f, &jobs, jdett, &gd, w, NULL, &P);
    EXPECT(p && same_as_stored(f, dj, p, P), "dett: the stored student is not train_job's "
           "with weights up = %g on the error set, 1 elsewhere", dj->method.weighting.up);
    free(p);
    p = retrain(f, &jobs, jdett, &gd, NULL, NULL, &P);
    EXPECT(p && !same_as_stored(f, dj, p, P), "dett: the weights changed nothing");
    free(p);

    EXPECT(jj->method.weighting.resample, "jtt upsamples by default");
    for (int64_t i = 0; i < n; i++)
        rep[i] = err_jtt[i] ? (int)lroundf(jj->method.weighting.up) : 1;
    p = retrain(f, &jobs, jjtt, &gd, NULL, rep, &P);
    EXPECT(p && same_as_stored(f, jj, p, P), "jtt: the stored student is not train_job's "
           "with the error set visited %g times", jj->method.weighting.up);
    free(p);
    p = retrain(f, &jobs, jjtt, &gd, NULL, NULL, &P);
    EXPECT(p && !same_as_stored(f, jj, p, P), "jtt: the upsampling changed nothing");
    free(p);

    p = retrain(f, &jobs, jsimkd, &gd, NULL, NULL, &P);
    EXPECT(p && same_as_stored(f, &jobs.jobs[jsimkd], p, P),
           "simkd: not reproduced (the reproduction itself is off)");
    free(p);

    /* the transplanted head is the teacher's; the projector trained */
    const int tj = dj->teacher;
    model *t = jobrun_build_teacher(&jobs, jdett, &gd.info, &e);
    for (int k = 0; t && k < 2; k++) {
        int j = k ? jdett : jsimkd;
        model *m = jobrun_build_model(&jobs, j, &gd.info, t, &e);
        float *s = m ? malloc(sizeof(float) * m->n_params) : NULL;
        EXPECT(m && s && read_job(f, &jobs.jobs[j], "params", H5T_NATIVE_FLOAT, s, m->n_params) &&
               read_artifact(f, &jobs.jobs[tj], "params", H5T_NATIVE_FLOAT, t->params, t->n_params),
               "%s: read", jobs.jobs[j].id);
        if (m && s) {
            const layer *hd = m->layers[m->n_layers - 1], *pj = m->layers[m->n_layers - 2];
            const layer *th = t->layers[t->n_layers - 1];
            EXPECT(hd->frozen && !memcmp(s + hd->off, t->params + th->off,
                                         sizeof(float) * th->n_params),
                   "%s: the stored head is not the teacher's", jobs.jobs[j].id);
            EXPECT(!pj->frozen && memcmp(s + pj->off, m->params + pj->off,
                                         sizeof(float) * pj->n_params) != 0,
                   "%s: the projector did not train", jobs.jobs[j].id);
        }
        free(s);
        model_free(m);
    }
    model_free(t);

    /* selection: each rule from the stored curves; a job where val and test disagree */
    int disagree = 0;
    for (int j = 0; j < jobs.n; j++) {
        const job_spec *job = &jobs.jobs[j];
        const int E = job->epochs;
        double *wst = malloc(sizeof(double) * 2 * E), *avg = malloc(sizeof(double) * 2 * E);
        const int G = gd.info.n_groups;
        double *acc = malloc(sizeof(double) * 2 * (size_t)E * (size_t)G);
        double *wcl = malloc(sizeof(double) * (size_t)E);
        int32_t sel[4] = { -1, -1, -1, -1 };
        EXPECT(wst && avg && acc && wcl &&
               read_job(f, job, "worst", H5T_NATIVE_DOUBLE, wst, 2 * E) &&
               read_job(f, job, "avg", H5T_NATIVE_DOUBLE, avg, 2 * E) &&
               read_job(f, job, "acc", H5T_NATIVE_DOUBLE, acc, 2 * (hsize_t)E * (hsize_t)G) &&
               read_job(f, job, "selected", H5T_NATIVE_INT32, sel, 4), "%s: curves", job->id);
        if (wst && avg && acc && wcl) {
            /* val-worst-class: val accuracy per class, attributes pooled */
            for (int ep = 0; ep < E; ep++)
                wcl[ep] = metrics_worst_class(acc + (size_t)ep * 2 * (size_t)G,
                                              gd.info.group_count[SPLIT_VAL], gd.info.n_classes,
                                              gd.info.n_attrs);
            int vc = first_argmax(wcl, E, 1);
            EXPECT(sel[3] == vc, "%s: val-worst-class selected %d, the curves say %d", job->id,
                   sel[3], vc);
            int vw = first_argmax(wst, E, 2), va = first_argmax(avg, E, 2);
            int tw = first_argmax(wst + 1, E, 2);
            EXPECT(sel[0] == vw && sel[1] == va && sel[2] == tw,
                   "%s: selected (%d, %d, %d), the curves say (%d, %d, %d)", job->id, sel[0],
                   sel[1], sel[2], vw, va, tw);
            disagree += vw != tw;
            if (job->kind == JOB_STUDENT || job->kind == JOB_TRAIN)
                printf("%s %-8s test worst-group %.3f at val-worst epoch %d\n", job->id,
                       method_name(job->method.kind), wst[2 * vw + 1], vw + 1);
        }
        free(wst);
        free(avg);
        free(acc);
        free(wcl);
    }
    EXPECT(disagree > 0, "no job where val-worst and test-worst pick different epochs: "
           "the selection check tests nothing");

    free(w); free(rep); free(err_dett); free(err_jtt);
    groupdata_free(&gd);
    if (f >= 0) H5Fclose(f);
    job_list_free(&jobs);
    dsl_free(dl);
    int rc = TEST_END();
    MPI_Finalize();
    return rc;
}
