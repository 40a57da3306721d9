/* report_table.c - the report as Markdown, LaTeX (booktabs) or CSV. */
#define _POSIX_C_SOURCE 200809L
#include "report_internal.h"
#include "results_format.h"
#include <math.h>
#include <stdlib.h>
#include <string.h>

const char *const *const rep_sel_name = select_names;   /* runtime/core/jobspec.h */
static const char *const tb_sel_text[REP_N_SEL] = {
    [REP_SEL_VAL_WORST] = "the best validation worst-group accuracy",
    [REP_SEL_VAL_AVG] = "the best validation average accuracy",
    [REP_SEL_ORACLE] = "the best test worst-group accuracy: an oracle, for reference only",
    [REP_SEL_VAL_WORST_CLASS] = "the best validation worst per-class accuracy, attributes "
                                "pooled: no attribute labels needed"};

/* ---- text escaping ----------------------------------------------------------- */

static void tb_md(FILE *out, const char *s)
{
    for (; *s; s++) {
        if (*s == '|') fputs("\\|", out);
        else if (*s == '\n' || *s == '\r') fputc(' ', out);
        else fputc(*s, out);
    }
}

static void tb_tex(FILE *out, const char *s)
{
    for (; *s; s++) {
        switch (*s) {
        case '_': case '%': case '&': case '#': case '$': case '{': case '}':
            fputc('\\', out);
            fputc(*s, out);
            break;
        case '\\': fputs("\\textbackslash{}", out); break;
        case '^': fputs("\\^{}", out); break;
        case '~': fputs("\\~{}", out); break;
        case '\n': case '\r': fputc(' ', out); break;
        default: fputc(*s, out);
        }
    }
}

static void tb_csv(FILE *out, const char *s)
{
    if (!strpbrk(s, ",\"\n\r")) {
        fputs(s, out);
        return;
    }
    fputc('"', out);
    for (; *s; s++) {
        if (*s == '"') fputc('"', out);
        fputc(*s, out);
    }
    fputc('"', out);
}

void rep_text(FILE *out, rep_format f, const char *s)
{
    if (f == REP_LATEX) tb_tex(out, s);
    else if (f == REP_CSV) tb_csv(out, s);
    else tb_md(out, s);
}

/* ---- cells --------------------------------------------------------------------- */

static const char *const tb_status_word[REP_N_STATUS] = {"pending", "running", "done",
                                                         "failed", "skipped"};
/* statuses in the order they are listed */
static const int tb_status_order[4] = {JOB_FAILED, JOB_SKIPPED, JOB_RUNNING, JOB_PENDING};

void rep_unfinished(const rep_row *r, int counts, char *buf, size_t cap)
{
    int kinds = 0;
    size_t n = 0;
    buf[0] = '\0';
    for (int k = 0; k < 4; k++) kinds += r->n_status[tb_status_order[k]] > 0;
    for (int k = 0; k < 4; k++) {
        int s = tb_status_order[k], c = r->n_status[s];
        if (!c || n + 1 >= cap) continue;
        if (!counts && kinds == 1)
            n += (size_t)snprintf(buf + n, cap - n, "%s", tb_status_word[s]);
        else
            n += (size_t)snprintf(buf + n, cap - n, "%s%d %s", (counts || n) ? ", " : "", c,
                                  tb_status_word[s]);
    }
}

/* rounded to the printed precision, so ties in print are ties here */
static double tb_round(double x) { return round(x * 10.0) / 10.0; }

/* prints x with one decimal and an explicit sign, "0.0" for zero */
static void tb_signed(FILE *out, rep_format f, double x, int bold)
{
    double r = tb_round(x);
    const char *b0 = bold ? "\\textbf{" : "", *b1 = bold ? "}" : "";
    if (r == 0) fprintf(out, "%s0.0%s", b0, b1);
    else if (f == REP_LATEX && r < 0) fprintf(out, "%s$-$%.1f%s", b0, -r, b1);
    else fprintf(out, "%s%+.1f%s", b0, r, b1);
}

