/* cmd_train.c - `dett train`: one job from flags, no script. */
#include "agree.h"
#include "arch.h"
#include "cmd.h"
#include "groupdata.h"
#include "method.h"
#include "opts.h"
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

enum { T_DATA = 1, T_ARCH, T_METHOD, T_OPTIM, T_SELECT, T_SAMPLER, T_EPOCHS, T_BATCH,
       T_SEED, T_M, T_K, T_LR, T_MOM, T_WD, T_KEY = 100 /* + the table index */ };

/* dett train's fixed options (the methods' keys are added by train_table);
 * lr, momentum and wd are printed apart, with the optimisers' defaults */
static const opt_def train_fixed[] = {
    {"data", 0, "FILE.h5", "the dataset file (required)", T_DATA},
    {"arch", 0, "mlp:W1,W2,...", "hidden widths (default mlp:64,64; mlp: is linear)", T_ARCH},
    {"method", 0, "NAME", NULL, T_METHOD},
    {"epochs", 0, "E", "(default 20)", T_EPOCHS},
    {"batch", 0, "B", "global batch (default 64)", T_BATCH},
    {"optim", 0, "sgd|adamw", "(default sgd)", T_OPTIM},
    {"lr", 0, "LR", NULL, T_LR},
    {"momentum", 0, "MU", NULL, T_MOM},
    {"wd", 0, "WD", NULL, T_WD},
    {"seed", 0, "S", "(default 1)", T_SEED},
    {"select", 0, "SEL", "val-worst|val-avg|oracle|val-worst-class: model\n"
     "selection (default val-worst)", T_SELECT},
    {"sampler", 0, "SMP", "rows|groups|groups-exact: epoch sampling (default:\n"
     "the method's; groupdro: groups, others: rows;\n"
     "docs/sampling.md)", T_SAMPLER},
    {"micro-shards", 0, "M", "fixed micro-shards, a power of two (default 8)", T_M},
    {"ranks-per-job", 0, "K", "ranks per job group (default: all); group i\n"
     "trains seed S + i", T_K},
};
#define N_FIXED ((int)(sizeof train_fixed / sizeof train_fixed[0]))

/* the whole table in t (OPTS_MAX entries): the fixed options, then every
 * numeric key of the methods dett train runs, once (id T_KEY + its index in
 * t), without a help line (print_usage lists them by method) */
static void train_table(opt_def *t)
{
    int n = 0;
    for (int k = 0; k < N_FIXED; k++) t[n++] = train_fixed[k];
    for (int k = 0; k < method_count(); k++) {
        const method_def *d = method_get(k);
        if (d->flags & TRAIN_EXCLUDED) continue;
        for (int i = 0; i < d->n_keys; i++) {
            if (d->keys[i].type == MKEY_WEIGHTING || d->keys[i].type == MKEY_OPTIM) continue;
            int dup = 0;
            for (int j = 0; j < n; j++) dup |= !strcmp(t[j].name, d->keys[i].name);
            if (!dup && n < OPTS_MAX - 2) {
                t[n] = (opt_def){d->keys[i].name, 0, "X", NULL, T_KEY + n};
                n++;
            }
        }
    }
    t[n] = (opt_def){NULL, 0, NULL, NULL, 0};
}

/* the usage text: the fixed options' lines from the table, the method,
 * optimiser and method-key lines with their defaults from the method table */
