/* test_chain.c - chains of students and init = "teacher" (issue 20 item 2).
 *
 * 1. init_teacher's rule on hand-built models: equal architectures copy
 *    every layer; a partly matching one its leading matching layers; the
 *    copy stops at the first mismatch even when a later layer matches by
 *    shape; a transplant student gets its body (and a projector of the
 *    teacher's hidden shape).
 * 2. An in-process `dett run` of a chain (a group-DRO teacher -> a DeTT
 *    mid-size student -> DeTT and KD students of it) and of init students,
 *    then from the results file alone:
 *    - the mid-size student's stored model (its artifact) carries the big
 *      teacher's head, and so does the small DeTT student of the mid-size
 *      one: the head a chain hands down is the first teacher's;
 *    - an ERM student of the teacher's architecture with init = "teacher"
 *      (trained with lr 1e-30, so training moves nothing) holds the
 *      teacher's parameters; one of a partly matching architecture holds
 *      the teacher's first layer and, after it, the values of the same
 *      student with init = "random";
 *    - the results file records init and the layers copied.
 * One process (MPI_COMM_WORLD of size 1). */
#include "check.h"
#include "fixture_groupdata.h"
#include "cmd.h"
#include "dataset.h"
#include "dsl.h"
#include "h5attr.h"
#include "init_teacher.h"
#include "layer.h"
#include "model.h"
#include "results_format.h"
#include "synth.h"
#include "transplant.h"
#include <hdf5.h>
#include <math.h>
#include <mpi.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define DATA "chain_data.h5"
#define SCRIPT "chain_grid.lua"
#define OUT "chain_results.h5"

static const char *grid_text =
    "local d = dataset \"" DATA "\"\n"
    "local big = train { data = d, arch = mlp{32, 16}, method = groupdro{}, epochs = 4 }\n"
    "local mid = train { data = d, teacher = big, arch = mlp{16}, method = dett{ up = 20 },\n"
    "  epochs = 3 }\n"
    "local tiny = sgd{ lr = 1e-30, momentum = 0, wd = 0 }\n"
    "return {\n"
    "  grid { data = d, teacher = mid, student = mlp{8}, epochs = 2,\n"
    "         method = sweep{ dett{ up = 20 }, kd{} } },\n"
    "  grid { data = d, teacher = big, student = sweep{ mlp{32, 16}, mlp{32, 8} },\n"
    "         method = erm{}, optim = tiny, epochs = 1, init = sweep{ \"teacher\", \"random\" } },\n"
    "}\n";

/* a model of the given layers, finalized and initialised from seed */
static model *build(layer **ls, int n, uint64_t seed)
{
    model *m = model_new();
    for (int i = 0; i < n; i++) EXPECT(model_add(m, ls[i]) == 0, "model_add %d", i);
    EXPECT(model_finalize(m) == 0, "model_finalize");
    model_init(m, seed, 0);
    return m;
}

/* 1 if m's layer i holds t's layer i's values */
static int layer_equal(const model *m, const model *t, int i)
{
    const layer *a = m->layers[i], *b = t->layers[i];
    return a->n_params == b->n_params &&
           memcmp(m->params + a->off, t->params + b->off, sizeof(float) * a->n_params) == 0;
}