/* "mean ± std (n=K)" or the unfinished status words */
static void tb_stat(FILE *out, rep_format f, const rep_row *r, double mean, double std,
                    int bold)
{
    char extra[128];
    if (r->n_done == 0) {
        rep_unfinished(r, 0, extra, sizeof extra);
        fputs(extra, out);
        return;
    }
    rep_unfinished(r, 1, extra, sizeof extra);
    if (f == REP_LATEX)
        fprintf(out, "%s%.1f%s $\\pm$ %.1f (n=%d%s)", bold ? "\\textbf{" : "", mean,
                bold ? "}" : "", std, r->n_done, extra);
    else
        fprintf(out, "%.1f ± %.1f (n=%d%s)", mean, std, r->n_done, extra);
}


/* "-7.0 ± 1.4" (LaTeX: "$-$7.0 $\pm$ 1.4"), "(n=K)" added when fewer seeds
 * than the row's finished ones had a finished teacher */
static void tb_gap(FILE *out, rep_format f, const rep_row *r, int bold)
{
    tb_signed(out, f, r->gap_mean, bold);
    fprintf(out, f == REP_LATEX ? " $\\pm$ %.1f" : " ± %.1f", r->gap_std);
    if (r->gap_n != r->n_done) fprintf(out, " (n=%d)", r->gap_n);
}

static int tb_has_delta(const rep_row *r) { return r->baseline >= 0 && r->n_done > 0; }

static double tb_delta(const rep_table *t, const rep_row *r)
{
    return r->worst_mean - t->rows[r->baseline].worst_mean;
}

/* ---- columns ---------------------------------------------------------------------- */

/* the numeric columns, then one per tuned key, then one per group */
enum { COL_WORST, COL_GAP, COL_MGRP, COL_AVG, COL_DELTA, COL_TUNED0 };
enum { TB_MAX_TUNED = 16 };

typedef struct {
    char tuned[TB_MAX_TUNED][64];
    int n_tuned, n_groups;
    int n_cols;                       /* COL_TUNED0 + n_tuned + n_groups */
} tb_cols;

static void tb_cols_init(tb_cols *c, const rep_table *t, const rep_opts *o)
{
    c->n_tuned = rep_tune_keys(o->tune, c->tuned, TB_MAX_TUNED);
    c->n_groups = o->per_group ? t->max_G : 0;
    c->n_cols = COL_TUNED0 + c->n_tuned + c->n_groups;
}

/* the value of numeric column c of row r (rounded as printed); 0 if none */
static int tb_value(const rep_table *t, const tb_cols *cols, const rep_row *r, int c,
                    double *v)
{
    if (r->n_done == 0) return 0;
    if (c == COL_WORST) *v = r->worst_mean;
    else if (c == COL_AVG) *v = r->avg_mean;
    else if (c == COL_MGRP) *v = r->mgrp_mean;
    else if (c == COL_GAP) {
        if (r->gap_n == 0) return 0;
        *v = r->gap_mean;
    } else if (c == COL_DELTA) {
        if (!tb_has_delta(r)) return 0;
        *v = tb_delta(t, r);
    } else if (c >= COL_TUNED0 + cols->n_tuned) {
        int g = c - COL_TUNED0 - cols->n_tuned;
        if (g >= r->G) return 0;
        *v = r->group_mean[g];
    } else return 0;
    if (isnan(*v)) return 0;
    *v = tb_round(*v);
    return 1;
}

/* 1 if row `row` holds the best value of column c within its block (rows of
 * the same section, dataset and architecture; at least two with a value) */
static int tb_is_best(const rep_table *t, const tb_cols *cols, int row, int c)
{
    const rep_row *r = &t->rows[row];
    double v, best = -INFINITY, x;
    int n = 0;
    if (!tb_value(t, cols, r, c, &v)) return 0;
    for (int q = 0; q < t->n; q++) {
        const rep_row *o = &t->rows[q];
        if (o->section != r->section || o->block != r->block || !tb_value(t, cols, o, c, &x))
            continue;
        n++;
        if (x > best) best = x;
    }
    return n >= 2 && v == best;
}

static void tb_group_header(FILE *out, rep_format f, const rep_table *t, int g)
{
    if (t->common_A > 0) {
        int A = t->common_A;
        if (f == REP_CSV) fprintf(out, "g%d_y%d_a%d_mean", g, g / A, g % A);
        else fprintf(out, "g%d (y=%d,a=%d)", g, g / A, g % A);
    } else {
        if (f == REP_CSV) fprintf(out, "g%d_mean", g);
        else fprintf(out, "g%d", g);
    }
}

