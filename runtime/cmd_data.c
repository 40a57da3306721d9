/* cmd_data.c - `dett data`: write dataset files (DESIGN.md "Data files").
 *
 *   dett data synth -o FILE.h5 [--n-train N] ... [--seed N]
 *
 * Every rank parses the arguments (the same on all, so all agree on usage
 * errors); world rank 0 alone generates and writes the file and broadcasts the
 * exit code, so every rank returns the same one.
 */
#include "cmd.h"
#include "dataset.h"
#include "synth.h"
#include <float.h>
#include <limits.h>
#include <mpi.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

enum { OPT_I64, OPT_INT, OPT_FLOAT, OPT_SEED };

/* the options of `dett data synth`: flag, kind, place in synth_opts, range */
static const struct synth_flag {
    const char *flag;
    int kind;
    size_t off;
    double lo, hi;
    const char *help;
} synth_flags[] = {
    {"--n-train", OPT_I64, offsetof(synth_opts, n_train), 1, INT_MAX, "rows in train"},
    {"--n-val", OPT_I64, offsetof(synth_opts, n_val), 4, INT_MAX, "rows in val (>= 4: one per group)"},
    {"--n-test", OPT_I64, offsetof(synth_opts, n_test), 4, INT_MAX, "rows in test (>= 4)"},
    {"--d-core", OPT_INT, offsetof(synth_opts, d_core), 0, 1 << 20, "core feature dimensions"},
    {"--d-spurious", OPT_INT, offsetof(synth_opts, d_spurious), 0, 1 << 20, "spurious feature dimensions"},
    {"--d-noise", OPT_INT, offsetof(synth_opts, d_noise), 0, 1 << 20, "pure-noise dimensions N(0, 1)"},
    {"--mu-c", OPT_FLOAT, offsetof(synth_opts, mu_c), -FLT_MAX, FLT_MAX, "core mean: x_core ~ N((2y-1) mu_c, sigma_c^2)"},
    {"--sigma-c", OPT_FLOAT, offsetof(synth_opts, sigma_c), 0, FLT_MAX, "core standard deviation (> 0)"},
    {"--mu-s", OPT_FLOAT, offsetof(synth_opts, mu_s), -FLT_MAX, FLT_MAX, "spurious mean: x_sp ~ N((2a-1) mu_s, sigma_s^2)"},
    {"--sigma-s", OPT_FLOAT, offsetof(synth_opts, sigma_s), 0, FLT_MAX, "spurious standard deviation (> 0)"},
    {"--p-maj", OPT_FLOAT, offsetof(synth_opts, p_maj), 0.5, 1, "train: P(a == y), in [0.5, 1)"},
    {"--seed", OPT_SEED, offsetof(synth_opts, seed), 0, 0 /* LONG_MAX */, "random seed (same seed, same file)"},
};
#define N_SYNTH_FLAGS ((int)(sizeof synth_flags / sizeof synth_flags[0]))

/* the default of one option, printed for --help */
static void flag_default(const struct synth_flag *f, const synth_opts *d, char *buf, size_t len)
{
    const char *p = (const char *)d + f->off;
    if (f->kind == OPT_I64) snprintf(buf, len, "%lld", (long long)*(const int64_t *)p);
    else if (f->kind == OPT_INT) snprintf(buf, len, "%d", *(const int *)p);
    else if (f->kind == OPT_FLOAT) snprintf(buf, len, "%g", (double)*(const float *)p);
    else snprintf(buf, len, "%llu", (unsigned long long)*(const uint64_t *)p);
}

static void data_help(FILE *out)
{
    synth_opts d = synth_defaults();
    char def[64];
    fprintf(out,
            "usage: dett data synth -o FILE.h5 [options]\n"
            "       dett data --help\n"
            "\n"
            "Writes a dataset file (/train, /val, /test with X, y, a; see DESIGN.md).\n"
            "Generators:\n"
            "  synth   the synthetic spurious-correlation data of Sagawa et al. 2020, sec. 5:\n"
            "          y, a in {0, 1}; row = [core, spurious, noise]; in train a == y with\n"
            "          probability p_maj; val and test are group-balanced.\n"
            "\n"
            "Options of synth (default in brackets):\n"
            "  -o, --output FILE   the file to write (required; written atomically)\n");
    for (int i = 0; i < N_SYNTH_FLAGS; i++) {
        flag_default(&synth_flags[i], &d, def, sizeof def);
        fprintf(out, "  %-13s %c   %s [%s]\n", synth_flags[i].flag,
                synth_flags[i].kind == OPT_FLOAT ? 'F' : 'N', synth_flags[i].help, def);
    }
}

/* stores the value s of flag f into o; -1 with a message if it is not valid */
static int flag_set(const struct synth_flag *f, const char *s, synth_opts *o, dett_err *e)
{
    char *p = (char *)o + f->off;
    long iv = 0;
    double fv = 0;
    if (f->kind == OPT_FLOAT) {
        CHECK(cmd_float(f->flag, s, f->lo, f->hi, &fv, e));
        if (f->off == offsetof(synth_opts, p_maj) && (float)fv >= 1.0f)
            return dett_fail(e, "%s: %s is out of range [0.5, 1)", f->flag, s);
        *(float *)p = (float)fv;
        return 0;
    }
    long hi = f->kind == OPT_SEED ? LONG_MAX : (long)f->hi;   /* LONG_MAX is not a double */
    CHECK(cmd_int(f->flag, s, (long)f->lo, hi, &iv, e));
    if (f->kind == OPT_I64) *(int64_t *)p = iv;
    else if (f->kind == OPT_INT) *(int *)p = (int)iv;
    else *(uint64_t *)p = (uint64_t)iv;
    return 0;
fail:
    return -1;
}

