/* report.c - the `dett report` command line (see report.h). */
#define _POSIX_C_SOURCE 200809L
#include "report.h"
#include "report_internal.h"
#include "results_format.h"
#include <stdlib.h>
#include <string.h>

static const char *const rp_usage =
    "usage: dett report RESULTS.h5 [more.h5 ...] \n"
    "                   [--select val-worst|val-avg|oracle|val-worst-class]\n"
    "                   [--per-group] [--format md|latex|csv] [--tune KEY,...]\n"
    "                   [--pivot method] [--plots DIR] [--plot-format pdf,svg,png]\n"
    "                   [--diagnostics] [--ident] [--script GRID.lua | --all]\n"
    "                   [--stat std|sem]\n"
    "\n"
    "  --select S      epoch whose test numbers are reported: best validation worst-group\n"
    "                  accuracy (val-worst, default), best validation average (val-avg),\n"
    "                  best test worst-group accuracy (oracle), or best validation\n"
    "                  worst per-class accuracy, no attribute labels (val-worst-class)\n"
    "  --per-group     one column per group g = y * A + a (mean test accuracy)\n"
    "  --tune KEYS     select hyperparameters on validation: rows equal apart from KEYS\n"
    "                  keep only the one with the best mean validation worst-group\n"
    "                  accuracy; KEYS: optim, batch, epochs, METHOD.KEY (an argument of\n"
    "                  one method: kd.T, dett.T, dett.up, groupdro.eta) or a bare KEY\n"
    "                  that only one method has, e.g. --tune optim,dett.up\n"
    "  --format F      md (default), latex (booktabs) or csv\n"
    "  --pivot method  the compact table instead: a line per dataset, student and\n"
    "                  teacher, a column per method, cells worst-group mean ± std\n"
    "  --plots DIR     write the figures (curves, groups, axis_<key>) and their captions\n"
    "                  (DIR/figures.md) into DIR\n"
    "  --plot-format L formats of the figures, comma-separated from pdf, svg, png\n"
    "                  (default pdf,png)\n"
    "  --diagnostics   show per-job diagnostics stored in the files, and dfr{} jobs'\n"
    "                  choices (L2 strength, scores per strength, subsamples, refits)\n"
    "  --ident         show each identification job's error set: size, rows per\n"
    "                  group and class, and a WARNING if it is degenerate (empty,\n"
    "                  more than half the training rows, or a single class)\n"
    "  --script GRID.lua  the jobs of that script (by its text) among those of the\n"
    "                  file; default: the jobs of the last script run on the file\n"
    "  --all           every job the file holds, whichever script asked for it\n"
    "  --stat S        what every ± (and every band or bar of --plots) shows: the\n"
    "                  sample std over seeds (std, default) or the standard error of\n"
    "                  the mean, std / sqrt(n) (sem)\n"
    "\n"
    "Jobs that differ only in their seed form one row (mean ± sample std over seeds,\n"
    "or ± standard error with --stat sem);\n"
    "several files merge into one report.\n";

/* "pdf,svg,png" -> REP_PLOT_* bits; 0 on an unknown or empty list */
static unsigned rp_plot_formats(const char *v)
{
    unsigned bits = 0;
    while (*v) {
        size_t n = strcspn(v, ",");
        if (n == 3 && !strncmp(v, "pdf", 3)) bits |= REP_PLOT_PDF;
        else if (n == 3 && !strncmp(v, "svg", 3)) bits |= REP_PLOT_SVG;
        else if (n == 3 && !strncmp(v, "png", 3)) bits |= REP_PLOT_PNG;
        else return 0;
        v += n + (v[n] == ',');
    }
    return bits;
}

/* the value of an option given as "--opt V" or "--opt=V"; NULL if argv[*i]
 * is not opt. A missing value is a usage error. */
static const char *rp_optval(int argc, char **argv, int *i, const char *opt, int *missing)
{
    size_t n = strlen(opt);
    const char *a = argv[*i];
    if (strncmp(a, opt, n)) return NULL;
    if (a[n] == '=') return a + n + 1;
    if (a[n] != '\0') return NULL;
    if (*i + 1 >= argc) {
        *missing = 1;
        return NULL;
    }
    return argv[++*i];
}

