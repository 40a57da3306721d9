/* report_table.c - the report as Markdown, LaTeX (booktabs) or CSV. */
#define _POSIX_C_SOURCE 200809L
#include "report_internal.h"
#include "results_format.h"
#include <math.h>
#include <stdlib.h>
#include <string.h>

static const char *const tb_sel_name[3] = {"val-worst", "val-avg", "oracle"};
static const char *const tb_sel_text[3] = {
    "the best validation worst-group accuracy", "the best validation average accuracy",
    "the best test worst-group accuracy: an oracle, for reference only"};

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

static void tb_text(FILE *out, rep_format f, const char *s)
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

/* "failed" when all unfinished seeds share one status, else "1 failed, 2 pending";
 * with counts (prefix ", "), the form used after "n=K" */
static void tb_unfinished(const rep_row *r, int counts, char *buf, size_t cap)
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
        tb_unfinished(r, 0, extra, sizeof extra);
        fputs(extra, out);
        return;
    }
    tb_unfinished(r, 1, extra, sizeof extra);
    if (f == REP_LATEX)
        fprintf(out, "%s%.1f%s $\\pm$ %.1f (n=%d%s)", bold ? "\\textbf{" : "", mean,
                bold ? "}" : "", std, r->n_done, extra);
    else
        fprintf(out, "%.1f ± %.1f (n=%d%s)", mean, std, r->n_done, extra);
}

static int tb_has_delta(const rep_table *t, const rep_row *r)
{
    (void)t;
    return r->baseline >= 0 && r->n_done > 0;
}

static double tb_delta(const rep_table *t, const rep_row *r)
{
    return r->worst_mean - t->rows[r->baseline].worst_mean;
}

/* ---- best values (LaTeX) ------------------------------------------------------------ */

enum { COL_WORST, COL_AVG, COL_DELTA, COL_GROUP0 };

/* the value of numeric column c of row r; 0 if the row has none */
static int tb_value(const rep_table *t, const rep_row *r, int c, double *v)
{
    if (r->n_done == 0) return 0;
    if (c == COL_WORST) *v = r->worst_mean;
    else if (c == COL_AVG) *v = r->avg_mean;
    else if (c == COL_DELTA) {
        if (!tb_has_delta(t, r)) return 0;
        *v = tb_delta(t, r);
    } else {
        int g = c - COL_GROUP0;
        if (g >= r->G) return 0;
        *v = r->group_mean[g];
    }
    if (isnan(*v)) return 0;
    *v = tb_round(*v);
    return 1;
}

/* 1 if row r holds the best value of column c within its section (of at
 * least two rows with a value) */