static void tb_header(FILE *out, rep_format f, const rep_table *t, const tb_cols *cols,
                      int c)
{
    static const char *const md[COL_TUNED0] = {
        "worst-group acc (%)", "gap to teacher (pts)", "mean-group acc (%)",
        "avg acc, train-weighted (%)", "Δ worst vs groupdro (pts)"};
    static const char *const tex[COL_TUNED0] = {
        "Worst-group (\\%)", "Gap to teacher", "Mean-group (\\%)", "Avg, train-w.\\ (\\%)",
        "$\\Delta$ vs group DRO"};
    if (c < COL_TUNED0) fputs(f == REP_LATEX ? tex[c] : md[c], out);
    else if (c < COL_TUNED0 + cols->n_tuned) {
        rep_text(out, f, cols->tuned[c - COL_TUNED0]);
        fputs(" (tuned)", out);
    } else tb_group_header(out, f, t, c - COL_TUNED0 - cols->n_tuned);
}

/* one cell of row q, column c (Markdown or LaTeX) */
static void tb_cell(FILE *out, rep_format f, const rep_table *t, const rep_data *d,
                    const tb_cols *cols, int q, int c)
{
    const rep_row *r = &t->rows[q];
    const char *dash = f == REP_LATEX ? "---" : "—";
    int bold = f == REP_LATEX && tb_is_best(t, cols, q, c);
    char st[128];
    switch (c) {
    case COL_WORST: tb_stat(out, f, r, r->worst_mean, r->worst_std, bold); return;
    case COL_MGRP: tb_stat(out, f, r, r->mgrp_mean, r->mgrp_std, bold); return;
    case COL_AVG: tb_stat(out, f, r, r->avg_mean, r->avg_std, bold); return;
    case COL_GAP:
        if (r->gap_n > 0) tb_gap(out, f, r, bold);
        else fputs(dash, out);
        return;
    case COL_DELTA:
        if (tb_has_delta(r)) tb_signed(out, f, tb_delta(t, r), bold);
        else if (r->is_baseline || r->n_done == 0) fputs(dash, out);
        else fputs("none", out);
        return;
    default: break;
    }
    if (c < COL_TUNED0 + cols->n_tuned) {
        char v[200];
        if (rep_tune_value(&d->jobs[r->first], cols->tuned[c - COL_TUNED0], v, sizeof v))
            rep_text(out, f, v);
        else fputs(dash, out);
        return;
    }
    int g = c - COL_TUNED0 - cols->n_tuned;
    if (g >= r->G) return;
    if (r->n_done == 0) {
        rep_unfinished(r, 0, st, sizeof st);
        fputs(st, out);
    } else if (bold) fprintf(out, "\\textbf{%.1f}", r->group_mean[g]);
    else fprintf(out, "%.1f", r->group_mean[g]);
}

/* ---- the failed / unfinished list ----------------------------------------------------- */

/* the label of the row holding job k, or a description of an ident job or
 * of a job whose row --tune did not keep */
static void tb_job_row(const rep_table *t, const rep_data *d, int k, char *buf, size_t cap)
{
    const rep_job *j = &d->jobs[k];
    for (int r = 0; r < t->n; r++)
        for (int s = 0; s < t->rows[r].n_seeds; s++)
            if (t->rows[r].seed_job[s] == k) {
                snprintf(buf, cap, "%s", t->rows[r].label);
                return;
            }
    if (!strcmp(j->kind, "ident"))
        snprintf(buf, cap, "identification: %s %s", j->method, j->arch);
    else
        snprintf(buf, cap, "not kept by --tune: %s %s %s", j->method, j->arch, j->optim);
}

static void tb_job_id(const rep_data *d, int k, char *buf, size_t cap)
{
    const rep_job *j = &d->jobs[k];
    if (d->n_files > 1) snprintf(buf, cap, "%s:%s", d->files[j->file], j->id);
    else snprintf(buf, cap, "%s", j->id);
}

