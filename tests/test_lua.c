/* test_lua.c - the Lua front end (lua/dsl.h).
 *
 * usage: test_lua [TESTS_LUA_DIR]   (default: the source tree's tests/lua)
 *
 * - every tests/lua/bad/NAME.lua must fail; its first line "-- expect: TEXT"
 *   gives a fragment the error message must contain; each must fail fast;
 * - every tests/lua/good/NAME.lua must load; its first line "-- jobs: N" gives
 *   the job count; the job list must be well formed;
 * - hashes are stable across loads, and changing one value changes exactly
 *   that job's hash and its dependents';
 * - defaults, weighting functions (dsl_weight), `dett check` exit codes.
 * Runs in a scratch directory, where it creates the placeholder dataset
 * files the scripts name (the DSL only checks that they exist).
 */
#define _POSIX_C_SOURCE 200809L
#include "check.h"
#include "cmd.h"
#include "dsl.h"
#include <dirent.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#ifndef DETT_LUA_TEST_DIR
#define DETT_LUA_TEST_DIR "tests/lua"
#endif
/* Runaway scripts are stopped by the sandbox's instruction and memory
 * budgets, which count work, not time; the tests print how long each took
 * but never assert a time (a hang is caught by ctest's TIMEOUT). */

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* CPU seconds of this process: what "fails fast" means on a machine whose
 * other work stretches wall time (a runaway script burns CPU, so a hang
 * still shows) */
static double cpu_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static int write_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "wb");
    if (!f) return -1;
    size_t n = strlen(text);
    int bad = fwrite(text, 1, n, f) != n;
    bad |= fclose(f) != 0;
    return bad ? -1 : 0;
}

/* reads the whole file into a malloc'd string (NULL on failure) */
static char *read_file(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    size_t cap = 4096, n = 0;
    char *s = malloc(cap);
    while (s) {
        n += fread(s + n, 1, cap - n - 1, f);
        if (n < cap - 1) break;
        char *t = realloc(s, cap *= 2);
        if (!t) free(s);
        s = t;
    }
    fclose(f);
    if (s) s[n] = '\0';
    return s;
}

/* The text after `prefix` on the first line of the file ("" if none). */
static void header(const char *path, const char *prefix, char *out, size_t n)
{
    out[0] = '\0';
    FILE *f = fopen(path, "rb");
    if (!f) return;
    char line[1024];
    if (fgets(line, sizeof line, f) && strncmp(line, prefix, strlen(prefix)) == 0) {
        line[strcspn(line, "\r\n")] = '\0';
        snprintf(out, n, "%s", line + strlen(prefix));
    }
    fclose(f);
}

