/* test_sampling_jobs.c - the epoch sampler as training sees it (issue 16,
 * items 1-2), one process:
 *  - through train_job: a file whose training rows are sorted by group and a
 *    shuffled copy of it give identical per-group visit counts, for every
 *    sampler (rows: each group exactly its size per epoch; groups-exact:
 *    floor/ceil of n / G per epoch; groups: the same multinomial draw);
 *    every epoch has ceil(V / B) steps (none cut short);
 *  - through the job runner (dsl_load -> jobrun): a jtt{} student on the
 *    group-sorted file visits every group exactly
 *    epochs x (up |E_g| + n_g - |E_g|) times, E the identification job's
 *    error set read back from the results file, so the minority's share is
 *    JTT's formula; the DSL's sampler key and its canonical text. */
#include "arch.h"
#include "check.h"
#include "fixture_groupdata.h"
#include "cmd.h"
#include "dsl.h"
#include "jobrun.h"
#include "method.h"
#include "results.h"
#include "report.h"
#include "rng.h"
#include "synth.h"
#include "train.h"
#include <hdf5.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#define MAXG 16

typedef struct {
    const groupdata *gd;   /* K = 1: global row = local row */
    int64_t count[MAXG];
    int64_t err_visits, visits;
    const uint8_t *err;    /* error set (job runner part) or NULL */
    int64_t n, nE, nEg[MAXG], ng[MAXG];   /* job runner part: sizes of the error set */
    int job;               /* count only this job's visits (-1: all, -2: none) */
} counter;

static void count_rows(counter *c, const int *rows, int n)
{
    const int A = c->gd->info.n_attrs;
    for (int i = 0; i < n; i++) {
        int r = rows[i];
        c->count[c->gd->train.y[r] * A + c->gd->train.a[r]]++;
        c->visits++;
        if (c->err) c->err_visits += c->err[r];
    }
}

static void on_visit(void *ctx, const int *rows, int n) { count_rows(ctx, rows, n); }

static void on_visit_job(void *ctx, int job, const int *rows, int n)
{
    counter *c = ctx;
    if (c->job == -1 || job == c->job) count_rows(c, rows, n);
}

static void write_text(const char *path, const char *text)
{
    EXPECT(fixture_text(path, text) == 0, "cannot write %s", path);
}

/* per-group visits of `epochs` epochs of an erm job with sampler sk on path */
static int64_t visits_of(const char *path, sampler_kind sk, int epochs, int64_t count[MAXG],
                         int64_t *steps)
{
    dett_err e = { "" };
    groupdata gd;
    train_result res;
    EXPECT(groupdata_load(&gd, path, MPI_COMM_WORLD, 8, 64, &e) == 0, "load: %s", e.msg);
    static const int widths[] = { 4 };
    job_spec j = fixture_job("t", METHOD_ERM, epochs, widths, 1);
    j.sampler = sk;
    model *m = arch_build(&j.arch, &gd.info, &e);
    model_init(m, j.seed, 0);
    counter c = { .gd = &gd, .job = -1 };
    train_inputs in = { .on_visit = on_visit, .hook_ctx = &c };
    EXPECT(train_job(MPI_COMM_WORLD, &j, &gd, &in, m, &res, &e) == 0 && !res.failed,
           "train_job: %s", e.msg);
    memcpy(count, c.count, sizeof c.count);
    *steps = res.steps;
    int64_t V = res.visits;
    EXPECT(c.visits == V * epochs, "%lld visits, expected %lld x %d", (long long)c.visits,
           (long long)V, epochs);
    train_result_free(&res);
    model_free(m);
    groupdata_free(&gd);
    return V;
}

/* the job runner on a grid script: every job in order, with the visits of
 * job `watch` counted against the error set of its identification job */
