/* report.c - report_exec: the values of dett report's options checked, the
 * files read, the tables, diagnostics and figures written (report.h; the
 * command line is parsed in cli/cmd_report.c). */
#define _POSIX_C_SOURCE 200809L
#include "report.h"
#include "report_internal.h"
#include "results_format.h"
#include <stdlib.h>
#include <string.h>

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
                    "accuracy (%%) on the scoring half of val; val rows fit/score; rows per group "
                    "in a tuning/final subsample; refits with 10x the strength\n", pre,
                    d->files[f]);
        fprintf(out, "%s  %-6s %-8s %-22s seed %-3lld lambda %g  [", pre, j->id, j->method,
                j->arch, (long long)j->seed, c[RF_DFR_LAMBDA]);
        for (int l = 0; l < RF_DFR_N_LAMBDAS; l++)
            fprintf(out, "%s%g: %.2f%s", l ? ", " : "", s[l * 3], 100.0 * s[l * 3 + 1],
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

void report_args_default(report_args *a)
{
    *a = (report_args){.select = "val-worst", .format = "md", .plot_format = "pdf,png",
                       .stat = "std"};
}

/* the values of a, checked (2 with a message if one is not valid) into o, d */
static int rp_values(const report_args *a, rep_opts *o, rep_data *d, char **script,
                     dett_err *e)
{
    if (select_find(a->select) < 0)
        return dett_fail(e, "report: --select: '%s' is not val-worst, val-avg, oracle or "
                         "val-worst-class", a->select), 2;
    o->select = select_find(a->select);
    if (!strcmp(a->format, "md")) o->format = REP_MD;
    else if (!strcmp(a->format, "latex")) o->format = REP_LATEX;
    else if (!strcmp(a->format, "csv")) o->format = REP_CSV;
    else return dett_fail(e, "report: --format: '%s' is not md, latex or csv", a->format), 2;
    if (a->tune && !*a->tune)
        return dett_fail(e, "report: --tune needs a list of keys, e.g. --tune optim,up"), 2;
    o->tune = a->tune;
    if (a->plots && !*a->plots) return dett_fail(e, "report: --plots needs a directory"), 2;
    if (!(o->plot_formats = rp_plot_formats(a->plot_format)))
        return dett_fail(e, "report: --plot-format: '%s' is not a comma-separated list of "
                         "pdf, svg and png", a->plot_format), 2;
    if (a->pivot && strcmp(a->pivot, "method"))
        return dett_fail(e, "report: --pivot: '%s' is not 'method' (the only pivot so far)",
                         a->pivot), 2;
    o->pivot = a->pivot != NULL;
    if (strcmp(a->stat, "std") && strcmp(a->stat, "sem"))
        return dett_fail(e, "report: --stat: '%s' is not std or sem", a->stat), 2;
    o->sem = !strcmp(a->stat, "sem");
    o->per_group = a->per_group;
    o->diagnostics = a->diagnostics;
    o->ident = a->ident;
    d->all = a->all;
    if (a->script) {
        if (!(*script = rp_slurp(a->script, e))) return 2;
        d->script_text = *script;
        d->script_name = a->script;
    }
    return 0;
}

int report_exec(FILE *out, const report_args *a, dett_err *e)
{
    rep_opts o = {0};
    const char *plots = a->plots;
    const char *const *files = a->files;
    int n_files = a->n_files, rc = 1;
    rep_data d = {0};
    rep_table t = {0};
    char *script = NULL;

    if ((rc = rp_values(a, &o, &d, &script, e)) != 0) goto fail;
    rc = 1;
    if (n_files == 0) {
        dett_fail(e, "report: no results file given (usage: dett report RESULTS.h5 "
                  "[more.h5 ...] [options])");
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
    free(script);
    return rc;
}