/* the list of failed and unfinished jobs (Markdown or LaTeX) */
static void tb_unfinished_list(FILE *out, rep_format f, const rep_table *t, const rep_data *d)
{
    if (!t->n_unfinished) return;
    if (f == REP_LATEX)
        fputs("\n% Failed or unfinished jobs\n\\begin{tabular}{llrll}\n\\toprule\n"
              "Job & Row & Seed & Status & Error \\\\\n\\midrule\n", out);
    else
        fputs("## Failed or unfinished jobs\n\n| job | row | seed | status | error |\n"
              "| --- | --- | ---: | --- | --- |\n", out);
    for (int u = 0; u < t->n_unfinished; u++) {
        const rep_job *j = &d->jobs[t->unfinished[u]];
        char id[600], row[700];
        tb_job_id(d, t->unfinished[u], id, sizeof id);
        tb_job_row(t, d, t->unfinished[u], row, sizeof row);
        const char *sep = f == REP_LATEX ? " & " : " | ";
        if (f != REP_LATEX) fputs("| ", out);
        rep_text(out, f, id);
        fputs(sep, out);
        rep_text(out, f, row);
        fprintf(out, "%s%lld%s%s%s", sep, (long long)j->seed, sep, tb_status_word[j->status],
                sep);
        rep_text(out, f, j->error);
        fputs(f == REP_LATEX ? " \\\\\n" : " |\n", out);
    }
    fputs(f == REP_LATEX ? "\\bottomrule\n\\end{tabular}\n" : "\n", out);
}

/* ---- Markdown ----------------------------------------------------------------------- */

static void tb_md_section(FILE *out, const rep_table *t, const rep_data *d,
                          const tb_cols *cols, rep_section sec, const char *title)
{
    int any = 0;
    for (int r = 0; r < t->n; r++) any |= t->rows[r].section == sec;
    if (!any) return;
    fprintf(out, "## %s\n\n| model |", title);
    for (int c = 0; c < cols->n_cols; c++) {
        fputc(' ', out);
        tb_header(out, REP_MD, t, cols, c);
        fputs(" |", out);
    }
    fputs("\n| --- |", out);
    for (int c = 0; c < cols->n_cols; c++)
        fputs(c >= COL_TUNED0 && c < COL_TUNED0 + cols->n_tuned ? " --- |" : " ---: |", out);
    fputc('\n', out);
    for (int q = 0; q < t->n; q++) {
        if (t->rows[q].section != sec) continue;
        fputs("| ", out);
        tb_md(out, t->rows[q].label);
        for (int c = 0; c < cols->n_cols; c++) {
            fputs(" | ", out);
            tb_cell(out, REP_MD, t, d, cols, q, c);
        }
        fputs(" |\n", out);
    }
    fputc('\n', out);
}

void rep_intro(FILE *out, const rep_data *d, const rep_opts *o, const char *pre)
{
    fprintf(out, "%sResults: ", pre);
    for (int f = 0; f < d->n_files; f++) {
        int n = 0;
        for (int k = 0; k < d->n_jobs; k++) n += d->jobs[k].file == f;
        fprintf(out, "%s%s (%d job%s)", f ? ", " : "", d->files[f], n, n == 1 ? "" : "s");
    }
    fprintf(out, ".\n");
    /* provenance: who wrote each file, and the content digest of every data
     * file its jobs read (a job's hash covers it: other data, other jobs) */
    for (int f = 0; f < d->n_files; f++) {
        fprintf(out, "%sProvenance: %s: %s; data", pre, d->files[f],
                d->prov && d->prov[f] ? d->prov[f] : "?");
        int shown = 0;
        for (int k = 0; k < d->n_jobs; k++) {
            const rep_job *j = &d->jobs[k];
            int dup = 0;
            if (j->file != f) continue;
            for (int i = 0; i < k && !dup; i++)
                dup = d->jobs[i].file == f && !strcmp(d->jobs[i].dataset, j->dataset) &&
                      !strcmp(d->jobs[i].data_digest, j->data_digest);
            if (dup) continue;
            fprintf(out, "%s ", shown++ ? "," : "");
            if (pre[0] == '%') tb_tex(out, j->dataset);   /* LaTeX: escaped */
            else fputs(j->dataset, out);
            fprintf(out, " (sha256 %s)", j->data_digest[0] ? j->data_digest : "not recorded");
        }
        fprintf(out, ".\n");
    }
    fprintf(out, "%sTest accuracy (%%) at the epoch chosen by %s (%s); mean ± %s "
            "over seeds, n = finished seeds.\n",
            pre, rep_sel_name[o->select], tb_sel_text[o->select], rep_spread_text(o));
    if (o->tune)
        fprintf(out, "%sTuned on validation over %s: of the rows that differ only in those, "
                "the one with the best mean validation worst-group accuracy; the chosen "
                "values are in the (tuned) columns.\n", pre, o->tune);
}