static void run_grid(const char *script, const char *out, counter *c, int *n_jobs,
                     job_list *jobs_out)
{
    dett_err e = { "" };
    dsl *d = NULL;
    job_list jobs = { 0, 0, NULL };
    EXPECT(dsl_load(script, &d, &jobs, &e) == 0, "dsl_load: %s", e.msg);
    *n_jobs = jobs.n;
    results_jobinfo *info = calloc((size_t)jobs.n + 1, sizeof *info);
    dataset_info di;
    EXPECT(dataset_open(jobs.jobs[0].data, MPI_COMM_WORLD, &di, &e) == 0, "open: %s", e.msg);
    for (int j = 0; j < jobs.n; j++) {
        const job_spec *job = &jobs.jobs[j];
        model *t = jobrun_build_teacher(&jobs, j, &di, &e);
        model *m = jobrun_build_model(&jobs, j, &di, t, &e);
        EXPECT(m != NULL, "build %d: %s", j, e.msg);
        info[j].epochs = job->epochs;
        info[j].groups = di.n_groups;
        info[j].n_attrs = di.n_attrs;
        info[j].n_params = m->n_params;
        info[j].n_train = di.n[SPLIT_TRAIN];
        info[j].batch = job->batch;
        snprintf(info[j].method, sizeof info[j].method, "%s", method_name(job->method.kind));
        snprintf(info[j].select, sizeof info[j].select, "%s", select_names[job->select]);
        model_free(m);
        model_free(t);
    }
    results *res = NULL;
    results_meta meta = { "script", script, "0", 1, 1 };
    remove(out);
    EXPECT(results_open(&res, out, MPI_COMM_WORLD, &jobs, info, &meta, 1, &e) == 0,
           "results_open: %s", e.msg);
    jobrun_ctx jc = { .comm = MPI_COMM_WORLD, .M = 8, .res = res, .jobs = &jobs };
    jc.hooks.on_visit = on_visit_job;
    jc.hooks.ctx = c;
    for (int j = 0; j < jobs.n; j++) {
        results_row row;
        double w, a;
        if (jobs.jobs[j].kind == JOB_STUDENT && jobs.jobs[j].ident >= 0) {
            /* the error set the student is about to upsample */
            static uint8_t err[1 << 16];
            EXPECT(di.n[SPLIT_TRAIN] <= (int64_t)sizeof err, "error set buffer");
            EXPECT(results_read_error_set(res, jobs.jobs[j].ident, 0, di.n[SPLIT_TRAIN], err,
                                          &e) == 0, "error set: %s", e.msg);
            c->err = err;
            c->job = j;
            c->gd = &jc.data;
        }
        EXPECT(jobrun(&jc, j, &row, &w, &a, &e) == 0 && row.status == JOB_DONE,
               "job %d: %s %s", j, e.msg, row.error);
        EXPECT(results_write_row(res, j, &row, &e) == 0, "row: %s", e.msg);
    }
    if (c->gd && c->err) {   /* the error set's sizes, before the rows go */
        const groupdata *gd = c->gd;
        c->n = gd->train.n;
        for (int64_t i = 0; i < gd->train.n; i++) {
            c->nE += c->err[i];
            c->nEg[gd->train.y[i] * gd->info.n_attrs + gd->train.a[i]] += c->err[i];
        }
        for (int g = 0; g < gd->info.n_groups; g++) c->ng[g] = gd->info.group_count[SPLIT_TRAIN][g];
    }
    jobrun_free(&jc);
    EXPECT(results_close(res, &e) == 0, "close: %s", e.msg);
    free(info);
    *jobs_out = jobs;
    dsl_free(d);
}

