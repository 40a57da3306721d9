/* cmd_train.c - `dett train`: one job from flags, no script. */
#include "arch.h"
#include "cmd.h"
#include "groupdata.h"
#include "method.h"
#include "train.h"
#include <math.h>
#include <mpi.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* methods dett train runs: no teacher, no identification model or
 * weighting, no refit after training */
#define TRAIN_EXCLUDED (MF_TEACHER | MF_SAMPLE_WEIGHTS | MF_DFR_REFIT | MF_PROJECTOR)

/* the methods dett train runs, in table order: "erm or groupdro", or with
 * pipe set "erm|groupdro" */
static void train_methods(char *buf, size_t len, int pipe)
{
    int n = 0, total = 0;
    size_t at = 0;
    buf[0] = '\0';
    for (int k = 0; k < method_count(); k++) total += !(method_get(k)->flags & TRAIN_EXCLUDED);
    for (int k = 0; k < method_count(); k++) {
        if (method_get(k)->flags & TRAIN_EXCLUDED) continue;
        const char *sep = n == 0 ? "" : pipe ? "|" : n == total - 1 ? " or " : ", ";
        n++;
        int w = snprintf(buf + at, len - at, "%s%s", sep, method_name(k));
        if (w < 0 || (size_t)w >= len - at) return;
        at += (size_t)w;
    }
}

/* the usage text; defaults from optim_defaults and the method table */
static void print_usage(void)
{
    const optim_cfg sgd = optim_defaults(OPTIM_SGD), adam = optim_defaults(OPTIM_ADAMW);
    char names[256];
    train_methods(names, sizeof names, 1);
    printf("usage: dett train --data FILE.h5 [options]\n"
           "  --arch mlp:W1,W2,...     hidden widths (default mlp:64,64; mlp: is linear)\n"
           "  --method %-15s (other methods need a teacher: use a grid script)\n"
           "  --epochs E               (default 20)\n"
           "  --batch B                global batch (default 64)\n"
           "  --optim sgd|adamw        (default sgd)\n"
           "  --lr LR --momentum MU --wd WD   (defaults sgd %g, %g, %g; adamw %g, -, %g)\n",
           names, sgd.lr, sgd.momentum, sgd.wd, adam.lr, adam.wd);
    for (int k = 0; k < method_count(); k++) {
        const method_def *d = method_get(k);
        if ((d->flags & TRAIN_EXCLUDED) || d->n_keys == 0) continue;
        printf("  %s keys:", d->name);
        for (int i = 0; i < d->n_keys; i++)
            printf(" --%s (default %g)", d->keys[i].name, d->keys[i].def);
        printf("\n");
    }
    printf("  --seed S                 (default 1)\n"
           "  --select val-worst|val-avg|oracle   model selection (default val-worst)\n"
           "  --sampler rows|groups|groups-exact  epoch sampling (default: the method's;\n"
           "                           groupdro: groups, others: rows; docs/sampling.md)\n"
           "  --micro-shards M         fixed micro-shards, a power of two (default 8)\n"
           "  --ranks-per-job K        ranks per job group (default: all); group i\n"
           "                           trains seed S + i\n");
}

/* "mlp:64,64" -> spec */
static int parse_arch(const char *s, arch_spec *a, dett_err *e)
{
    memset(a, 0, sizeof *a);
    if (strncmp(s, "mlp:", 4) != 0 && strcmp(s, "mlp") != 0)
        return dett_fail(e, "--arch: '%s': expected mlp:W1,W2,... (cnn students come "
                         "from grid scripts)", s);
    a->kind = ARCH_MLP;
    const char *p = s[3] == ':' ? s + 4 : s + 3;
    while (*p) {
        char *end;
        long w = strtol(p, &end, 10);
        if (end == p || w < 1 || w > 1 << 20 || (*end && *end != ','))
            return dett_fail(e, "--arch: '%s': widths must be positive integers", s);
        if (a->n_widths == JOB_MAX_LAYERS)
            return dett_fail(e, "--arch: at most %d hidden layers", JOB_MAX_LAYERS);
        a->widths[a->n_widths++] = (int)w;
        p = *end ? end + 1 : end;
    }
    return 0;
}

/* "--eta 0.05": key `name` of job's method, range-checked by the table;
 * -1 with e set if the method has no such number */