/* --diagnostics, dfr{} jobs of file f: DFR's model selection (docs/dfr.md):
 * the L2 strength chosen, the validation worst-group accuracy (second half
 * of val) of each strength tried, the group-balanced subsample sizes and the
 * refits with 10x the strength after a failed solve */
static void rp_dfr(FILE *out, const rep_data *d, int f, const char *pre)
{
    int n = 0;
    for (int k = 0; k < d->n_jobs; k++) {
        const rep_job *j = &d->jobs[k];
        if (j->file != f || !j->dfr_choice) continue;
        const double *c = j->dfr_choice, *s = j->dfr_scores;
        if (!n++)
            fprintf(out, "%sDFR in %s: L2 strength chosen; per strength tried, worst-group "
                    "accuracy on the scoring half of val; val rows fit/score; rows per group "
                    "in a tuning/final subsample; refits with 10x the strength\n", pre,
                    d->files[f]);
        fprintf(out, "%s  %-6s %-8s %-22s seed %-3lld lambda %g  [", pre, j->id, j->method,
                j->arch, (long long)j->seed, c[RF_DFR_LAMBDA]);
        for (int l = 0; l < RF_DFR_N_LAMBDAS; l++)
            fprintf(out, "%s%g: %.4f%s", l ? ", " : "", s[l * 3], s[l * 3 + 1],
                    l == (int)c[RF_DFR_BEST] ? "*" : "");
        fprintf(out, "]  rows %.0f/%.0f  per group %.0f/%.0f  refits %.0f%s\n",
                c[RF_DFR_N_HALF_FIT], c[RF_DFR_N_HALF_SCORE], c[RF_DFR_PER_GROUP_FIT],
                c[RF_DFR_PER_GROUP_FINAL], c[RF_DFR_RETRIES],
                c[RF_DFR_GROUPS_EMPTY] > 0 ? "  (groups absent from the tuning half)" : "");
    }
}

/* --diagnostics: per job with diagnostics (fitnet, simkd and dett students),
 * the linear CKA between teacher and student features and their feature MSE
 * on the test rows of each group g = y * A + a: where the student drifts from
 * the teacher, group by group. */
static void rp_diagnostics(FILE *out, const rep_data *d, const char *pre)
{
    for (int f = 0; f < d->n_files; f++) {
        int n = 0;
        for (int k = 0; k < d->n_jobs; k++) {
            const rep_job *j = &d->jobs[k];
            if (j->file != f || !j->cka) continue;
            if (!n++)
                fprintf(out, "%sdiagnostics in %s: per group g (y, a), test rows: linear CKA "
                        "teacher vs student features / feature MSE\n", pre, d->files[f]);
            fprintf(out, "%s  %-6s %-8s %-22s seed %-3lld", pre, j->id, j->method, j->arch,
                    (long long)j->seed);
            for (int g = 0; g < j->groups; g++)
                fprintf(out, "  g%d (%d,%d) %.4f / %.5f", g, g / j->n_attrs, g % j->n_attrs,
                        j->cka[g], j->feature_mse[g]);
            fprintf(out, "\n");
        }
        if (!n) fprintf(out, "%sno diagnostics in %s\n", pre, d->files[f]);
        rp_dfr(out, d, f, pre);
    }
}

/* --ident: per identification job, its optimiser and epochs, the error
 * set's size and its rows per training group g (y, a) and per class, with
 * a WARNING naming what makes it degenerate (results_format.h) */