static int tb_is_best(const rep_table *t, int row, int c)
{
    const rep_row *r = &t->rows[row];
    double v, best = -INFINITY, x;
    int n = 0;
    if (!tb_value(t, r, c, &v)) return 0;
    for (int q = 0; q < t->n; q++) {
        if (t->rows[q].section != r->section || !tb_value(t, &t->rows[q], c, &x)) continue;
        n++;
        if (x > best) best = x;
    }
    return n >= 2 && v == best;
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

/* ---- Markdown ----------------------------------------------------------------------- */

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

static void tb_md_section(FILE *out, const rep_table *t, rep_section sec,
                          const rep_opts *o, const char *title)
{
    int any = 0;
    for (int r = 0; r < t->n; r++) any |= t->rows[r].section == sec;
    if (!any) return;
    fprintf(out, "## %s\n\n", title);
    fputs("| model | worst-group acc (%) | average acc (%) | Δ worst vs groupdro |", out);
    if (o->per_group)
        for (int g = 0; g < t->max_G; g++) {
            fputc(' ', out);
            tb_group_header(out, REP_MD, t, g);
            fputs(" |", out);
        }
    fputs("\n| --- | ---: | ---: | ---: |", out);
    if (o->per_group)
        for (int g = 0; g < t->max_G; g++) fputs(" ---: |", out);
    fputc('\n', out);
    for (int q = 0; q < t->n; q++) {
        const rep_row *r = &t->rows[q];
        if (r->section != sec) continue;
        fputs("| ", out);
        tb_md(out, r->label);
        fputs(" | ", out);
        tb_stat(out, REP_MD, r, r->worst_mean, r->worst_std, 0);
        fputs(" | ", out);
        tb_stat(out, REP_MD, r, r->avg_mean, r->avg_std, 0);
        fputs(" | ", out);
        if (tb_has_delta(t, r)) tb_signed(out, REP_MD, tb_delta(t, r), 0);
        else fputs("—", out);
        fputs(" |", out);
        if (o->per_group)
            for (int g = 0; g < t->max_G; g++) {
                char st[128];
                if (g >= r->G) fputs(" |", out);
                else if (r->n_done == 0) {
                    tb_unfinished(r, 0, st, sizeof st);
                    fprintf(out, " %s |", st);
                } else fprintf(out, " %.1f |", r->group_mean[g]);
            }
        fputc('\n', out);
    }
    fputc('\n', out);
}

static void tb_intro(FILE *out, const rep_data *d, const rep_opts *o, const char *pre)
{
    fprintf(out, "%sResults: ", pre);
    for (int f = 0; f < d->n_files; f++) {
        int n = 0;
        for (int k = 0; k < d->n_jobs; k++) n += d->jobs[k].file == f;
        fprintf(out, "%s%s (%d job%s)", f ? ", " : "", d->files[f], n, n == 1 ? "" : "s");
    }
    fprintf(out, ".\n%sTest accuracy (%%) at the epoch chosen by %s (%s); mean ± sample std "
            "over seeds, n = finished seeds.\n",
            pre, tb_sel_name[o->select], tb_sel_text[o->select]);
    if (o->tune)
        fprintf(out, "%sTuned on validation over %s: of the rows that differ only in those, "
                "the one with the best mean validation worst-group accuracy.\n", pre, o->tune);
    fprintf(out, "%sΔ: mean worst-group accuracy minus that of the groupdro row with the "
            "same architecture and dataset and the best validation worst-group accuracy, "
            "in points.\n", pre);
}

static void tb_print_md(FILE *out, const rep_table *t, const rep_data *d, const rep_opts *o)
{
    fputs("# dett report\n\n", out);
    tb_intro(out, d, o, "");
    fputc('\n', out);
    if (t->n == 0) fputs("No teacher or student jobs.\n\n", out);
    tb_md_section(out, t, REP_SEC_TEACHER, o, "Teachers");
    tb_md_section(out, t, REP_SEC_STUDENT, o, "Students");
    if (t->n_unfinished) {
        fputs("## Failed or unfinished jobs\n\n| job | row | seed | status | error |\n"
              "| --- | --- | ---: | --- | --- |\n", out);
        for (int u = 0; u < t->n_unfinished; u++) {
            const rep_job *j = &d->jobs[t->unfinished[u]];
            char id[600], row[700];
            tb_job_id(d, t->unfinished[u], id, sizeof id);
            tb_job_row(t, d, t->unfinished[u], row, sizeof row);
            fputs("| ", out);
            tb_md(out, id);
            fputs(" | ", out);
            tb_md(out, row);
            fprintf(out, " | %lld | %s | ", (long long)j->seed, tb_status_word[j->status]);
            tb_md(out, j->error);
            fputs(" |\n", out);
        }
        fputc('\n', out);
    }
    fprintf(out, "%d identification job%s\n", t->n_ident, t->n_ident == 1 ? "" : "s");
}

/* ---- LaTeX --------------------------------------------------------------------------- */

static void tb_print_latex(FILE *out, const rep_table *t, const rep_data *d,
                           const rep_opts *o)
{
    int ng = o->per_group ? t->max_G : 0;
    tb_intro(out, d, o, "% ");
    fputs("\\begin{tabular}{lrrr", out);
    for (int g = 0; g < ng; g++) fputc('r', out);
    fputs("}\n\\toprule\nModel & Worst-group acc.\\ (\\%) & Average acc.\\ (\\%) & "
          "$\\Delta$ worst vs groupdro", out);
    for (int g = 0; g < ng; g++) {
        fputs(" & ", out);
        tb_group_header(out, REP_LATEX, t, g);
    }
    fputs(" \\\\\n\\midrule\n", out);
    for (int q = 0; q < t->n; q++) {
        const rep_row *r = &t->rows[q];
        if (q > 0 && r->section != t->rows[q - 1].section) fputs("\\midrule\n", out);
        tb_tex(out, r->label);
        fputs(" & ", out);
        tb_stat(out, REP_LATEX, r, r->worst_mean, r->worst_std, tb_is_best(t, q, COL_WORST));
        fputs(" & ", out);
        tb_stat(out, REP_LATEX, r, r->avg_mean, r->avg_std, tb_is_best(t, q, COL_AVG));
        fputs(" & ", out);
        if (tb_has_delta(t, r))
            tb_signed(out, REP_LATEX, tb_delta(t, r), tb_is_best(t, q, COL_DELTA));
        else fputs("---", out);
        for (int g = 0; g < ng; g++) {
            char st[128];
            fputs(" & ", out);
            if (g >= r->G) continue;
            if (r->n_done == 0) {
                tb_unfinished(r, 0, st, sizeof st);
                fputs(st, out);
            } else if (tb_is_best(t, q, COL_GROUP0 + g))
                fprintf(out, "\\textbf{%.1f}", r->group_mean[g]);
            else fprintf(out, "%.1f", r->group_mean[g]);
        }
        fputs(" \\\\\n", out);
    }
    fputs("\\bottomrule\n\\end{tabular}\n", out);
    if (t->n_unfinished) {
        fputs("\n% Failed or unfinished jobs\n\\begin{tabular}{llrll}\n\\toprule\n"
              "Job & Row & Seed & Status & Error \\\\\n\\midrule\n", out);
        for (int u = 0; u < t->n_unfinished; u++) {
            const rep_job *j = &d->jobs[t->unfinished[u]];
            char id[600], row[700];
            tb_job_id(d, t->unfinished[u], id, sizeof id);
            tb_job_row(t, d, t->unfinished[u], row, sizeof row);
            tb_tex(out, id);
            fputs(" & ", out);
            tb_tex(out, row);
            fprintf(out, " & %lld & %s & ", (long long)j->seed, tb_status_word[j->status]);
            tb_tex(out, j->error);
            fputs(" \\\\\n", out);
        }
        fputs("\\bottomrule\n\\end{tabular}\n", out);
    }
    fprintf(out, "\n%% %d identification job%s\n", t->n_ident, t->n_ident == 1 ? "" : "s");
}

/* ---- CSV --------------------------------------------------------------------------------- */

static void tb_num(FILE *out, int ok, double x)
{
    if (ok && !isnan(x)) fprintf(out, ",%.4f", x);
    else fputc(',', out);
}

static void tb_print_csv(FILE *out, const rep_table *t, const rep_data *d, const rep_opts *o)
{
    fputs("section,label,method,method_args,arch,weighting,dataset,seeds,done,failed,"
          "skipped,running,pending,worst_mean,worst_std,worst_n,avg_mean,avg_std,avg_n,"
          "delta_worst_vs_groupdro", out);
    if (o->per_group)
        for (int g = 0; g < t->max_G; g++) {
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
            tb_text(out, REP_CSV, text[k]);
            fputc(',', out);
        }
        fprintf(out, "%d,%d,%d,%d,%d,%d", r->n_seeds, r->n_done, r->n_status[JOB_FAILED],
                r->n_status[JOB_SKIPPED], r->n_status[JOB_RUNNING], r->n_status[JOB_PENDING]);
        tb_num(out, ok, r->worst_mean);
        tb_num(out, ok, r->worst_std);
        fprintf(out, ",%d", r->n_done);
        tb_num(out, ok, r->avg_mean);
        tb_num(out, ok, r->avg_std);
        fprintf(out, ",%d", r->n_done);
        tb_num(out, tb_has_delta(t, r), tb_has_delta(t, r) ? tb_delta(t, r) : 0);
        if (o->per_group)
            for (int g = 0; g < t->max_G; g++)
                tb_num(out, ok && g < r->G, g < r->G ? r->group_mean[g] : 0);
        fputc('\n', out);
    }
}

int rep_print(FILE *out, const rep_table *t, const rep_data *d, const rep_opts *o,
              dett_err *e)
{
    if (o->format == REP_LATEX) tb_print_latex(out, t, d, o);
    else if (o->format == REP_CSV) tb_print_csv(out, t, d, o);
    else tb_print_md(out, t, d, o);
    if (ferror(out)) return dett_fail(e, "report: write error on the output");
    return 0;
}