static void test_rule(void)
{
    const int w2[] = { 32, 16 }, w8[] = { 32, 8 }, w4[] = { 4 }, w32[] = { 32 };
    model *t = model_mlp(10, w2, 2, 2), *s = model_mlp(10, w2, 2, 2);
    model_init(t, 1, 0);
    model_init(s, 2, 0);
    init_match r = init_teacher_copy(s, t);
    EXPECT(r.layers == 5 && r.copied == 3 && r.first_miss == -1 && r.floats == t->n_params,
           "equal mlps: %d layers, %d copied, miss %d", r.layers, r.copied, r.first_miss);
    EXPECT(memcmp(s->params, t->params, sizeof(float) * t->n_params) == 0,
           "equal mlps: the student is not the teacher");
    model_free(s);

    s = model_mlp(10, w8, 2, 2);
    model_init(s, 2, 0);
    model *fresh = model_mlp(10, w8, 2, 2);
    model_init(fresh, 2, 0);
    r = init_teacher_copy(s, t);
    EXPECT(r.layers == 2 && r.copied == 1 && r.first_miss == 2,
           "mlp[32,8] from mlp[32,16]: %d layers, %d copied, miss %d", r.layers, r.copied,
           r.first_miss);
    EXPECT(layer_equal(s, t, 0), "mlp[32,8]: first layer not the teacher's");
    for (int i = 2; i < s->n_layers; i++)
        EXPECT(layer_equal(s, fresh, i), "mlp[32,8]: layer %d changed", i);
    model_free(s);
    model_free(fresh);

    s = model_mlp(10, w4, 1, 2);
    r = init_teacher_match(s, t);
    EXPECT(r.copied == 0 && r.first_miss == 0, "mlp[4]: %d copied, miss %d", r.copied,
           r.first_miss);
    model_free(s);

    /* a transplant student (body mlp[32], projector 32->16, the teacher's
     * head): the body and the projector (the shape of the teacher's second
     * hidden layer) match, the head (after a relu in the teacher) does not */
    s = model_mlp(10, w32, 1, 2);
    model_init(s, 3, 0);
    s = model_transplant(s, t, 3, 1000);
    EXPECT(s != NULL, "transplant");
    if (s) {
        r = init_teacher_copy(s, t);
        EXPECT(r.layers == 3 && r.copied == 2 && r.first_miss == 3,
               "transplant: %d layers, %d copied, miss %d", r.layers, r.copied, r.first_miss);
        model_free(s);
    }

    /* stop, not skip: the first layer differs (kernel 3 vs 1), the second
     * has the teacher's shape but sees other inputs: nothing is copied */
    layer *tl[] = { layer_conv(1, 4, 4, 2, 3, 1, 1), layer_dense(32, 2) };
    layer *sl[] = { layer_conv(1, 4, 4, 2, 1, 1, 0), layer_dense(32, 2) };
    model *ct = build(tl, 2, 1), *cs = build(sl, 2, 2);
    r = init_teacher_copy(cs, ct);
    EXPECT(r.layers == 0 && r.copied == 0 && r.first_miss == 0 && !layer_equal(cs, ct, 1),
           "a mismatch then a match: %d layers, %d copied (want 0: stop at the first)",
           r.layers, r.copied);
    model_free(ct);
    model_free(cs);
    model_free(t);
}

/* reads dataset `name` of f (n floats) into buf; 1 on success */
static int read_floats(hid_t f, const char *name, float *buf, size_t n)
{
    hid_t d = H5Dopen2(f, name, H5P_DEFAULT);
    if (d < 0) return 0;
    hid_t sp = H5Dget_space(d);
    hssize_t k = sp >= 0 ? H5Sget_simple_extent_npoints(sp) : -1;
    int ok = k == (hssize_t)n &&
             H5Dread(d, H5T_NATIVE_FLOAT, H5S_ALL, H5S_ALL, H5P_DEFAULT, buf) >= 0;
    if (sp >= 0) H5Sclose(sp);
    H5Dclose(d);
    return ok;
}

/* the number of floats of dataset `name` of f, or -1 */
static long n_floats(hid_t f, const char *name)
{
    hid_t d = H5Dopen2(f, name, H5P_DEFAULT);
    if (d < 0) return -1;
    hid_t sp = H5Dget_space(d);
    long k = sp >= 0 ? (long)H5Sget_simple_extent_npoints(sp) : -1;
    if (sp >= 0) H5Sclose(sp);
    H5Dclose(d);
    return k;
}

/* a job's stored parameters: its artifact (a teacher) or /jobs/<id>/params
 * (malloc'd, *n floats) */