static void rp_ident(FILE *out, const rep_data *d, const char *pre)
{
    static const char *const flag_names[] = RF_IDENT_FLAG_NAMES;
    for (int f = 0; f < d->n_files; f++) {
        int n = 0;
        for (int k = 0; k < d->n_jobs; k++) {
            const rep_job *j = &d->jobs[k];
            if (j->file != f || strcmp(j->kind, RF_KIND_IDENT)) continue;
            if (!n++)
                fprintf(out, "%sidentification jobs in %s: error set (rows the model "
                        "misclassifies after its epochs), rows per group g (y, a) and class\n",
                        pre, d->files[f]);
            fprintf(out, "%s  %-6s %-22s %s, %d epoch%s, seed %lld:", pre, j->id, j->arch,
                    j->optim[0] ? j->optim : "?", j->epochs, j->epochs == 1 ? "" : "s",
                    (long long)j->seed);
            if (!j->error_groups) {
                fprintf(out, " %s\n", j->status == JOB_DONE ? "no error_groups (older file)"
                                                            : "not done");
                continue;
            }
            long long tot = 0;
            for (int g = 0; g < j->groups; g++) tot += j->error_groups[g];
            fprintf(out, " |E| = %lld of %lld (%.1f%%);", tot, j->n_train,
                    j->n_train ? 100.0 * (double)tot / (double)j->n_train : 0.0);
            for (int g = 0; g < j->groups; g++)
                fprintf(out, " g%d (%d,%d) %lld", g, g / j->n_attrs, g % j->n_attrs,
                        j->error_groups[g]);
            fprintf(out, "; class");
            for (int y = 0; y * j->n_attrs < j->groups; y++) {
                long long c = 0;
                for (int a = 0; a < j->n_attrs; a++) c += j->error_groups[y * j->n_attrs + a];
                fprintf(out, " %d: %lld", y, c);
            }
            const int flags = rf_ident_flags(j->error_groups, j->groups, j->n_attrs, j->n_train);
            if (flags) {
                fprintf(out, "; WARNING: degenerate (");
                for (int i = 0, m = 0; i < RF_N_IDENT_FLAGS; i++)
                    if (flags & (1 << i)) fprintf(out, "%s%s", m++ ? ", " : "", flag_names[i]);
                fprintf(out, ")");
            }
            fprintf(out, "\n");
        }
        if (!n) fprintf(out, "%sno identification jobs in %s\n", pre, d->files[f]);
    }
}

/* the whole text of file path (malloc'd, NUL-terminated), or NULL with a message */
static char *rp_slurp(const char *path, dett_err *e)
{
    FILE *f = fopen(path, "rb");
    char *buf = NULL;
    long n;
    if (!f) {
        dett_fail(e, "report: --script %s: cannot open it", path);
        return NULL;
    }
    if (fseek(f, 0, SEEK_END) != 0 || (n = ftell(f)) < 0 || fseek(f, 0, SEEK_SET) != 0 ||
        !(buf = malloc((size_t)n + 1)) || fread(buf, 1, (size_t)n, f) != (size_t)n) {
        dett_fail(e, "report: --script %s: cannot read it", path);
        free(buf);
        fclose(f);
        return NULL;
    }
    buf[n] = '\0';
    fclose(f);
    return buf;
}