static int cmp_names(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The sorted *.lua names directly in dir (malloc'd array of strdup'd names). */
static int list_scripts(const char *dir, char ***out)
{
    DIR *d = opendir(dir);
    int n = 0, cap = 0;
    char **names = NULL;
    if (!d) return 0;
    struct dirent *ent;
    while ((ent = readdir(d))) {
        size_t len = strlen(ent->d_name);
        if (len < 5 || strcmp(ent->d_name + len - 4, ".lua") != 0) continue;
        if (n == cap) {
            cap = cap ? 2 * cap : 64;
            char **t = realloc(names, (size_t)cap * sizeof *t);
            if (!t) break;
            names = t;
        }
        names[n++] = strdup(ent->d_name);
    }
    closedir(d);
    qsort(names, (size_t)n, sizeof *names, cmp_names);
    *out = names;
    return n;
}

static void free_names(char **names, int n)
{
    for (int i = 0; i < n; i++) free(names[i]);
    free(names);
}

static int needs_teacher(method_kind k)
{
    return k == METHOD_KD || k == METHOD_FITNET || k == METHOD_SIMKD || k == METHOD_DETT;
}

/* ids in order, hashes unique 64-hex, dependencies earlier and of the
 * right kind, every field that must be set is set */
static void check_well_formed(const job_list *l, const char *name)
{
    for (int i = 0; i < l->n; i++) {
        const job_spec *j = &l->jobs[i];
        char id[16];
        snprintf(id, sizeof id, "j%03d", i);
        EXPECT(strcmp(j->id, id) == 0, "%s: job %d has id %s", name, i, j->id);
        EXPECT(strlen(j->hash) == 64 && strspn(j->hash, "0123456789abcdef") == 64,
               "%s: %s: bad hash '%s'", name, j->id, j->hash);
        EXPECT(strncmp(j->canon, "kind=", 5) == 0, "%s: %s: canon '%s'", name, j->id, j->canon);
        EXPECT(j->data[0] != '\0', "%s: %s: no data path", name, j->id);
        EXPECT(j->epochs >= 1 && j->batch >= 1, "%s: %s: epochs %d batch %d", name, j->id,
               j->epochs, j->batch);
        EXPECT(j->script_line > 0, "%s: %s: no script line", name, j->id);
        EXPECT(j->teacher < i && j->ident < i, "%s: %s: depends on a later job", name, j->id);
        if (j->teacher >= 0)
            EXPECT(l->jobs[j->teacher].kind == JOB_TRAIN, "%s: %s: teacher not a train job",
                   name, j->id);
        if (j->ident >= 0)
            EXPECT(l->jobs[j->ident].kind == JOB_IDENT, "%s: %s: ident not an ident job",
                   name, j->id);
        /* a train{} with a teacher is a student of a chain (issue 20) */
        if (j->kind == JOB_STUDENT || j->kind == JOB_TRAIN)
            EXPECT((j->teacher >= 0) == (needs_teacher(j->method.kind) ||
                                         j->init == INIT_TEACHER),
                   "%s: %s: teacher %d for method %d", name, j->id, j->teacher, j->method.kind);
        else
            EXPECT(j->teacher == -1, "%s: %s: a %d job with a teacher", name, j->id, j->kind);
        EXPECT(j->init != INIT_TEACHER || strstr(j->canon, ";init=teacher"),
               "%s: %s: init not in canon '%s'", name, j->id, j->canon);
        if (j->kind == JOB_IDENT)
            EXPECT(j->method.kind == METHOD_ERM && j->ident == -1, "%s: %s: bad ident job",
                   name, j->id);
        EXPECT((j->method.weighting.kind == WEIGHT_LUA) == (j->method.weighting.lua_fn > 0),
               "%s: %s: lua_fn %d", name, j->id, j->method.weighting.lua_fn);
        for (int k = 0; k < i; k++)
            EXPECT(strcmp(l->jobs[k].hash, j->hash) != 0, "%s: %s and %s share a hash", name,
                   l->jobs[k].id, j->id);
    }
}

static void run_bad(const char *dir)
{
    char **names = NULL;
    int n = list_scripts(dir, &names);
    EXPECT(n >= 30, "only %d bad scripts in %s", n, dir);
    for (int i = 0; i < n; i++) {
        char path[2048], expect[1024];
        if (snprintf(path, sizeof path, "%s/%s", dir, names[i]) >= (int)sizeof path) {
            EXPECT(0, "path too long: %s/%s", dir, names[i]);
            continue;
        }
        header(path, "-- expect: ", expect, sizeof expect);
        EXPECT(expect[0], "%s: no '-- expect: ' first line", names[i]);
        dsl *d = NULL;
        job_list jobs = { 0, 0, NULL };
        dett_err e = { { 0 } };
        double t0 = cpu_now();
        int rc = dsl_load(path, &d, &jobs, &e);
        double t = cpu_now() - t0;
        EXPECT(rc == -1, "%s: loaded, but should fail with '%s'", names[i], expect);
        EXPECT(rc == 0 || (d == NULL && jobs.n == 0 && jobs.jobs == NULL),
               "%s: failed load left state behind", names[i]);
        EXPECT(rc == 0 || strstr(e.msg, expect), "%s:\n    expected: %s\n    got:      %s",
               names[i], expect, e.msg);
        if (t > 2.0) printf("note: %s took %.2f s\n", names[i], t);
        EXPECT(!strstr(e.msg, "SECRETTOKEN"), "%s: echoes a foreign file's text: %s", names[i],
               e.msg);
        printf("bad  %-26s %5.2fs  %s\n", names[i], t, rc ? e.msg : "(loaded)");
        job_list_free(&jobs);
        dsl_free(d);
    }
    free_names(names, n);
}

static void run_good(const char *dir)
{
    char **names = NULL;
    int n = list_scripts(dir, &names);
    EXPECT(n >= 5, "only %d good scripts in %s", n, dir);
    for (int i = 0; i < n; i++) {
        char path[2048], want[64];
        if (snprintf(path, sizeof path, "%s/%s", dir, names[i]) >= (int)sizeof path) {
            EXPECT(0, "path too long: %s/%s", dir, names[i]);
            continue;
        }
        header(path, "-- jobs: ", want, sizeof want);
        EXPECT(want[0], "%s: no '-- jobs: N' first line", names[i]);
        dsl *d = NULL;
        job_list jobs = { 0, 0, NULL };
        dett_err e = { { 0 } };
        int rc = dsl_load(path, &d, &jobs, &e);
        EXPECT(rc == 0, "%s: %s", names[i], e.msg);
        if (rc == 0) {
            EXPECT(jobs.n == atoi(want), "%s: %d jobs, expected %s", names[i], jobs.n, want);
            check_well_formed(&jobs, names[i]);
            char *text = read_file(path);
            EXPECT(text && strcmp(text, dsl_script_text(d)) == 0, "%s: script text differs",
                   names[i]);
            free(text);
            printf("good %-26s %d jobs\n", names[i], jobs.n);
        }
        job_list_free(&jobs);
        dsl_free(d);
    }
    free_names(names, n);
}

/* Loads path into *jobs (and *d if d is not NULL); counts a failure on error. */
static int load(const char *path, job_list *jobs, dsl **d)
{
    dsl *own = NULL;
    dett_err e = { { 0 } };
    int rc = dsl_load(path, &own, jobs, &e);
    EXPECT(rc == 0, "%s: %s", path, e.msg);
    if (d) *d = own;
    else dsl_free(own);
    return rc;
}

/* the same script twice: the same jobs, canon and hashes */
static void test_stable(const char *dir)
{
    char path[2048];
    snprintf(path, sizeof path, "%s/good/design.lua", dir);
    job_list a = { 0, 0, NULL }, b = { 0, 0, NULL };
    if (load(path, &a, NULL) == 0 && load(path, &b, NULL) == 0) {
        EXPECT(a.n == b.n, "design.lua: %d then %d jobs", a.n, b.n);
        for (int i = 0; i < a.n && i < b.n; i++) {
            EXPECT(strcmp(a.jobs[i].hash, b.jobs[i].hash) == 0, "design.lua: %s hash changed",
                   a.jobs[i].id);
            EXPECT(strcmp(a.jobs[i].canon, b.jobs[i].canon) == 0, "design.lua: %s canon changed",
                   a.jobs[i].id);
        }
    }
    job_list_free(&a);
    job_list_free(&b);
}

static const char *change_template =
    "%s"
    "local d = dataset \"lua-data/tiny.h5\"\n"
    "local t = train{ data = d, arch = mlp{32}, epochs = %d }\n"
    "return grid{\n"
    "  data = d, teacher = t, student = mlp{8},\n"
    "  method = sweep{ erm{}, kd{ alpha = %s }, dett{},\n"
    "    dett{ weighting = function(s) return %s end } },\n"
    "}\n";

/* Writes the template with these values and loads it. */
static int load_variant(job_list *jobs, const char *pre, int epochs, const char *alpha,
                        const char *body)
{
    char text[2048];
    snprintf(text, sizeof text, change_template, pre, epochs, alpha, body);
    EXPECT(write_file("lua-change.lua", text) == 0, "cannot write lua-change.lua");
    return load("lua-change.lua", jobs, NULL);
}

/* A job's hash must change iff `direct` says its own config changed or a
 * dependency's hash changed. */
static void expect_changes(const char *what, const job_list *base, const job_list *var,
                           int (*direct)(const job_spec *))
{
    EXPECT(base->n == var->n, "%s: %d jobs, then %d", what, base->n, var->n);
    int changed[64] = { 0 };
    for (int i = 0; i < base->n && i < var->n && i < 64; i++) {
        const job_spec *j = &base->jobs[i];
        int want = direct(j) || (j->teacher >= 0 && changed[j->teacher]) ||
                   (j->ident >= 0 && changed[j->ident]);
        changed[i] = strcmp(j->hash, var->jobs[i].hash) != 0;
        EXPECT(changed[i] == want, "%s: %s (%s) hash %s", what, j->id, j->canon,
               changed[i] ? "changed" : "did not change");
    }
}

static int is_kd(const job_spec *j) { return strstr(j->canon, "method=kd") != NULL; }
static int is_train(const job_spec *j) { return j->kind == JOB_TRAIN; }
static int is_lua(const job_spec *j) { return strstr(j->canon, "weighting=lua:") != NULL; }
static int is_none(const job_spec *j) { (void)j; return 0; }

static void test_changes(void)
{
    job_list base = { 0, 0, NULL }, var = { 0, 0, NULL };
    if (load_variant(&base, "", 30, "0.9", "1") != 0) return;
    EXPECT(base.n == 6, "change base: %d jobs, expected 6", base.n);
    if (load_variant(&var, "", 30, "0.5", "1") == 0) expect_changes("kd alpha", &base, &var, is_kd);
    job_list_free(&var);
    if (load_variant(&var, "", 31, "0.9", "1") == 0)
        expect_changes("teacher epochs", &base, &var, is_train);
    job_list_free(&var);
    if (load_variant(&var, "", 30, "0.9", "2") == 0)
        expect_changes("function body", &base, &var, is_lua);
    job_list_free(&var);
    /* moving the code down (a comment line first) changes no hash */
    if (load_variant(&var, "-- a comment\n\n", 30, "0.9", "1") == 0)
        expect_changes("lines moved", &base, &var, is_none);
    job_list_free(&var);
    /* 0.90 and 9e-1 are the same number */
    if (load_variant(&var, "", 30, "9e-1", "1") == 0)
        expect_changes("number spelling", &base, &var, is_none);
    job_list_free(&var);
    job_list_free(&base);
}

static const char *chain_template =
    "local d = dataset \"lua-data/tiny.h5\"\n"
    "local big = train{ data = d, arch = mlp{16, 16}, method = groupdro{}, epochs = %d }\n"
    "local mid = train{ data = d, teacher = big, arch = mlp{8}, method = dett{}, epochs = 2 }\n"
    "return grid{ data = d, teacher = mid, student = mlp{4}, method = sweep{ kd{}, dett{} },\n"
    "  init = \"%s\", seeds = {1, 2}, teacher_seed = \"paired\" }\n";

static int load_chain(job_list *jobs, int epochs, const char *init)
{
    char text[2048];
    snprintf(text, sizeof text, chain_template, epochs, init);
    EXPECT(write_file("lua-chain.lua", text) == 0, "cannot write lua-chain.lua");
    return load("lua-chain.lua", jobs, NULL);
}

static int is_big(const job_spec *j) { return strstr(j->canon, "arch=mlp[16,16]") != NULL; }
static int is_student(const job_spec *j) { return j->kind == JOB_STUDENT; }

/* a chain of students (issue 20): the grandparent's epochs change every
 * job below it and nothing else; init changes the students only; paired
 * seeds reach up the whole chain */
static void test_chain(void)
{
    job_list base = { 0, 0, NULL }, var = { 0, 0, NULL };
    if (load_chain(&base, 3, "random") != 0) return;
    /* per seed: big, ident(mlp[8]), mid, ident(mlp[4]), kd, dett */
    EXPECT(base.n == 12, "chain: %d jobs, expected 12", base.n);
    int mids = 0, smalls = 0;
    for (int i = 0; i < base.n; i++) {
        const job_spec *j = &base.jobs[i];
        if (j->kind == JOB_TRAIN && j->teacher >= 0) {   /* the mid-size student */
            const job_spec *t = &base.jobs[j->teacher];
            EXPECT(is_big(t) && t->seed == j->seed && j->method.kind == METHOD_DETT,
                   "chain: mid %s has teacher %s seed %llu", j->canon, t->canon,
                   (unsigned long long)t->seed);
            mids++;
        }
        if (j->kind == JOB_STUDENT) {
            const job_spec *t = &base.jobs[j->teacher];
            EXPECT(t->kind == JOB_TRAIN && t->teacher >= 0 && t->seed == j->seed &&
                   base.jobs[t->teacher].seed == j->seed,
                   "chain: student %s seed %llu: teacher seed %llu", j->id,
                   (unsigned long long)j->seed, (unsigned long long)t->seed);
            smalls++;
        }
    }
    EXPECT(mids == 2 && smalls == 4, "chain: %d mid-size and %d small students", mids, smalls);
    if (load_chain(&var, 4, "random") == 0)
        expect_changes("chain: grandparent epochs", &base, &var, is_big);
    job_list_free(&var);
    if (load_chain(&var, 3, "teacher") == 0)
        expect_changes("chain: init", &base, &var, is_student);
    job_list_free(&var);
    job_list_free(&base);
}

static const job_spec *find(const job_list *l, job_kind kind, method_kind m)
{
    for (int i = 0; i < l->n; i++)
        if (l->jobs[i].kind == kind && l->jobs[i].method.kind == m) return &l->jobs[i];
    return NULL;
}

static int near(float a, float b) { return fabsf(a - b) <= 1e-6f * fabsf(b); }

/* the identification step's keys: ident_optim (default ERM's SGD) and T */
static void test_ident_keys(void)
{
    const char *text =
        "local d = dataset \"lua-data/tiny.h5\"\n"
        "local t = train{ data = d, arch = mlp{8} }\n"
        "return grid{ data = d, teacher = t, student = mlp{16},\n"
        "  method = sweep{ dett{ T = 2, ident_optim = adamw{ lr = 3e-4 } },\n"
        "                  dett{ weighting = jtt{ T = 3, up = 9, ident_optim = sgd{ lr = 0.1 } } },\n"
        "                  jtt{ ident_optim = sgd{ lr = 0.05, momentum = 0 } } } }\n";
    EXPECT(write_file("lua-ident.lua", text) == 0, "cannot write lua-ident.lua");
    job_list l = { 0, 0, NULL };
    if (load("lua-ident.lua", &l, NULL) != 0) return;
    int seen = 0;
    for (int i = 0; i < l.n; i++) {
        const job_spec *j = &l.jobs[i];
        if (j->kind != JOB_STUDENT || j->ident < 0) continue;
        const job_spec *id = &l.jobs[j->ident];
        if (j->method.kind == METHOD_DETT && j->method.weighting.T == 2) {
            EXPECT(id->epochs == 2 && id->optim.kind == OPTIM_ADAMW && near(id->optim.lr, 3e-4f),
                   "dett ident_optim: %s", id->canon);
            seen++;
        } else if (j->method.kind == METHOD_DETT) {
            EXPECT(id->epochs == 3 && id->optim.kind == OPTIM_SGD && near(id->optim.lr, 0.1f),
                   "dett jtt{ident_optim}: %s", id->canon);
            seen++;
        } else if (j->method.kind == METHOD_JTT) {
            EXPECT(id->epochs == 1 && id->optim.kind == OPTIM_SGD && near(id->optim.lr, 0.05f) &&
                   id->optim.momentum == 0 && j->optim.kind == OPTIM_SGD &&
                   near(j->optim.lr, 1e-2f), "jtt ident_optim: %s / %s", id->canon, j->canon);
            seen++;
        }
    }
    EXPECT(seen == 3, "ident keys: %d students with identification jobs", seen);
    job_list_free(&l);
}

/* defaults per method, as lua/dsl.h states them */
static void test_defaults(void)
{
    const char *text =
        "local d = dataset \"lua-data/tiny.h5\"\n"
        "local t = train{ data = d, arch = cnn{ channels = {8, 16} } }\n"
        "return grid{ data = d, teacher = t, student = mlp{16},\n"
        "  method = sweep{ erm{}, jtt{}, dett{}, kd{}, groupdro{}, fitnet{} } }\n";
    EXPECT(write_file("lua-defaults.lua", text) == 0, "cannot write lua-defaults.lua");
    job_list l = { 0, 0, NULL };
    if (load("lua-defaults.lua", &l, NULL) != 0) return;
    /* erm, ident(sgd), jtt, teacher, dett (the same ident: JTT's SGD), kd,
     * groupdro, fitnet */
    EXPECT(l.n == 8, "defaults: %d jobs, expected 8", l.n);
    const job_spec *t = find(&l, JOB_TRAIN, METHOD_ERM), *erm = find(&l, JOB_STUDENT, METHOD_ERM),
                   *jtt = find(&l, JOB_STUDENT, METHOD_JTT),
                   *dett = find(&l, JOB_STUDENT, METHOD_DETT),
                   *kd = find(&l, JOB_STUDENT, METHOD_KD),
                   *gdro = find(&l, JOB_STUDENT, METHOD_GROUPDRO),
                   *fit = find(&l, JOB_STUDENT, METHOD_FITNET);
    if (!t || !erm || !jtt || !dett || !kd || !gdro || !fit) {
        EXPECT(0, "defaults: a job is missing");
        job_list_free(&l);
        return;
    }
    EXPECT(t->arch.kind == ARCH_CNN && t->arch.n_channels == 2 && t->arch.channels[1] == 16 &&
           t->arch.kernel == 3 && t->arch.pool == 2 && t->arch.pool_max == 1 && t->arch.fc == 0,
           "defaults: teacher cnn %s", t->canon);
    EXPECT(erm->arch.kind == ARCH_MLP && erm->arch.n_widths == 1 && erm->arch.widths[0] == 16,
           "defaults: student mlp %s", erm->canon);
    EXPECT(erm->optim.kind == OPTIM_SGD && near(erm->optim.lr, 1e-2f) &&
           near(erm->optim.momentum, 0.9f) && near(erm->optim.wd, 1e-4f),
           "defaults: erm optim %s", erm->canon);
    EXPECT(erm->epochs == 20 && erm->batch == 64 && erm->seed == 1 &&
           erm->select == SELECT_VAL_WORST && erm->teacher == -1 && erm->ident == -1,
           "defaults: erm %s", erm->canon);
    EXPECT(strcmp(erm->data, "lua-data/tiny.h5") == 0, "defaults: data '%s'", erm->data);
    EXPECT(jtt->method.weighting.kind == WEIGHT_JTT && jtt->method.weighting.T == 1 &&
           near(jtt->method.weighting.up, 20) && jtt->method.weighting.resample == 1 &&
           jtt->ident >= 0 && jtt->teacher == -1, "defaults: jtt %s", jtt->canon);
    if (jtt->ident >= 0) {
        const job_spec *id = &l.jobs[jtt->ident];
        EXPECT(id->epochs == 1 && id->optim.kind == OPTIM_SGD && id->arch.widths[0] == 16 &&
               id->seed == 1 && id->batch == 64, "defaults: jtt ident %s", id->canon);
    }
    EXPECT(dett->optim.kind == OPTIM_ADAMW && near(dett->optim.lr, 1e-3f) &&
           near(dett->optim.wd, 1e-4f) && near(dett->optim.beta1, 0.9f) &&
           near(dett->optim.beta2, 0.999f), "defaults: dett optim %s", dett->canon);
    EXPECT(dett->method.weighting.kind == WEIGHT_JTT && dett->method.weighting.T == 1 &&
           near(dett->method.weighting.up, 50) && dett->method.weighting.resample == 0,
           "defaults: dett weighting %s", dett->canon);
    EXPECT(dett->teacher >= 0 && dett->ident >= 0 && dett->ident == jtt->ident,
           "defaults: dett deps %d %d (one identification job with jtt's)", dett->teacher,
           dett->ident);
    if (dett->ident >= 0)
        EXPECT(l.jobs[dett->ident].optim.kind == OPTIM_SGD &&
               near(l.jobs[dett->ident].optim.lr, 1e-2f),
               "defaults: dett's identification model uses JTT's SGD, not the student's AdamW");
    EXPECT(strstr(dett->canon, ";method=dett;weighting=jtt(T=1,resample=0,up=50);optim=adamw("
                               "beta1=0.9,beta2=0.999,eps=1e-08,lr=0.001,wd=0.0001);epochs=20;"
                               "batch=64;seed=1;select=val-worst") != NULL,
           "defaults: dett canon %s", dett->canon);
    EXPECT(near(kd->method.tau, 4) && near(kd->method.alpha, 0.9f) && kd->ident == -1,
           "defaults: kd %s", kd->canon);
    EXPECT(near(gdro->method.eta, 0.01f) && gdro->method.adj == 0, "defaults: groupdro %s",
           gdro->canon);
    EXPECT(near(fit->method.feat_w, 1) && near(fit->method.ce_w, 1) &&
           fit->optim.kind == OPTIM_ADAMW, "defaults: fitnet %s", fit->canon);
    EXPECT(erm->method.weighting.kind == WEIGHT_NONE && erm->method.weighting.lua_fn == -1,
           "defaults: erm weighting");
    job_list_free(&l);
}

/* dsl_weight: values, signal names, bad results, runaway functions */
static void test_weight(void)
{
    const char *text =
        "local d = dataset \"lua-data/tiny.h5\"\n"
        "local t = train{ data = d, arch = mlp{8} }\n"
        "return grid{ data = d, teacher = t, student = mlp{4}, method = sweep{\n"
        "  dett{ weighting = function(s) return s.id_correct and 1 or 20 end },\n"
        "  dett{ weighting = function(s) return s.teacher_loss * 2 + s.y end, T = 3 },\n"
        "  dett{ weighting = function(s) return -1 end },\n"
        "  dett{ weighting = function(s) return s.a end },\n"
        "  dett{ weighting = function(s) while true do end end },\n"
        "  dett{ weighting = function(s) return 'heavy' end },\n"
        "  dett{ weighting = function(s) return s.id_corect end },\n"
        "  dett{ weighting = function(s) return 0/0 end },\n"
        "  dett{ weighting = function(s) local a, b = ('a'):rep(1 << 20), ('a'):rep(1 << 20)\n"
        "        while true do local x = a < b end end },\n"
        "} }\n";
    EXPECT(write_file("lua-weight.lua", text) == 0, "cannot write lua-weight.lua");
    job_list l = { 0, 0, NULL };
    dsl *d = NULL;
    if (load("lua-weight.lua", &l, &d) != 0) return;
    int fn[9], nf = 0, T[9];
    for (int i = 0; i < l.n && nf < 9; i++)
        if (l.jobs[i].method.weighting.kind == WEIGHT_LUA) {
            T[nf] = l.jobs[l.jobs[i].ident].epochs;
            fn[nf++] = l.jobs[i].method.weighting.lua_fn;
        }
    EXPECT(nf == 9, "weight: %d Lua weightings, expected 9", nf);
    if (nf == 9) {
        dsl_signals s = { 2.5f, 1, 0.5f, 0, 2 };
        float w = -1;
        dett_err e = { { 0 } };
        EXPECT(dsl_weight(d, fn[0], &s, &w, &e) == 0 && w == 1, "weight: f0 correct: %g %s",
               w, e.msg);
        s.id_correct = 0;
        EXPECT(dsl_weight(d, fn[0], &s, &w, &e) == 0 && w == 20, "weight: f0 wrong: %g %s", w,
               e.msg);
        EXPECT(dsl_weight(d, fn[1], &s, &w, &e) == 0 && w == 3, "weight: f1: %g %s", w, e.msg);
        EXPECT(T[0] == 1 && T[1] == 3, "weight: ident epochs %d %d", T[0], T[1]);
        struct { int f; const char *frag; } bad[] = {
            { 2, "lua-weight.lua:6: weighting function returned -1 (weights must be finite and >= 0)" },
            { 3, "lua-weight.lua:7: signal 'a': group labels are not available" },
            { 4, "lua-weight.lua:8: weighting function ran too long (instruction limit)" },
            { 5, "lua-weight.lua:9: weighting function returned string, expected a number" },
            { 6, "lua-weight.lua:10: unknown signal 'id_corect'" },
            { 7, "nan (weights must be finite and >= 0)" },
        };
        for (size_t k = 0; k < sizeof bad / sizeof bad[0]; k++) {
            e.msg[0] = '\0';
            double t0 = cpu_now();
            int rc = dsl_weight(d, fn[bad[k].f], &s, &w, &e);
            EXPECT(rc == -1 && strstr(e.msg, bad[k].frag), "weight: f%d: expected '%s', got "
                   "'%s'", bad[k].f, bad[k].frag, rc ? e.msg : "(no error)");
            if (cpu_now() - t0 > 1.0)
                printf("note: weight f%d took %.2f s of CPU\n", bad[k].f, cpu_now() - t0);
        }
        /* long strings compared in one instruction each: the CPU limit (1 s) */
        double t0 = cpu_now();
        EXPECT(dsl_weight(d, fn[8], &s, &w, &e) == -1 &&
               strstr(e.msg, "lua-weight.lua:13: weighting function ran too long (1 s CPU time limit)"),
               "weight: string compares: %s", e.msg);
        EXPECT(cpu_now() - t0 < 3.0, "weight: string compares took %.2f s of CPU", cpu_now() - t0);
        /* the state still works after errors */
        s.id_correct = 1;
        EXPECT(dsl_weight(d, fn[0], &s, &w, &e) == 0 && w == 1, "weight: after errors: %s",
               e.msg);
        EXPECT(dsl_weight(d, 99999, &s, &w, &e) == -1, "weight: a bad reference is an error");
    }
    job_list_free(&l);
    dsl_free(d);
}

/* Weighting functions are stateless: whatever they try to remember (an
 * upvalue, a global, a captured table, through a helper) is an error on
 * the first call that changes it, and the state is restored, so every call
 * sees what the script left. Reading captured tables and globals works. */
static void test_stateless(void)
{
    const char *text =
        "local d = dataset \"lua-data/tiny.h5\"\n"
        "local t = train{ data = d, arch = mlp{8} }\n"
        "local n = 0\n"
        "local w = { 1, 20, sub = { 5 } }\n"
        "local c = 0\n"
        "function bump() c = c + 1 return c end\n"
        "scale = 2\n"
        "local function f(body) return dett{ weighting = body } end\n"
        "return grid{ data = d, teacher = t, student = mlp{4}, method = sweep{\n"
        "  f(function(s) n = n + 1 return n end),\n"                        /* 0 */
        "  f(function(s) counter = 1 return 1 end),\n"                      /* 1 */
        "  f(function(s) w.sub[1] = 6 return 1 end),\n"                     /* 2 */
        "  f(function(s) return bump() end),\n"                             /* 3 */
        "  f(function(s) math.pi = 3 return 1 end),\n"                      /* 4 */
        "  f(function(s) rawset(w, 'x', 1) return 1 end),\n"                /* 5 */
        "  f(function(s) local a = 0 for _, v in ipairs(w) do a = a + v end\n"
        "     return a + #w + w.sub[1] * scale + (s.y > 1 and 0 or math.huge) end),\n" /* 6 */
        "  f(function(s) local x = {} x.k = 4 return x.k end),\n"           /* 7 */
        "  f(function(s) table.insert(w, 3) return 1 end),\n"               /* 8 */
        "} }\n";
    EXPECT(write_file("lua-stateless.lua", text) == 0, "cannot write lua-stateless.lua");
    job_list l = { 0, 0, NULL };
    dsl *d = NULL;
    if (load("lua-stateless.lua", &l, &d) != 0) return;
    int fn[9], nf = 0;
    for (int i = 0; i < l.n && nf < 9; i++)
        if (l.jobs[i].method.weighting.kind == WEIGHT_LUA) fn[nf++] = l.jobs[i].method.weighting.lua_fn;
    EXPECT(nf == 9, "stateless: %d Lua weightings, expected 9", nf);
    if (nf == 9) {
        dsl_signals s = { 2.5f, 1, 0.5f, 0, 2 };
        float w = -1;
        dett_err e = { { 0 } };
        struct { int f; const char *frag; } bad[] = {
            { 0, "lua-stateless.lua:10: weighting function changed 'n', a variable from outside it" },
            { 1, "cannot assign global 'counter' in a weighting function" },
            { 2, "cannot set field '1' of a table from outside the weighting function" },
            { 3, "weighting function changed 'c'" },
            { 4, "cannot set field 'pi'" },
            { 5, "rawset: weighting functions cannot change tables" },
            { 8, "cannot set field '3'" },
        };
        /* twice: a refused change leaves nothing behind, so the second call
         * fails the same way (the counter stays 0 and is refused again) */
        for (int rep = 0; rep < 2; rep++)
            for (size_t k = 0; k < sizeof bad / sizeof bad[0]; k++) {
                e.msg[0] = '\0';
                int rc = dsl_weight(d, fn[bad[k].f], &s, &w, &e);
                EXPECT(rc == -1 && strstr(e.msg, bad[k].frag), "stateless: f%d: expected '%s', "
                       "got '%s'", bad[k].f, bad[k].frag, rc ? e.msg : "(no error)");
            }
        /* reads through the views: 1 + 20 + #w (2) + 5 * 2 */
        for (int rep = 0; rep < 3; rep++) {
            EXPECT(dsl_weight(d, fn[6], &s, &w, &e) == 0 && w == 33, "stateless: f6: %g %s", w,
                   e.msg);
            EXPECT(dsl_weight(d, fn[7], &s, &w, &e) == 0 && w == 4, "stateless: f7: %g %s", w,
                   e.msg);
        }
    }
    job_list_free(&l);
    dsl_free(d);
}

/* script text, its sha256, a bytecode main script, `dett check` */
static void test_misc(const char *dir)
{
    EXPECT(write_file("lua-sha.lua", "return 1\n") == 0, "cannot write lua-sha.lua");
    dsl *d = NULL;
    job_list l = { 0, 0, NULL };
    dett_err e = { { 0 } };
    EXPECT(dsl_load("lua-sha.lua", &d, &l, &e) == -1 && d == NULL,
           "return 1 must fail to load");
    /* the text is kept only for loaded scripts: load a good one */
    EXPECT(write_file("lua-sha.lua", "return grid{ data = dataset \"lua-data/tiny.h5\", "
                      "student = mlp{}, method = erm{} }\n") == 0, "cannot write");
    if (load("lua-sha.lua", &l, &d) == 0) {
        char hex[65];
        dsl_script_sha256(d, hex);
        /* sha256sum of the file above */
        EXPECT(strcmp(hex, "575b94c96760d2a7890d4325b4a375fb77591ceb9c3d6e81a043b2b5be9607c1") == 0,
               "sha: %s", hex);
    }
    job_list_free(&l);
    dsl_free(d);
    d = NULL;

    EXPECT(write_file("lua-bytecode.lua", "\033LuaT\001\002") == 0, "cannot write");
    EXPECT(dsl_load("lua-bytecode.lua", &d, &l, &e) == -1 &&
           strstr(e.msg, "lua-bytecode.lua: attempt to load a binary chunk"),
           "bytecode main script: %s", e.msg);
    EXPECT(dsl_load("lua-no-such-script.lua", &d, &l, &e) == -1 &&
           strstr(e.msg, "lua-no-such-script.lua: file not found"), "missing script: %s", e.msg);

    char good[2048], bad[2048];
    snprintf(good, sizeof good, "%s/good/nested_sweep.lua", dir);
    snprintf(bad, sizeof bad, "%s/bad/unknown_key.lua", dir);
    char *a0[] = { "check", NULL }, *a1[] = { "check", good, NULL }, *a2[] = { "check", bad, NULL };
    EXPECT(cmd_check(1, a0) == 2, "dett check without a script: usage");
    /* a good script passes the DSL; dett check then opens its data files
     * (placeholders here), so the accepted case is tested end to end in
     * tests/e2e_guard.sh with real data */
    (void)a1;
    EXPECT(cmd_check(2, a2) == 1, "dett check bad script");

    /* include outside the script's tree: refused, allowed by --include-path */
    /* dett check validates the data too: give it a real (small) file */
    char *mk[] = { "data", "synth", "-o", "lua-inc-data.h5", "--n-train", "64", "--n-val", "16",
                   "--n-test", "16", NULL };
    EXPECT(cmd_data(10, mk) == 0, "dett data synth for the include-path check");
    /* a weighting function's hash covers the tables and globals it reads */
    {
        static const char *const fmt =
            "%slocal ups = {1, %d}\nfunction helper(x) return x end\n"
            "local d = dataset \"lua-inc-data.h5\"\n"
            "return grid{ data = d, student = mlp{8}, teacher = train{ data = d, arch = mlp{8},"
            " method = erm{} }, method = dett{ weighting = function(s) return "
            "helper(s.id_correct and ups[1] or ups[2]) end } }\n";
        char text[3][512], hash[3][65] = {{0}};
        snprintf(text[0], sizeof text[0], fmt, "", 20);
        snprintf(text[1], sizeof text[1], fmt, "", 50);
        snprintf(text[2], sizeof text[2], fmt, "-- a comment\n", 20);
        for (int k = 0; k < 3; k++) {
            dsl *dd = NULL;
            job_list jl = { 0, 0, NULL };
            EXPECT(write_file("lua-fnhash.lua", text[k]) == 0 &&
                   dsl_load("lua-fnhash.lua", &dd, &jl, &e) == 0 && jl.n == 3,
                   "fnhash %d: %s", k, e.msg);
            if (jl.n == 3) memcpy(hash[k], jl.jobs[2].hash, 65);
            job_list_free(&jl);
            dsl_free(dd);
        }
        EXPECT(strcmp(hash[0], hash[1]) != 0, "a captured table's values must change the hash");
        EXPECT(strcmp(hash[0], hash[2]) == 0, "a comment must not change the hash");
    }
    mkdir("lua-inc-main", 0777);
    mkdir("lua-inc-shared", 0777);
    EXPECT(write_file("lua-inc-shared/m.lua", "return mlp{8}\n") == 0 &&
           write_file("lua-inc-main/g.lua", "return grid{ data = dataset \"lua-inc-data.h5\", "
                      "student = include \"../lua-inc-shared/m.lua\", method = erm{} }\n") == 0,
           "cannot write the include-path scripts");
    EXPECT(dsl_load("lua-inc-main/g.lua", &d, &l, &e) == -1 &&
           strstr(e.msg, "outside the script's directory"), "include outside: %s", e.msg);
    const char *incs[] = { "lua-inc-shared", NULL };
    EXPECT(dsl_load_opts("lua-inc-main/g.lua", incs, &d, &l, &e) == 0 && l.n == 1,
           "include with --include-path: %s", e.msg);
    job_list_free(&l);
    dsl_free(d);
    d = NULL;
    const char *nodir[] = { "lua-no-such-dir", NULL };
    EXPECT(dsl_load_opts("lua-inc-main/g.lua", nodir, &d, &l, &e) == -1 &&
           strstr(e.msg, "--include-path 'lua-no-such-dir'"), "missing include dir: %s", e.msg);
    char *a3[] = { "check", "lua-inc-main/g.lua", "--include-path", "lua-inc-shared", NULL };
    char *a4[] = { "check", "--include-path", NULL };
    EXPECT(cmd_check(4, a3) == 0, "dett check --include-path");
    EXPECT(cmd_check(2, a4) == 2, "dett check --include-path without a directory: usage");
}

int main(int argc, char **argv)
{
    const char *dir = argc > 1 ? argv[1] : DETT_LUA_TEST_DIR;
    mkdir("lua-data", 0777);
    EXPECT(write_file("lua-data/tiny.h5", "placeholder: the DSL only checks existence\n") == 0,
           "cannot create lua-data/tiny.h5 in the working directory");
    char bad[2048], good[2048];
    snprintf(bad, sizeof bad, "%s/bad", dir);
    snprintf(good, sizeof good, "%s/good", dir);
    double t0 = now();
    run_bad(bad);
    run_good(good);
    test_stable(dir);
    test_changes();
    test_chain();
    test_defaults();
    test_ident_keys();
    test_weight();
    test_stateless();
    test_misc(dir);
    printf("lua tests: %.2f s\n", now() - t0);
    return TEST_END();
}