static float *params_of(hid_t f, const job_spec *j, int artifact, long *n)
{
    char name[256], hash[65] = "", gname[96];
    dett_err e = { "" };
    snprintf(gname, sizeof gname, "/jobs/%s", j->id);
    hid_t g = H5Gopen2(f, gname, H5P_DEFAULT);
    EXPECT(g >= 0 && h5attr_get_text(g, RF_J_HASH, hash, sizeof hash, H5ATTR_EXACT, gname, &e) == 0,
           "%s: no hash: %s", gname, e.msg);
    if (g >= 0) H5Gclose(g);
    if (artifact) snprintf(name, sizeof name, "/artifacts/%s/params", hash);
    else snprintf(name, sizeof name, "/jobs/%s/params", j->id);
    *n = n_floats(f, name);
    float *p = *n > 0 ? malloc(sizeof(float) * (size_t)*n) : NULL;
    EXPECT(p && read_floats(f, name, p, (size_t)*n), "cannot read %s", name);
    return p;
}

/* init and init_layers of job j as stored */
static void init_attrs(hid_t f, const job_spec *j, char *init, size_t len, long long *layers)
{
    char gname[96];
    dett_err e = { "" };
    snprintf(gname, sizeof gname, "/jobs/%s", j->id);
    hid_t g = H5Gopen2(f, gname, H5P_DEFAULT);
    EXPECT(g >= 0 && h5attr_get_text(g, RF_J_INIT, init, len, H5ATTR_EXACT, gname, &e) == 0 &&
           h5attr_get_int(g, RF_J_INIT_LAYERS, 0, 1000, layers, gname, &e) == 0,
           "%s: init attributes: %s", gname, e.msg);
    if (g >= 0) H5Gclose(g);
}

/* the first job of kind k, method m, arch text a (arch= in its canon) and
 * init i, or -1 */
static int find(const job_list *l, job_kind k, method_kind m, const char *arch, int init)
{
    char want[64];
    snprintf(want, sizeof want, "arch=%s;", arch);
    for (int j = 0; j < l->n; j++)
        if (l->jobs[j].kind == k && l->jobs[j].method.kind == m &&
            strstr(l->jobs[j].canon, want) && (int)l->jobs[j].init == init)
            return j;
    return -1;
}

/* 1 if a[0..n) and b[0..n) are equal within 1e-20 (lr 1e-30 steps) */
static int same_floats(const float *a, const float *b, long n)
{
    for (long i = 0; i < n; i++)
        if (fabsf(a[i] - b[i]) > 1e-20f) return 0;
    return 1;
}