/* parses the arguments after "synth" into o and *out_path; -1 on a usage error */
static int synth_parse(int argc, char **argv, synth_opts *o, const char **out_path, dett_err *e)
{
    int seen[N_SYNTH_FLAGS] = {0};
    *o = synth_defaults();
    *out_path = NULL;
    for (int i = 2; i < argc; i++) {
        const char *arg = argv[i], *val = NULL;
        const char *eq = strchr(arg, '=');
        size_t klen = eq && strncmp(arg, "--", 2) == 0 ? (size_t)(eq - arg) : strlen(arg);
        if (klen < strlen(arg)) val = eq + 1;
        if ((klen == 2 && strncmp(arg, "-o", 2) == 0) || (klen == 8 && strncmp(arg, "--output", 8) == 0)) {
            if (*out_path) return dett_fail(e, "data synth: -o given twice");
            if (!val && i + 1 >= argc) return dett_fail(e, "data synth: -o needs a value (FILE.h5)");
            *out_path = val ? val : argv[++i];
            if (!**out_path) return dett_fail(e, "data synth: -o needs a non-empty file name");
            continue;
        }
        int k = 0;
        while (k < N_SYNTH_FLAGS && !(strlen(synth_flags[k].flag) == klen &&
                                      strncmp(synth_flags[k].flag, arg, klen) == 0))
            k++;
        if (k == N_SYNTH_FLAGS) {
            if (arg[0] == '-') return dett_fail(e, "data synth: unknown option '%s' (see dett data --help)", arg);
            return dett_fail(e, "data synth: unexpected argument '%s' (see dett data --help)", arg);
        }
        if (seen[k]++) return dett_fail(e, "data synth: %s given twice", synth_flags[k].flag);
        if (!val && i + 1 >= argc) return dett_fail(e, "data synth: %s needs a value", synth_flags[k].flag);
        if (!val) val = argv[++i];
        if (flag_set(&synth_flags[k], val, o, e)) {
            dett_err_prefix(e, "data synth");
            return -1;
        }
    }
    if (!*out_path) return dett_fail(e, "data synth: missing -o FILE.h5 (see dett data --help)");
    if (synth_check(o, e)) {
        dett_err_prefix(e, "data");
        return -1;
    }
    return 0;
}

/* one line: rows per split and the train group counts */
static void print_summary(const char *path, const dataset_info *info)
{
    printf("wrote %s: %lld train, %lld val, %lld test rows of %d features; train groups",
           path, (long long)info->n[SPLIT_TRAIN], (long long)info->n[SPLIT_VAL],
           (long long)info->n[SPLIT_TEST], info->d);
    for (int g = 0; g < info->n_groups; g++)
        printf("%s (y=%d, a=%d) %lld", g ? "," : "", g / info->n_attrs, g % info->n_attrs,
               (long long)info->group_count[SPLIT_TRAIN][g]);
    printf("\n");
    fflush(stdout);
}

/* rank 0's part: generate, write, report; returns the exit code */
static int synth_run(const synth_opts *o, const char *path)
{
    dett_err e = {{0}};
    dataset_info info;
    dataset_rows split[N_SPLITS];
    if (synth_generate(o, &info, split, &e) != 0) {
        fprintf(stderr, "dett: %s\n", e.msg);
        return 1;
    }
    int rc = dataset_write(path, &info, split, &e);
    for (int s = 0; s < N_SPLITS; s++) dataset_rows_free(&split[s]);
    if (rc != 0) {
        fprintf(stderr, "dett: %s\n", e.msg);
        return 1;
    }
    print_summary(path, &info);
    return 0;
}

int cmd_data(int argc, char **argv)
{
    dett_err e = {{0}};
    int rank = 0, code = 0;
    synth_opts o;
    const char *path = NULL;
    if (MPI_Comm_rank(MPI_COMM_WORLD, &rank) != MPI_SUCCESS) rank = 0;
    if (argc < 2) {
        dett_fail(&e, "data: missing generator (see dett data --help)");
        cmd_report(&e);
        return 2;
    }
    if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 ||
        (strcmp(argv[1], "synth") == 0 && argc == 3 &&
         (strcmp(argv[2], "--help") == 0 || strcmp(argv[2], "-h") == 0))) {
        if (rank == 0) data_help(stdout);
        return 0;
    }
    if (strcmp(argv[1], "synth") != 0) {
        dett_fail(&e, "data: unknown generator '%s' (known: synth)", argv[1]);
        cmd_report(&e);
        return 2;
    }
    if (synth_parse(argc, argv, &o, &path, &e) != 0) {
        cmd_report(&e);
        return 2;
    }
    if (rank == 0) code = synth_run(&o, path);
    CHECK_MPI(&e, MPI_Bcast(&code, 1, MPI_INT, 0, MPI_COMM_WORLD));
    return code;
fail:
    fprintf(stderr, "dett: %s\n", e.msg);
    return 1;
}