static int set_method_key(job_spec *job, const char *flag, const char *val, dett_err *e)
{
    const method_def *d = method_get(job->method.kind);
    int i = method_key_index(d, flag + 2);
    if (i < 0 || d->keys[i].type == MKEY_WEIGHTING || d->keys[i].type == MKEY_OPTIM)
        return dett_fail(e, "train: unknown option '%s' (see dett train --help)", flag);
    const method_key *k = &d->keys[i];
    double v;
    if (cmd_float(flag, val, -HUGE_VAL, HUGE_VAL, &v, e)) return -1;
    int ok = (k->flags & MKEY_LO_OPEN) ? v > k->lo : v >= k->lo;
    ok = ok && ((k->flags & MKEY_HI_OPEN) ? v < k->hi : v <= k->hi);
    if (k->type != MKEY_NUM) ok = ok && v == floor(v);
    if (!ok) return dett_fail(e, "%s: %g is out of range for %s's %s", flag, v, d->name, k->name);
    return method_set(&job->method, k->name, v);
}

/* fills job from argv; 0 ok, -1 with e set. --method is read first, as
 * its keys are flags too (e.g. --eta and --adj for groupdro). */
static int parse_flags(int argc, char **argv, job_spec *job, int *M, int *K, dett_err *e)
{
    double lr = NAN, mom = NAN, wd = NAN;
    long v;
    int okind = OPTIM_SGD, kind = METHOD_ERM;
    memset(job, 0, sizeof *job);
    for (int i = 1; i + 1 < argc; i += 2)
        if (!strcmp(argv[i], "--method")) {
            char names[256];
            kind = method_find(argv[i + 1]);
            train_methods(names, sizeof names, 0);
            if (kind < 0 || (method_get(kind)->flags & TRAIN_EXCLUDED))
                return dett_fail(e, "--method: '%s': dett train runs %s; methods with a "
                                 "teacher or an identification model run from a grid "
                                 "script (dett run)", argv[i + 1], names);
        }
    snprintf(job->id, sizeof job->id, "train");
    job->kind = JOB_STUDENT;
    method_defaults(kind, &job->method);
    job->sampler = method_get(kind)->sampler;
    job->epochs = 20;
    job->batch = 64;
    job->seed = 1;
    job->teacher = job->ident = -1;
    parse_arch("mlp:64,64", &job->arch, e);
    for (int i = 1; i < argc; i += 2) {   /* every option takes one value */
        const char *f = argv[i], *val = i + 1 < argc ? argv[i + 1] : NULL;
        if (!strcmp(f, "--data")) {
            if (!val) return dett_fail(e, "--data needs a file");
            snprintf(job->data, sizeof job->data, "%s", val);
        } else if (!strcmp(f, "--arch")) {
            if (!val) return dett_fail(e, "--arch needs a value");
            if (parse_arch(val, &job->arch, e)) return -1;
        } else if (!strcmp(f, "--method")) {
            if (!val) return dett_fail(e, "--method needs a value");
        } else if (!strcmp(f, "--optim")) {
            if (!val) return dett_fail(e, "--optim needs a value");
            if (!strcmp(val, "sgd")) okind = OPTIM_SGD;
            else if (!strcmp(val, "adamw")) okind = OPTIM_ADAMW;
            else return dett_fail(e, "--optim: '%s': expected sgd or adamw", val);
        } else if (!strcmp(f, "--select")) {
            if (!val) return dett_fail(e, "--select needs a value");
            if (select_find(val) < 0)
                return dett_fail(e, "--select: '%s': expected val-worst, val-avg, oracle or "
                                 "val-worst-class", val);
            job->select = (select_kind)select_find(val);
        } else if (!strcmp(f, "--sampler")) {
            if (!val) return dett_fail(e, "--sampler needs a value");
            if (sampler_find(val) < 0)
                return dett_fail(e, "--sampler: '%s': expected rows, groups or groups-exact", val);
            job->sampler = (sampler_kind)sampler_find(val);
        } else if (!strcmp(f, "--epochs")) {
            if (cmd_int(f, val, 1, 100000, &v, e)) return -1;
            job->epochs = (int)v;
        } else if (!strcmp(f, "--batch")) {
            if (cmd_int(f, val, 1, 1 << 24, &v, e)) return -1;
            job->batch = (int)v;
        } else if (!strcmp(f, "--seed")) {
            if (cmd_int(f, val, 0, 1L << 40, &v, e)) return -1;
            job->seed = (uint64_t)v;
        } else if (!strcmp(f, "--micro-shards")) {
            if (cmd_int(f, val, 1, 1 << 16, &v, e)) return -1;
            *M = (int)v;
        } else if (!strcmp(f, "--ranks-per-job")) {
            if (cmd_int(f, val, 1, 1 << 20, &v, e)) return -1;
            *K = (int)v;
        } else if (!strcmp(f, "--lr")) {
            if (cmd_float(f, val, 0, 1e12, &lr, e)) return -1;
        } else if (!strcmp(f, "--momentum")) {
            if (cmd_float(f, val, 0, 1, &mom, e)) return -1;
            if (mom >= 1) return dett_fail(e, "--momentum: %g is out of range [0, 1)", mom);
        } else if (!strcmp(f, "--wd")) {
            if (cmd_float(f, val, 0, 1e6, &wd, e)) return -1;
        } else if (!strncmp(f, "--", 2)) {
            if (set_method_key(job, f, val, e)) return -1;
        } else {
            return dett_fail(e, "train: unknown option '%s' (see dett train --help)", f);
        }
    }
    if (!job->data[0]) return dett_fail(e, "train: --data FILE.h5 is required");
    job->optim = optim_defaults((optim_kind)okind);
    if (!isnan(lr)) job->optim.lr = (float)lr;
    if (!isnan(mom)) job->optim.momentum = (float)mom;
    if (!isnan(wd)) job->optim.wd = (float)wd;
    return 0;
}