static void test_run(void)
{
    dett_err e = { "" };
    dataset_info info;
    synth_opts so = synth_defaults();
    so.n_train = 800;
    so.n_val = 300;
    so.n_test = 300;
    so.seed = 7;
    dsl *dl = NULL;
    job_list jobs = { 0, 0, NULL };
    EXPECT(fixture_grid(DATA, &so, &info, SCRIPT, grid_text, &dl, &jobs, &e) == 0, "grid: %s",
           e.msg);

    const int big = find(&jobs, JOB_TRAIN, METHOD_GROUPDRO, "mlp[32,16]", INIT_RANDOM);
    const int mid = find(&jobs, JOB_TRAIN, METHOD_DETT, "mlp[16]", INIT_RANDOM);
    const int sd = find(&jobs, JOB_STUDENT, METHOD_DETT, "mlp[8]", INIT_RANDOM);
    const int eq = find(&jobs, JOB_STUDENT, METHOD_ERM, "mlp[32,16]", INIT_TEACHER);
    const int part = find(&jobs, JOB_STUDENT, METHOD_ERM, "mlp[32,8]", INIT_TEACHER);
    const int rnd = find(&jobs, JOB_STUDENT, METHOD_ERM, "mlp[32,8]", INIT_RANDOM);
    EXPECT(big >= 0 && mid >= 0 && sd >= 0 && eq >= 0 && part >= 0 && rnd >= 0,
           "jobs missing: %d %d %d %d %d %d", big, mid, sd, eq, part, rnd);
    if (big < 0 || mid < 0 || sd < 0 || eq < 0 || part < 0 || rnd < 0) goto out;
    EXPECT(jobs.jobs[mid].teacher == big && jobs.jobs[sd].teacher == mid &&
           jobs.jobs[eq].teacher == big && jobs.jobs[rnd].teacher == -1,
           "dependencies: mid <- %d, small <- %d, init <- %d, random <- %d",
           jobs.jobs[mid].teacher, jobs.jobs[sd].teacher, jobs.jobs[eq].teacher,
           jobs.jobs[rnd].teacher);

    char *run_argv[] = { "run", SCRIPT, "-o", OUT, "--force", "--progress", "lines", NULL };
    remove(OUT);
    EXPECT(cmd_run(7, run_argv) == 0, "dett run of the chain grid failed");
    hid_t f = H5Fopen(OUT, H5F_ACC_RDONLY, H5P_DEFAULT);
    EXPECT(f >= 0, "cannot open %s", OUT);
    if (f < 0) goto out;

    /* the head a chain hands down: 16 features -> 2 classes, the last
     * 16 * 2 + 2 floats of every model that carries it */
    const long head = 16 * 2 + 2;
    long nb, nm, ns;
    float *pb = params_of(f, &jobs.jobs[big], 1, &nb);
    float *pm = params_of(f, &jobs.jobs[mid], 1, &nm);
    float *ps = params_of(f, &jobs.jobs[sd], 0, &ns);
    if (pb && pm && ps && nb > head && nm > head && ns > head) {
        EXPECT(memcmp(pb + nb - head, pm + nm - head, sizeof(float) * head) == 0,
               "the mid-size student's head is not the big teacher's");
        EXPECT(memcmp(pb + nb - head, ps + ns - head, sizeof(float) * head) == 0,
               "the small DeTT student's head is not the big teacher's");
        EXPECT(memcmp(pm, ps, sizeof(float) * 16) != 0, "the small student did not train");
    }

    /* init = "teacher" */
    long ne, np, nr;
    float *pe = params_of(f, &jobs.jobs[eq], 0, &ne);
    float *pp = params_of(f, &jobs.jobs[part], 0, &np);
    float *pr = params_of(f, &jobs.jobs[rnd], 0, &nr);
    const long first = 10 * 32 + 32;   /* synth: 10 features -> 32 */
    EXPECT(info.d == 10, "synth has %d features", info.d);
    if (pb && pe && pp && pr && ne == nb && np == nr && np > first) {
        EXPECT(same_floats(pe, pb, nb), "init = \"teacher\", equal architectures: the student "
               "does not hold the teacher's parameters");
        EXPECT(same_floats(pp, pb, first), "init = \"teacher\", mlp[32,8]: its first layer is "
               "not the teacher's");
        EXPECT(!same_floats(pr, pb, first), "init = \"random\" holds the teacher's first layer");
        EXPECT(same_floats(pp + first, pr + first, np - first),
               "init = \"teacher\", mlp[32,8]: layers after the first are not the random "
               "initialisation");
    } else {
        EXPECT(0, "parameter sizes: teacher %ld, equal %ld, partial %ld, random %ld", nb, ne, np,
               nr);
    }
    char init[16] = "";
    long long layers = -1;
    init_attrs(f, &jobs.jobs[eq], init, sizeof init, &layers);
    EXPECT(strcmp(init, "teacher") == 0 && layers == 3, "equal: init %s, %lld layers", init,
           layers);
    init_attrs(f, &jobs.jobs[part], init, sizeof init, &layers);
    EXPECT(strcmp(init, "teacher") == 0 && layers == 1, "partial: init %s, %lld layers", init,
           layers);
    init_attrs(f, &jobs.jobs[rnd], init, sizeof init, &layers);
    EXPECT(strcmp(init, "random") == 0 && layers == 0, "random: init %s, %lld layers", init,
           layers);
    free(pb); free(pm); free(ps); free(pe); free(pp); free(pr);
    H5Fclose(f);
out:
    job_list_free(&jobs);
    dsl_free(dl);
}

int main(int argc, char **argv)
{
    MPI_Init(&argc, &argv);
    test_rule();
    test_run();
    MPI_Finalize();
    return TEST_END();
}