/* the definitions of the main table's columns */
static void tb_legend(FILE *out, const rep_opts *o, const char *pre)
{
    fprintf(out, "%sworst-group acc: the lowest test accuracy over the groups g = (y, a). "
            "mean-group acc: the unweighted mean of the group accuracies (SubpopBench's "
            "adjusted accuracy). avg acc, train-weighted: the group accuracies weighted by the "
            "training group proportions (group_DRO's avg acc).\n", pre);
    fprintf(out, "%sgap to teacher: each seed's worst-group accuracy minus that of its own "
            "teacher job at the epoch the same rule chooses, mean ± %s over seeds, in "
            "points.\n", pre, o->sem ? rep_spread_text(o) : "std");
    fprintf(out, "%sΔ: mean worst-group accuracy minus that of the groupdro row with the same "
            "dataset, architecture, epochs, batch and optimiser family (%sthe best by "
            "validation worst-group accuracy if several), in points; none: no such groupdro "
            "row.\n", pre, o->tune ? "fields chosen by --tune aside; " : "");
}

static void tb_print_md(FILE *out, const rep_table *t, const rep_data *d, const rep_opts *o)
{
    tb_cols cols;
    tb_cols_init(&cols, t, o);
    fputs("# dett report\n\n", out);
    rep_intro(out, d, o, "");
    tb_legend(out, o, "");
    fputc('\n', out);
    if (t->n == 0) fputs("No teacher or student jobs.\n\n", out);
    tb_md_section(out, t, d, &cols, REP_SEC_TEACHER, "Teachers");
    tb_md_section(out, t, d, &cols, REP_SEC_STUDENT, "Students");
    tb_unfinished_list(out, REP_MD, t, d);
    fprintf(out, "%d identification job%s\n", t->n_ident, t->n_ident == 1 ? "" : "s");
}

/* ---- LaTeX --------------------------------------------------------------------------- */

static void tb_print_latex(FILE *out, const rep_table *t, const rep_data *d,
                           const rep_opts *o)
{
    tb_cols cols;
    tb_cols_init(&cols, t, o);
    rep_intro(out, d, o, "% ");
    tb_legend(out, o, "% ");
    fputs("% Bold: the best value of a column within a block of rows with the same dataset "
          "and architecture (blocks are separated by space).\n", out);
    fputs("\\begin{tabular}{l", out);
    for (int c = 0; c < cols.n_cols; c++)
        fputc(c >= COL_TUNED0 && c < COL_TUNED0 + cols.n_tuned ? 'l' : 'r', out);
    fputs("}\n\\toprule\nModel", out);
    for (int c = 0; c < cols.n_cols; c++) {
        fputs(" & ", out);
        tb_header(out, REP_LATEX, t, &cols, c);
    }
    fputs(" \\\\\n\\midrule\n", out);
    for (int q = 0; q < t->n; q++) {
        const rep_row *r = &t->rows[q];
        if (q > 0 && r->section != t->rows[q - 1].section) fputs("\\midrule\n", out);
        else if (q > 0 && r->block != t->rows[q - 1].block) fputs("\\addlinespace\n", out);
        tb_tex(out, r->label);
        for (int c = 0; c < cols.n_cols; c++) {
            fputs(" & ", out);
            tb_cell(out, REP_LATEX, t, d, &cols, q, c);
        }
        fputs(" \\\\\n", out);
    }
    fputs("\\bottomrule\n\\end{tabular}\n", out);
    tb_unfinished_list(out, REP_LATEX, t, d);
    fprintf(out, "\n%% %d identification job%s\n", t->n_ident, t->n_ident == 1 ? "" : "s");
}

/* ---- CSV --------------------------------------------------------------------------------- */