int cmd_train(int argc, char **argv)
{
    dett_err e = { "" };
    job_spec job;
    groupdata gd;
    train_result res;
    model *m = NULL;
    int M = 8, K = 0, wrank, wsize;
    MPI_Comm group = MPI_COMM_NULL;
    for (int i = 1; i < argc; i++)
        if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
            print_usage();
            return 0;
        }
    if (parse_flags(argc, argv, &job, &M, &K, &e)) {
        cmd_report(&e);
        return 2;
    }
    MPI_Comm_rank(MPI_COMM_WORLD, &wrank);
    MPI_Comm_size(MPI_COMM_WORLD, &wsize);
    if (K == 0) K = wsize;
    if (wsize % K) {
        dett_fail(&e, "--ranks-per-job %d does not divide the %d ranks", K, wsize);
        cmd_report(&e);
        return 2;
    }
    /* job groups: ranks [g K, (g + 1) K); group g trains seed + g */
    int gid = wrank / K;
    if (MPI_Comm_split(MPI_COMM_WORLD, gid, wrank, &group) != MPI_SUCCESS) {
        dett_fail(&e, "MPI_Comm_split failed");
        cmd_die(&e);
    }
    job.seed += (uint64_t)gid;
    double t_load = MPI_Wtime();
    if (groupdata_load(&gd, job.data, group, M, job.batch, &e)) {
        cmd_report(&e);
        MPI_Comm_free(&group);
        return 1;
    }
    t_load = MPI_Wtime() - t_load;
    m = arch_build(&job.arch, &gd.info, &e);
    if (!m) cmd_die(&e);
    model_init(m, job.seed, 0);
    if (train_job(group, &job, &gd, NULL, m, &res, &e)) cmd_die(&e);

    int grank;
    MPI_Comm_rank(group, &grank);
    for (int g = 0; g < wsize / K; g++) {
        if (g == gid && grank == 0) {
            char an[128];
            arch_name(&job.arch, an, sizeof an);
            printf("job: %s %s on %s, seed %llu, %d rank%s, %d micro-shards, %lld steps/epoch\n",
                   method_name(job.method.kind), an, job.data,
                   (unsigned long long)job.seed, K, K > 1 ? "s" : "", M,
                   (long long)res.steps);
            if (res.failed) {
                fflush(stdout);
                fprintf(stderr, "dett: %s: training failed: %s\n", job.data, res.reason);
            }
            train_print_table(&res, &gd.info, job.select);
            printf("final train loss %.6f\n", res.epochs_run ? res.train_loss[res.epochs_run - 1] : 0.0);
            printf("params checksum %016llx (final) %016llx (selected)\n",
                   cmd_checksum(m->params, m->n_params), cmd_checksum(res.params, res.n_params));
            printf("load seconds %.3f\n", t_load);
            printf("train seconds %.3f\n", res.seconds);
            fflush(stdout);
        }
        MPI_Barrier(MPI_COMM_WORLD);
    }
    int failed = res.failed;
    train_result_free(&res);
    model_free(m);
    groupdata_free(&gd);
    MPI_Comm_free(&group);
    return failed ? 1 : 0;
}