int report_run(FILE *out, int argc, char **argv, dett_err *e)
{
    rep_opts o = {.format = REP_MD, .select = REP_SEL_VAL_WORST,
                  .plot_formats = REP_PLOT_PDF | REP_PLOT_PNG};
    const char *plots = NULL;
    const char **files = NULL;
    int n_files = 0, rc = 1;
    rep_data d = {0};
    rep_table t = {0};
    char *script = NULL;

    files = calloc((size_t)argc + 1, sizeof *files);
    if (!files) {
        dett_fail(e, "report: out of memory");
        return 1;
    }
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v;
        int missing = 0;
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
            fputs(rp_usage, out);
            free(files);
            return 0;
        } else if ((v = rp_optval(argc, argv, &i, "--select", &missing))) {
            if (select_find(v) >= 0) o.select = select_find(v);
            else {
                dett_fail(e, "report: --select: '%s' is not val-worst, val-avg, oracle or "
                          "val-worst-class", v);
                rc = 2;
                goto fail;
            }
        } else if ((v = rp_optval(argc, argv, &i, "--format", &missing))) {
            if (!strcmp(v, "md")) o.format = REP_MD;
            else if (!strcmp(v, "latex")) o.format = REP_LATEX;
            else if (!strcmp(v, "csv")) o.format = REP_CSV;
            else {
                dett_fail(e, "report: --format: '%s' is not md, latex or csv", v);
                rc = 2;
                goto fail;
            }
        } else if ((v = rp_optval(argc, argv, &i, "--tune", &missing))) {
            if (!*v) {
                dett_fail(e, "report: --tune needs a list of keys, e.g. --tune optim,up");
                rc = 2;
                goto fail;
            }
            o.tune = v;
        } else if ((v = rp_optval(argc, argv, &i, "--plots", &missing))) {
            if (!*v) {
                dett_fail(e, "report: --plots needs a directory");
                rc = 2;
                goto fail;
            }
            plots = v;
        } else if ((v = rp_optval(argc, argv, &i, "--plot-format", &missing))) {
            if (!(o.plot_formats = rp_plot_formats(v))) {
                dett_fail(e, "report: --plot-format: '%s' is not a comma-separated list of "
                          "pdf, svg and png", v);
                rc = 2;
                goto fail;
            }
        } else if ((v = rp_optval(argc, argv, &i, "--pivot", &missing))) {
            if (strcmp(v, "method")) {
                dett_fail(e, "report: --pivot: '%s' is not 'method' (the only pivot so far)",
                          v);
                rc = 2;
                goto fail;
            }
            o.pivot = 1;
        } else if ((v = rp_optval(argc, argv, &i, "--stat", &missing))) {
            if (!strcmp(v, "std") || !strcmp(v, "sem")) o.sem = !strcmp(v, "sem");
            else {
                dett_fail(e, "report: --stat: '%s' is not std or sem", v);
                rc = 2;
                goto fail;
            }
        } else if (!strcmp(a, "--per-group")) {
            o.per_group = 1;
        } else if (!strcmp(a, "--diagnostics")) {
            o.diagnostics = 1;
        } else if (!strcmp(a, "--ident")) {
            o.ident = 1;
        } else if (!strcmp(a, "--all")) {
            d.all = 1;
        } else if ((v = rp_optval(argc, argv, &i, "--script", &missing))) {
            free(script);
            if (!(script = rp_slurp(v, e))) {
                rc = 2;
                goto fail;
            }
            d.script_text = script;
            d.script_name = v;
        } else if (missing) {
            dett_fail(e, "report: %s needs a value (see dett report --help)", a);
            rc = 2;
            goto fail;
        } else if (a[0] == '-' && a[1] != '\0') {
            dett_fail(e, "report: unknown option '%s' (see dett report --help)", a);
            rc = 2;
            goto fail;
        } else {
            files[n_files++] = a;
        }
    }
    if (n_files == 0) {
        dett_fail(e, "report: no results file given (usage: dett report RESULTS.h5 "
                  "[more.h5 ...] [options]; see dett report --help)");
        rc = 2;
        goto fail;
    }
    for (int f = 0; f < n_files; f++) CHECK(rep_read_file(&d, files[f], e));
    /* files of format 1-3 store no val-worst-class choice */
    for (int k = 0; k < d.n_jobs; k++)
        if (d.jobs[k].status == JOB_DONE && d.jobs[k].selected[o.select] < 0) {
            dett_fail(e, "report: %s: job %s stores no %s choice (a results file of format "
                      "before 4); use another --select", d.files[d.jobs[k].file], d.jobs[k].id,
                      rep_sel_name[o.select]);
            goto fail;
        }
    CHECK(rep_table_build(&t, &d, o.select, o.tune, e));
    if (o.sem) rep_table_sem(&t);
    CHECK(rep_print(out, &t, &d, &o, e));
    if (o.diagnostics) {
        if (o.format == REP_CSV) rp_diagnostics(stderr, &d, "");
        else {
            fputc('\n', out);
            rp_diagnostics(out, &d, o.format == REP_LATEX ? "% " : "");
        }
    }
    if (o.ident) {
        if (o.format == REP_CSV) rp_ident(stderr, &d, "");
        else {
            fputc('\n', out);
            rp_ident(out, &d, o.format == REP_LATEX ? "% " : "");
        }
    }
    if (plots) CHECK(rep_plots(plots, &t, &d, &o, e));
    if (fflush(out) != 0) {
        dett_fail(e, "report: write error on the output");
        goto fail;
    }
    rc = 0;
fail:
    rep_table_free(&t);
    rep_data_free(&d);
    free(files);
    free(script);
    return rc;
}