static void tb_num(FILE *out, int ok, double x)
{
    if (ok && !isnan(x)) fprintf(out, ",%.4f", x);
    else fputc(',', out);
}

/* Columns: the configuration, the tuned values, the seed counts, then the
 * statistics. The last six before the per-group columns stay worst_std ..
 * delta_worst_vs_groupdro, as scripts index them from the end. */
static void tb_print_csv(FILE *out, const rep_table *t, const rep_data *d, const rep_opts *o)
{
    tb_cols cols;
    tb_cols_init(&cols, t, o);
    fputs("section,label,method,method_args,arch,weighting,dataset,epochs,optim,batch,teacher",
          out);
    for (int k = 0; k < cols.n_tuned; k++) {
        fputs(",", out);
        char h[80];
        snprintf(h, sizeof h, "tuned_%s", cols.tuned[k]);
        tb_csv(out, h);
    }
    /* --stat sem: the spreads are standard errors, and their columns say so */
    const char *sp = o->sem ? "sem" : "std";
    fprintf(out, ",seeds,done,failed,skipped,running,pending,mean_group_mean,mean_group_%s,"
            "gap_to_teacher_mean,gap_to_teacher_%s,gap_to_teacher_n,baseline,"
            "worst_mean,worst_%s,worst_n,avg_mean,avg_%s,avg_n,delta_worst_vs_groupdro",
            sp, sp, sp, sp);
    for (int g = 0; g < cols.n_groups; g++) {
        fputc(',', out);
        tb_group_header(out, REP_CSV, t, g);
    }
    fputc('\n', out);
    for (int q = 0; q < t->n; q++) {
        const rep_row *r = &t->rows[q];
        const rep_job *j = &d->jobs[r->first];
        int ok = r->n_done > 0;
        fputs(r->section == REP_SEC_TEACHER ? "teacher," : "student,", out);
        const char *text[6] = {r->label, j->method, j->method_args, j->arch, j->weighting,
                               j->dataset};
        for (int k = 0; k < 6; k++) {
            tb_csv(out, text[k]);
            fputc(',', out);
        }
        fprintf(out, "%d,", j->epochs);
        tb_csv(out, j->optim);
        fprintf(out, ",%d,", j->batch);
        tb_csv(out, j->teacher_label);
        for (int k = 0; k < cols.n_tuned; k++) {
            char v[200];
            fputc(',', out);
            if (rep_tune_value(j, cols.tuned[k], v, sizeof v)) tb_csv(out, v);
        }
        fprintf(out, ",%d,%d,%d,%d,%d,%d", r->n_seeds, r->n_done, r->n_status[JOB_FAILED],
                r->n_status[JOB_SKIPPED], r->n_status[JOB_RUNNING], r->n_status[JOB_PENDING]);
        tb_num(out, ok, r->mgrp_mean);
        tb_num(out, ok, r->mgrp_std);
        tb_num(out, r->gap_n > 0, r->gap_mean);
        tb_num(out, r->gap_n > 0, r->gap_std);
        fprintf(out, ",%d,", r->gap_n);
        if (r->baseline >= 0) tb_csv(out, t->rows[r->baseline].label);
        else if (!r->is_baseline) fputs("none", out);
        tb_num(out, ok, r->worst_mean);
        tb_num(out, ok, r->worst_std);
        fprintf(out, ",%d", r->n_done);
        tb_num(out, ok, r->avg_mean);
        tb_num(out, ok, r->avg_std);
        fprintf(out, ",%d", r->n_done);
        tb_num(out, tb_has_delta(r), tb_has_delta(r) ? tb_delta(t, r) : 0);
        for (int g = 0; g < cols.n_groups; g++)
            tb_num(out, ok && g < r->G, g < r->G ? r->group_mean[g] : 0);
        fputc('\n', out);
    }
}

int rep_print(FILE *out, const rep_table *t, const rep_data *d, const rep_opts *o,
              dett_err *e)
{
    if (o->pivot) return rep_print_pivot(out, t, d, o, e);
    if (o->format == REP_LATEX) tb_print_latex(out, t, d, o);
    else if (o->format == REP_CSV) tb_print_csv(out, t, d, o);
    else tb_print_md(out, t, d, o);
    if (ferror(out)) return dett_fail(e, "report: write error on the output");
    return 0;
}