int main(int argc, char **argv)
{
    MPI_Init(&argc, &argv);
    dett_err e = { "" };
    dataset_info info;
    dataset_rows split[N_SPLITS];
    synth_opts so = synth_defaults();
    so.n_train = 1000;   /* not a multiple of the batch: a partial last step */
    so.n_val = 200;
    so.n_test = 200;
    so.p_maj = 0.9f;
    EXPECT(synth_generate(&so, &info, split, &e) == 0, "synth: %s", e.msg);
    const int G = info.n_groups, A = info.n_attrs, d = info.d;
    EXPECT(G <= MAXG, "%d groups", G);
    EXPECT(dataset_write("sj_shuffled.h5", &info, split, &e) == 0, "write: %s", e.msg);
    /* the same rows sorted by group (stable) */
    dataset_rows *t = &split[SPLIT_TRAIN], s = *t;
    s.X = malloc(sizeof(float) * (size_t)t->n * d);
    s.y = malloc(sizeof(int32_t) * (size_t)t->n);
    s.a = malloc(sizeof(int32_t) * (size_t)t->n);
    int64_t k = 0;
    for (int g = 0; g < G; g++)
        for (int64_t i = 0; i < t->n; i++)
            if (t->y[i] * A + t->a[i] == g) {
                memcpy(s.X + k * d, t->X + i * d, sizeof(float) * d);
                s.y[k] = t->y[i];
                s.a[k++] = t->a[i];
            }
    dataset_rows keep = *t;
    *t = s;
    EXPECT(dataset_write("sj_sorted.h5", &info, split, &e) == 0, "write: %s", e.msg);
    *t = keep;
    free(s.X); free(s.y); free(s.a);
    for (int p = 0; p < N_SPLITS; p++) dataset_rows_free(&split[p]);

    /* 1. train_job: sorted and shuffled files, every sampler */
    const int E = 3;
    for (int sk = 0; sk < N_SAMPLER_KINDS; sk++) {
        int64_t cs[MAXG], cu[MAXG], st_s, st_u;
        int64_t V = visits_of("sj_sorted.h5", (sampler_kind)sk, E, cs, &st_s);
        visits_of("sj_shuffled.h5", (sampler_kind)sk, E, cu, &st_u);
        EXPECT(st_s == (V + 63) / 64 && st_u == st_s, "%s: %lld / %lld steps for %lld visits",
               sampler_names[sk], (long long)st_s, (long long)st_u, (long long)V);
        int gne = 0;
        for (int g = 0; g < G; g++) gne += info.group_count[SPLIT_TRAIN][g] > 0;
        for (int g = 0; g < G; g++) {
            EXPECT(cs[g] == cu[g], "%s: group %d visited %lld times (sorted) vs %lld (shuffled)",
                   sampler_names[sk], g, (long long)cs[g], (long long)cu[g]);
            const int64_t ng = info.group_count[SPLIT_TRAIN][g];
            if (sk == SAMPLER_KIND_ROWS)
                EXPECT(cs[g] == E * ng, "rows: group %d %lld visits, expected %d x %lld", g,
                       (long long)cs[g], E, (long long)ng);
            if (sk == SAMPLER_KIND_GROUPS_EXACT && ng > 0)
                EXPECT(cs[g] >= E * (so.n_train / gne) && cs[g] <= E * (so.n_train / gne + 1),
                       "groups-exact: group %d %lld visits over %d epochs", g,
                       (long long)cs[g], E);
        }
        printf("%-12s per-group visits (sorted = shuffled):", sampler_names[sk]);
        for (int g = 0; g < G; g++) printf(" %lld", (long long)cs[g]);
        printf("; %lld steps/epoch\n", (long long)st_s);
    }

    /* 2. the job runner: JTT on the group-sorted file */
    write_text("sj_jtt.lua",
               "local d = dataset \"sj_sorted.h5\"\n"
               "return grid { data = d, student = mlp{8}, epochs = 2, batch = 64,\n"
               "  method = jtt{ T = 1, up = 6 } }\n");
    counter c = { .job = -2 };   /* -2: no job until the student */
    int n_jobs = 0;
    job_list jobs = { 0, 0, NULL };
    run_grid("sj_jtt.lua", "sj_jtt_results.h5", &c, &n_jobs, &jobs);
    EXPECT(n_jobs == 2, "%d jobs (ident, student)", n_jobs);
    if (c.n > 0) {
        const int64_t nE = c.nE, *nEg = c.nEg;
        EXPECT(nE > 0 && nE < c.n, "error set of %lld rows", (long long)nE);
        const int64_t n = c.n, up = 6, epochs = 2;
        EXPECT(c.visits == epochs * (up * nE + n - nE), "%lld visits, expected %lld",
               (long long)c.visits, (long long)(epochs * (up * nE + n - nE)));
        EXPECT(c.err_visits == epochs * up * nE, "error rows visited %lld times, expected %lld",
               (long long)c.err_visits, (long long)(epochs * up * nE));
        for (int g = 0; g < G; g++) {
            const int64_t ng = c.ng[g];
            const int64_t want = epochs * (up * nEg[g] + ng - nEg[g]);
            EXPECT(c.count[g] == want, "jtt: group %d visited %lld times, expected %lld", g,
                   (long long)c.count[g], (long long)want);
        }
        /* the results file's per-group error-set sizes (the ident job is j000) */
        int64_t eg[MAXG];
        hid_t f = H5Fopen("sj_jtt_results.h5", H5F_ACC_RDONLY, H5P_DEFAULT);
        hid_t ds = f >= 0 ? H5Dopen2(f, "/jobs/j000/" RF_D_ERROR_GROUPS, H5P_DEFAULT) : -1;
        EXPECT(ds >= 0 && H5Dread(ds, H5T_NATIVE_INT64, H5S_ALL, H5S_ALL, H5P_DEFAULT, eg) >= 0,
               "cannot read error_groups");
        if (ds >= 0) H5Dclose(ds);
        if (f >= 0) H5Fclose(f);
        for (int g = 0; g < G; g++)
            EXPECT(ds >= 0 && eg[g] == nEg[g], "error_groups[%d] = %lld, the error set has %lld",
                   g, (long long)eg[g], (long long)nEg[g]);
        /* dett report --ident shows it; a degenerate set (here: written over
         * with one class only) is flagged */
        char want[64], text[4096];
        snprintf(want, sizeof want, "|E| = %lld of %lld", (long long)nE, (long long)n);
        for (int pass = 0; pass < 2; pass++) {
            if (pass == 1) {
                const long long one_class[4] = { 0, 0, 5, 3 };
                f = H5Fopen("sj_jtt_results.h5", H5F_ACC_RDWR, H5P_DEFAULT);
                ds = f >= 0 ? H5Dopen2(f, "/jobs/j000/" RF_D_ERROR_GROUPS, H5P_DEFAULT) : -1;
                EXPECT(G == 4 && ds >= 0 && H5Dwrite(ds, H5T_NATIVE_LLONG, H5S_ALL, H5S_ALL,
                                                     H5P_DEFAULT, one_class) >= 0,
                       "cannot overwrite error_groups");
                if (ds >= 0) H5Dclose(ds);
                if (f >= 0) H5Fclose(f);
                snprintf(want, sizeof want, "WARNING: degenerate (a single class)");
            }
            FILE *out = tmpfile();
            char *rargv[] = { "report", "sj_jtt_results.h5", "--ident", NULL };
            dett_err re = { "" };
            EXPECT(out && report_run(out, 3, rargv, &re) == 0, "report --ident: %s", re.msg);
            size_t got = 0;
            if (out) {
                rewind(out);
                got = fread(text, 1, sizeof text - 1, out);
                fclose(out);
            }
            text[got] = '\0';
            EXPECT(strstr(text, want) != NULL, "report --ident lacks '%s':\n%s", want, text);
        }
        printf("jtt on the group-sorted file: |E| = %lld, error share of visits %.4f = "
               "formula %.4f\n", (long long)nE, (double)c.err_visits / (double)c.visits,
               (double)(up * nE) / (double)(up * nE + n - nE));
    } else {
        EXPECT(0, "the student's visits were not counted");
    }
    job_list_free(&jobs);

    /* degenerate error sets (2 classes x 2 attributes, 100 rows) */
    const int64_t none[4] = { 0, 0, 0, 0 }, half[4] = { 30, 1, 20, 0 }, one[4] = { 0, 0, 5, 3 },
                  ok[4] = { 3, 1, 2, 4 };
    EXPECT(jobrun_ident_flags(none, 4, 2, 100) == IDENT_EMPTY, "empty");
    EXPECT(jobrun_ident_flags(half, 4, 2, 100) == IDENT_OVER_HALF, "over half");
    EXPECT(jobrun_ident_flags(one, 4, 2, 100) == IDENT_ONE_CLASS, "one class");
    EXPECT(jobrun_ident_flags(ok, 4, 2, 100) == 0, "a healthy error set");
    char why[128];
    jobrun_ident_flags_text(IDENT_OVER_HALF | IDENT_ONE_CLASS, why, sizeof why);
    EXPECT(!strcmp(why, "more than half the training rows, a single class"), "'%s'", why);

    /* 3. the DSL key: default per method, canonical text only when not the default */
    write_text("sj_keys.lua",
               "local d = dataset \"sj_sorted.h5\"\n"
               "return grid { data = d, student = mlp{8}, epochs = 1,\n"
               "  method = sweep{ erm{}, groupdro{} },\n"
               "  sampler = sweep{ \"rows\", \"groups\", \"groups-exact\" } }\n");
    dsl *dl = NULL;
    EXPECT(dsl_load("sj_keys.lua", &dl, &jobs, &e) == 0, "dsl_load: %s", e.msg);
    EXPECT(jobs.n == 6, "%d jobs", jobs.n);
    for (int j = 0; j < jobs.n; j++) {
        const job_spec *js = &jobs.jobs[j];
        const int def = method_get(js->method.kind)->sampler;
        const char *at = strstr(js->canon, ";sampler=");
        EXPECT((js->sampler == (sampler_kind)def) == (at == NULL),
               "job %d (%s, %s): canon %s", j, method_name(js->method.kind),
               sampler_names[js->sampler], js->canon);
    }
    job_list_free(&jobs);
    dsl_free(dl);
    write_text("sj_default.lua",
               "local d = dataset \"sj_sorted.h5\"\n"
               "return grid { data = d, student = mlp{8}, epochs = 1,\n"
               "  method = sweep{ erm{}, groupdro{} } }\n");
    dl = NULL;
    EXPECT(dsl_load("sj_default.lua", &dl, &jobs, &e) == 0, "dsl_load: %s", e.msg);
    EXPECT(jobs.n == 2 && jobs.jobs[0].sampler == SAMPLER_KIND_ROWS &&
           jobs.jobs[1].sampler == SAMPLER_KIND_GROUPS && !strstr(jobs.jobs[0].canon, "sampler") &&
           !strstr(jobs.jobs[1].canon, "sampler"),
           "defaults: erm rows, groupdro groups, neither in the canonical text");
    job_list_free(&jobs);
    dsl_free(dl);
    write_text("sj_bad.lua",
               "local d = dataset \"sj_sorted.h5\"\n"
               "return grid { data = d, student = mlp{8}, method = jtt{}, sampler = \"groups\" }\n");
    dl = NULL;
    EXPECT(dsl_load("sj_bad.lua", &dl, &jobs, &e) != 0 && strstr(e.msg, "does not combine"),
           "jtt's upsampling with a group sampler: %s", e.msg);
    dsl_free(dl);
    dl = NULL;
    write_text("sj_bad2.lua",
               "local d = dataset \"sj_sorted.h5\"\n"
               "return grid { data = d, student = mlp{8}, method = erm{}, sampler = \"group\" }\n");
    EXPECT(dsl_load("sj_bad2.lua", &dl, &jobs, &e) != 0 && strstr(e.msg, "groups-exact"),
           "unknown sampler: %s", e.msg);
    dsl_free(dl);

    int rc = TEST_END();
    MPI_Finalize();
    return rc;
}