static void print_usage(void)
{
    const optim_cfg sgd = optim_defaults(OPTIM_SGD), adam = optim_defaults(OPTIM_ADAMW);
    char names[256];
    train_methods(names, sizeof names, 1);
    printf("usage: dett train --data FILE.h5 [options]\n");
    for (int k = 0; k < N_FIXED; k++) {
        const opt_def *d = &train_fixed[k];
        if (d->id == T_METHOD)
            printf("  --method NAME           %s (default erm; other methods need\n"
                   "                          a teacher: use a grid script)\n", names);
        else if (d->id == T_LR)
            printf("  --lr LR --momentum MU --wd WD\n"
                   "                          (defaults sgd %g, %g, %g; adamw %g, -, %g)\n",
                   sgd.lr, sgd.momentum, sgd.wd, adam.lr, adam.wd);
        else if (d->help)
            opts_usage_line(stdout, d);
        if (d->id != T_WD) continue;
        for (int m = 0; m < method_count(); m++) {   /* the method keys, after --wd */
            const method_def *md = method_get(m);
            if ((md->flags & TRAIN_EXCLUDED) || md->n_keys == 0) continue;
            printf("  %s keys:", md->name);
            for (int i = 0; i < md->n_keys; i++)
                printf(" --%s X (default %g)", md->keys[i].name, md->keys[i].def);
            printf("\n");
        }
    }
    opts_usage_line(stdout, &(opt_def){"help", 'h', NULL, "this text (to stdout)", 0});
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
static int set_method_key(job_spec *job, const char *name, const char *val, dett_err *e)
{
    const method_def *d = method_get(job->method.kind);
    int i = method_key_index(d, name);
    if (i < 0 || d->keys[i].type == MKEY_WEIGHTING || d->keys[i].type == MKEY_OPTIM)
        return dett_fail(e, "--%s: %s has no such key", name, d->name);
    const method_key *k = &d->keys[i];
    double v;
    char flag[96];
    snprintf(flag, sizeof flag, "--%s", name);
    if (cmd_float(flag, val, -HUGE_VAL, HUGE_VAL, &v, e)) return -1;
    int ok = (k->flags & MKEY_LO_OPEN) ? v > k->lo : v >= k->lo;
    ok = ok && ((k->flags & MKEY_HI_OPEN) ? v < k->hi : v <= k->hi);
    if (k->type != MKEY_NUM) ok = ok && v == floor(v);
    if (!ok) return dett_fail(e, "%s: %g is out of range for %s's %s", flag, v, d->name, k->name);
    return method_set(&job->method, k->name, v);
}

/* one option's value into job (all but T_METHOD and T_KEY); 0 or -1 */
static int set_option(int id, const char *val, job_spec *job, int *okind, int *M, int *K,
                      double lmw[3], dett_err *e)
{
    long v;
    switch (id) {
    case T_DATA:
        snprintf(job->data, sizeof job->data, "%s", val);
        return 0;
    case T_ARCH: return parse_arch(val, &job->arch, e);
    case T_OPTIM:
        if (!strcmp(val, "sgd")) *okind = OPTIM_SGD;
        else if (!strcmp(val, "adamw")) *okind = OPTIM_ADAMW;
        else return dett_fail(e, "--optim: '%s': expected sgd or adamw", val);
        return 0;
    case T_SELECT:
        if (select_find(val) < 0)
            return dett_fail(e, "--select: '%s': expected val-worst, val-avg, oracle or "
                             "val-worst-class", val);
        job->select = (select_kind)select_find(val);
        return 0;
    case T_SAMPLER:
        if (sampler_find(val) < 0)
            return dett_fail(e, "--sampler: '%s': expected rows, groups or groups-exact", val);
        job->sampler = (sampler_kind)sampler_find(val);
        return 0;
    case T_EPOCHS:
        if (cmd_int("--epochs", val, 1, 100000, &v, e)) return -1;
        job->epochs = (int)v;
        return 0;
    case T_BATCH:
        if (cmd_int("--batch", val, 1, 1 << 24, &v, e)) return -1;
        job->batch = (int)v;
        return 0;
    case T_SEED:
        if (cmd_int("--seed", val, 0, 1L << 40, &v, e)) return -1;
        job->seed = (uint64_t)v;
        return 0;
    case T_M:
        if (cmd_int("--micro-shards", val, 1, 1 << 16, &v, e)) return -1;
        *M = (int)v;
        return 0;
    case T_K:
        if (cmd_int("--ranks-per-job", val, 1, 1 << 20, &v, e)) return -1;
        *K = (int)v;
        return 0;
    case T_LR: return cmd_float("--lr", val, 0, 1e12, &lmw[0], e);
    case T_MOM:
        if (cmd_float("--momentum", val, 0, 1, &lmw[1], e)) return -1;
        if (lmw[1] >= 1) return dett_fail(e, "--momentum: %g is out of range [0, 1)", lmw[1]);
        return 0;
    case T_WD: return cmd_float("--wd", val, 0, 1e6, &lmw[2], e);
    }
    return dett_fail(e, "option %d not handled", id);
}

/* fills job from argv; 0 ok, 1 --help (printed), -1 with e set. The
 * method's keys are flags too (--eta and --adj for groupdro): they are
 * applied once the method is known, so their order does not matter. */
static int parse_flags(int argc, char **argv, job_spec *job, int *M, int *K, dett_err *e)
{
    double lmw[3] = {NAN, NAN, NAN};
    int okind = OPTIM_SGD, kind = METHOD_ERM, id, n_keys = 0, sampler_set = 0;
    const char *val, *key_name[OPTS_MAX], *key_val[OPTS_MAX];
    opt_def table[OPTS_MAX];
    opts_parser p;
    memset(job, 0, sizeof *job);
    snprintf(job->id, sizeof job->id, "train");
    job->kind = JOB_STUDENT;
    job->epochs = 20;
    job->batch = 64;
    job->seed = 1;
    job->teacher = job->ident = -1;
    parse_arch("mlp:64,64", &job->arch, e);
    train_table(table);
    if (opts_begin(&p, "train", table, argc, argv, e)) return -1;
    while ((id = opts_next(&p, &val, e)) != OPTS_DONE) {
        int bad = 0;
        if (id == OPTS_BAD) return -1;
        if (id == OPTS_HELP) {
            if (cmd_world_rank() == 0) print_usage();
            return 1;
        }
        if (id == OPTS_ARG) {
            bad = dett_fail(e, "unexpected argument '%s'", val);
        } else if (id == T_METHOD) {
            char names[256];
            kind = method_find(val);
            train_methods(names, sizeof names, 0);
            if (kind < 0 || (method_get(kind)->flags & TRAIN_EXCLUDED))
                bad = dett_fail(e, "--method: '%s': dett train runs %s; methods with a "
                                "teacher or an identification model run from a grid "
                                "script (dett run)", val, names);
        } else if (id >= T_KEY) {
            key_name[n_keys] = table[id - T_KEY].name;
            key_val[n_keys++] = val;
        } else {
            bad = set_option(id, val, job, &okind, M, K, lmw, e);
            sampler_set |= id == T_SAMPLER;
        }
        if (bad) return opts_bad_value(&p, e);
    }
    method_defaults(kind, &job->method);
    if (!sampler_set) job->sampler = method_get(kind)->sampler;
    for (int i = 0; i < n_keys; i++)
        if (set_method_key(job, key_name[i], key_val[i], e)) return opts_bad_value(&p, e);
    if (!job->data[0]) return opts_bad_value(&p, (dett_fail(e, "--data FILE.h5 is required"), e));
    job->optim = optim_defaults((optim_kind)okind);
    if (!isnan(lmw[0])) job->optim.lr = (float)lmw[0];
    if (!isnan(lmw[1])) job->optim.momentum = (float)lmw[1];
    if (!isnan(lmw[2])) job->optim.wd = (float)lmw[2];
    return 0;
}

/* the accuracies at the selected epoch, in percent (as run and report show
 * them): per group, worst group, train-weighted average, mean of groups */
static void print_table(const train_result *r, const dataset_info *info, int sel_kind)
{
    const int G = r->G, A = info->n_attrs;
    if (r->epochs_run == 0) {
        printf("no epoch finished\n");
        return;
    }
    const int ep = r->selected[sel_kind];
    const size_t kv = (size_t)ep * N_SPLITS + SPLIT_VAL, kt = (size_t)ep * N_SPLITS + SPLIT_TEST;
    const double *va = r->acc + kv * (size_t)G, *ta = r->acc + kt * (size_t)G;
    printf("selected epoch %d of %d (%s)\n", ep + 1, r->epochs_run, select_names[sel_kind]);
    printf("%-26s %9s %11s %11s\n", "group (y, a)", "train n", "val acc %", "test acc %");
    for (int g = 0; g < G; g++) {
        char name[64];
        snprintf(name, sizeof name, "%d (%d, %d)", g, g / A, g % A);
        printf("%-26s %9lld %11.2f %11.2f\n", name,
               (long long)info->group_count[SPLIT_TRAIN][g], 100 * va[g], 100 * ta[g]);
    }
    printf("%-26s %9s %11.2f %11.2f\n", "worst-group", "", 100 * r->worst[kv], 100 * r->worst[kt]);
    printf("%-26s %9s %11.2f %11.2f\n", "average (train-weighted)", "", 100 * r->avg[kv],
           100 * r->avg[kt]);
    printf("%-26s %9s %11.2f %11.2f\n", "mean of groups", "", 100 * r->mean[kv], 100 * r->mean[kt]);
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
    int prc = parse_flags(argc, argv, &job, &M, &K, &e);
    if (prc == 1) return 0;
    if (prc) {
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
    /* the same arch and data on every rank: a refusal is agreed, not aborted */
    m = arch_build(&job.arch, &gd.info, &e);
    if (agree(MPI_COMM_WORLD, m ? 0 : -1, &e)) {
        cmd_report(&e);
        model_free(m);
        groupdata_free(&gd);
        MPI_Comm_free(&group);
        return 1;
    }
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
            print_table(&res, &gd.info, job.select);
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
