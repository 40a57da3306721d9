/* report_pivot.c - `dett report --pivot method`: the compact benchmark x
 * method table of a paper. One line per dataset, student architecture and
 * teacher configuration; one column per method (student rows; the method's
 * arguments, weighting, epochs, optimiser or batch join the name only where
 * they differ between rows of that method on one dataset and architecture,
 * so each benchmark's own epochs and batch keep one column); each cell the test worst-group
 * accuracy, mean ± std over seeds; the teacher's in its own column. */
#define _POSIX_C_SOURCE 200809L
#include "report_internal.h"
#include "results_format.h"
#include <math.h>
#include <stdlib.h>
#include <string.h>

enum { PV_NAME = 300 };

typedef struct {
    int n_lines, n_cols;
    int *line_row;            /* [n_lines] a student row of the line (its key) */
    int *cell;                /* [n_lines * n_cols] row index or -1 */
    int *teacher;             /* [n_lines] teacher row or -1 */
    char (*col)[PV_NAME];     /* [n_cols] column names */
    char (*name)[PV_NAME];    /* [t->n] the column name of each row */
    int teacher_models_vary;  /* the lines have different teacher configurations */
} pv_table;

/* the fields of job x not chosen by --tune */
static void pv_untuned(const rep_data *d, const rep_opts *o, int row_first, rep_job *x)
{
    rep_job_untuned(&d->jobs[row_first], o->tune, x);
}

/* the column name of each student row: the method, plus what tells it
 * apart from other rows of the same method */
static void pv_names(pv_table *p, const rep_table *t, const rep_data *d, const rep_opts *o)
{
    enum { ARGS, WEIGHTING, EPOCHS, OPTIM, BATCH, N };
    for (int r = 0; r < t->n; r++) {
        if (t->rows[r].section != REP_SEC_STUDENT) continue;
        rep_job x, y;
        int vary[N] = {0};
        pv_untuned(d, o, t->rows[r].first, &x);
        for (int q = 0; q < t->n; q++) {
            if (q == r || t->rows[q].section != REP_SEC_STUDENT) continue;
            pv_untuned(d, o, t->rows[q].first, &y);
            /* only rows that can share a line need telling apart: a
             * benchmark's own epochs or batch don't split a column */
            if (strcmp(x.method, y.method) || strcmp(x.dataset, y.dataset) ||
                strcmp(x.arch, y.arch))
                continue;
            vary[ARGS] |= strcmp(x.method_args, y.method_args) != 0;
            if (strcmp(x.method_args, y.method_args)) continue;
            vary[WEIGHTING] |= strcmp(x.weighting, y.weighting) != 0;
            vary[EPOCHS] |= x.epochs != y.epochs;
            vary[OPTIM] |= strcmp(x.optim, y.optim) != 0;
            vary[BATCH] |= x.batch != y.batch;
        }
        char *s = p->name[r];
        size_t n;
        rep_fmt(s, PV_NAME, "%s", x.method);
        n = strlen(s);
        if (vary[ARGS] && x.method_args[0]) rep_fmt(s + n, PV_NAME - n, "(%s)", x.method_args);
        n = strlen(s);
        if (vary[WEIGHTING]) rep_fmt(s + n, PV_NAME - n, " w=%s", x.weighting);
        n = strlen(s);
        if (vary[EPOCHS]) rep_fmt(s + n, PV_NAME - n, " epochs=%d", x.epochs);
        n = strlen(s);
        if (vary[OPTIM] && x.optim[0]) rep_fmt(s + n, PV_NAME - n, " %s", x.optim);
        n = strlen(s);
        if (vary[BATCH]) rep_fmt(s + n, PV_NAME - n, " batch=%d", x.batch);
    }
}

/* the teacher row of student row r: the row holding the teacher job of one
 * of its seeds (same file and id, or, for a teacher repeated in another
 * file, the same configuration hash), or -1 */
static int pv_teacher_row(const rep_table *t, const rep_data *d, int r)
{
    const rep_row *row = &t->rows[r];
    for (int s = 0; s < row->n_seeds; s++) {
        const rep_job *j = &d->jobs[row->seed_job[s]], *tj = NULL;
        for (int k = 0; k < d->n_jobs && !tj; k++)
            if (d->jobs[k].file == j->file && !strcmp(d->jobs[k].id, j->teacher))
                tj = &d->jobs[k];
        if (!tj) continue;
        for (int q = 0; q < t->n; q++) {
            if (t->rows[q].section != REP_SEC_TEACHER) continue;
            for (int u = 0; u < t->rows[q].n_seeds; u++) {
                const rep_job *k = &d->jobs[t->rows[q].seed_job[u]];
                if (k == tj || (tj->hash[0] && !strcmp(k->hash, tj->hash))) return q;
            }
        }
    }
    return -1;
}

static void pv_free(pv_table *p)
{
    free(p->line_row);
    free(p->cell);
    free(p->teacher);
    free(p->col);
    free(p->name);
}

static int pv_build(pv_table *p, const rep_table *t, const rep_data *d, const rep_opts *o,
                    dett_err *e)
{
    size_t n = (size_t)t->n + 1;
    memset(p, 0, sizeof *p);
    p->line_row = malloc(n * sizeof *p->line_row);
    p->teacher = malloc(n * sizeof *p->teacher);
    p->cell = malloc(n * n * sizeof *p->cell);
    p->col = calloc(n, sizeof *p->col);
    p->name = calloc(n, sizeof *p->name);
    if (!p->line_row || !p->teacher || !p->cell || !p->col || !p->name) {
        pv_free(p);
        return dett_fail(e, "report: out of memory");
    }
    pv_names(p, t, d, o);
    /* columns in table order */
    for (int r = 0; r < t->n; r++) {
        if (t->rows[r].section != REP_SEC_STUDENT) continue;
        int c = 0;
        while (c < p->n_cols && strcmp(p->col[c], p->name[r])) c++;
        if (c == p->n_cols) memcpy(p->col[p->n_cols++], p->name[r], PV_NAME);
    }
    /* lines: rows with a teacher by dataset, arch and teacher; rows without
     * one (erm, groupdro) join every line of their dataset and arch, or form
     * their own if no row there has a teacher */
    for (int pass = 0; pass < 2; pass++)
        for (int r = 0; r < t->n; r++) {
            const rep_row *row = &t->rows[r];
            if (row->section != REP_SEC_STUDENT) continue;
            const rep_job *j = &d->jobs[row->first];
            int shared = 0;
            if (!j->teacher_key[0])
                for (int q = 0; q < t->n && !shared; q++) {
                    const rep_job *k = &d->jobs[t->rows[q].first];
                    shared = t->rows[q].section == REP_SEC_STUDENT && k->teacher_key[0] &&
                             !strcmp(j->dataset, k->dataset) && !strcmp(j->arch, k->arch);
                }
            if (pass != shared) continue;
            int c = 0, found = 0;
            while (strcmp(p->col[c], p->name[r])) c++;
            for (int l = 0; l < p->n_lines; l++) {
                const rep_job *k = &d->jobs[t->rows[p->line_row[l]].first];
                if (strcmp(j->dataset, k->dataset) || strcmp(j->arch, k->arch) ||
                    (!shared && strcmp(j->teacher_key, k->teacher_key)))
                    continue;
                int *cell = &p->cell[(size_t)l * n + (size_t)c];
                if (*cell < 0) *cell = r;    /* never two: rows differ in something named */
                found = 1;
            }
            if (!found) {
                int l = p->n_lines++;
                p->line_row[l] = r;
                p->teacher[l] = pv_teacher_row(t, d, r);
                for (int q = 0; q < t->n; q++) p->cell[(size_t)l * n + (size_t)q] = -1;
                p->cell[(size_t)l * n + (size_t)c] = r;
            }
        }
    for (int l = 1; l < p->n_lines; l++) {
        const rep_job *a = &d->jobs[t->rows[p->line_row[l]].first],
                      *b = &d->jobs[t->rows[p->line_row[0]].first];
        p->teacher_models_vary |= strcmp(a->teacher_key, b->teacher_key) != 0;
    }
    return 0;
}

static int pv_cell(const pv_table *p, const rep_table *t, int l, int c)
{
    return p->cell[(size_t)l * ((size_t)t->n + 1) + (size_t)c];
}

/* the most seeds any cell finished: cells with fewer say their n */
static int pv_max_n(const pv_table *p, const rep_table *t)
{
    int m = 0;
    for (int l = 0; l < p->n_lines; l++)
        for (int c = 0; c < p->n_cols; c++) {
            int r = pv_cell(p, t, l, c);
            if (r >= 0 && t->rows[r].n_done > m) m = t->rows[r].n_done;
        }
    return m;
}

/* the best cell of line l apart from groupdro (the baseline that trains with
 * group labels), rounded as printed; -1 if fewer than two compete */
static int pv_best(const pv_table *p, const rep_table *t, const rep_data *d, int l)
{
    int best = -1, n = 0;
    double bv = -INFINITY;
    for (int c = 0; c < p->n_cols; c++) {
        int r = pv_cell(p, t, l, c);
        if (r < 0 || t->rows[r].n_done == 0 || t->rows[r].is_baseline ||
            !strcmp(d->jobs[t->rows[r].first].method, "groupdro"))
            continue;
        double v = round(t->rows[r].worst_mean * 10.0) / 10.0;
        n++;
        if (v > bv) bv = v, best = c;
    }
    return n >= 2 ? best : -1;
}

/* the dataset's file name without directories and ".h5" */
static void pv_dataset(const char *path, char *buf, size_t cap)
{
    const char *b = strrchr(path, '/');
    rep_fmt(buf, cap, "%s", b ? b + 1 : path);
    char *dot = strrchr(buf, '.');
    if (dot && !strcmp(dot, ".h5")) *dot = '\0';
}

/* a cell: "mean ± std", "(n=K)" when fewer seeds than max_n finished, the
 * status words when none did; the teacher's without "± 0.0" for one seed */
static void pv_stat(FILE *out, rep_format f, const rep_row *r, int max_n, int bold,
                    int teacher)
{
    char st[128];
    if (r->n_done == 0) {
        rep_unfinished(r, 0, st, sizeof st);
        fputs(st, out);
        return;
    }
    const char *b0 = "", *b1 = "";
    if (bold) b0 = f == REP_LATEX ? "\\textbf{" : "**", b1 = f == REP_LATEX ? "}" : "**";
    fprintf(out, "%s%.1f", b0, r->worst_mean);
    if (!(teacher && r->n_done == 1))
        fprintf(out, f == REP_LATEX ? " $\\pm$ %.1f" : " ± %.1f", r->worst_std);
    fputs(b1, out);
    if (!teacher && r->n_done < max_n) fprintf(out, " (n=%d)", r->n_done);
}

static void pv_csv_num(FILE *out, int ok, double x)
{
    if (ok) fprintf(out, ",%.4f", x);
    else fputc(',', out);
}

static void pv_csv(FILE *out, const pv_table *p, const rep_table *t, const rep_data *d,
                   const rep_opts *o)
{
    char h[PV_NAME + 16];
    const char *sp = o->sem ? "sem" : "std";
    fprintf(out, "benchmark,student,dataset,teacher_model,teacher_mean,teacher_%s,teacher_n",
            sp);
    for (int c = 0; c < p->n_cols; c++) {
        const char *suffix[3] = {"mean", sp, "n"};
        for (int k = 0; k < 3; k++) {
            fputc(',', out);
            rep_fmt(h, sizeof h, "%s %s", p->col[c], suffix[k]);
            rep_text(out, REP_CSV, h);
        }
    }
    fputc('\n', out);
    for (int l = 0; l < p->n_lines; l++) {
        const rep_job *j = &d->jobs[t->rows[p->line_row[l]].first];
        char ds[520];
        pv_dataset(j->dataset, ds, sizeof ds);
        rep_text(out, REP_CSV, ds);
        fputc(',', out);
        rep_text(out, REP_CSV, j->arch);
        fputc(',', out);
        rep_text(out, REP_CSV, j->dataset);
        fputc(',', out);
        rep_text(out, REP_CSV, j->teacher_label);
        const rep_row *tr = p->teacher[l] >= 0 ? &t->rows[p->teacher[l]] : NULL;
        int tok = tr && tr->n_done > 0;
        pv_csv_num(out, tok, tok ? tr->worst_mean : 0);
        pv_csv_num(out, tok, tok ? tr->worst_std : 0);
        fprintf(out, ",%d", tr ? tr->n_done : 0);
        for (int c = 0; c < p->n_cols; c++) {
            int r = pv_cell(p, t, l, c);
            const rep_row *row = r >= 0 ? &t->rows[r] : NULL;
            int ok = row && row->n_done > 0;
            pv_csv_num(out, ok, ok ? row->worst_mean : 0);
            pv_csv_num(out, ok, ok ? row->worst_std : 0);
            if (row) fprintf(out, ",%d", row->n_done);
            else fputc(',', out);
        }
        fputc('\n', out);
    }
}

/* Markdown and LaTeX share the layout; sep/end are the cell and line ends */
static void pv_text(FILE *out, rep_format f, const pv_table *p, const rep_table *t,
                    const rep_data *d)
{
    int latex = f == REP_LATEX, max_n = pv_max_n(p, t);
    const char *sep = latex ? " & " : " | ", *end = latex ? " \\\\\n" : " |\n";
    if (latex) {
        fputs("\\begin{tabular}{ll", out);
        if (p->teacher_models_vary) fputc('l', out);
        fputc('r', out);
        for (int c = 0; c < p->n_cols; c++) fputc('r', out);
        fputs("}\n\\toprule\nBenchmark & Student", out);
    } else fputs("| benchmark | student", out);
    if (p->teacher_models_vary) fputs(latex ? " & Teacher model" : " | teacher model", out);
    fputs(latex ? " & Teacher" : " | teacher", out);
    for (int c = 0; c < p->n_cols; c++) {
        fputs(sep, out);
        rep_text(out, f, p->col[c]);
    }
    fputs(end, out);
    if (latex) fputs("\\midrule\n", out);
    else {
        fputs("| --- | ---", out);
        if (p->teacher_models_vary) fputs(" | ---", out);
        for (int c = 0; c <= p->n_cols; c++) fputs(" | ---:", out);
        fputs(" |\n", out);
    }
    for (int l = 0; l < p->n_lines; l++) {
        const rep_job *j = &d->jobs[t->rows[p->line_row[l]].first];
        char ds[520];
        pv_dataset(j->dataset, ds, sizeof ds);
        if (!latex) fputs("| ", out);
        rep_text(out, f, ds);
        fputs(sep, out);
        rep_text(out, f, j->arch);
        if (p->teacher_models_vary) {
            fputs(sep, out);
            rep_text(out, f, j->teacher_label[0] ? j->teacher_label : "none");
        }
        fputs(sep, out);
        if (p->teacher[l] >= 0) pv_stat(out, f, &t->rows[p->teacher[l]], max_n, 0, 1);
        else fputs(latex ? "---" : "—", out);
        int best = pv_best(p, t, d, l);
        for (int c = 0; c < p->n_cols; c++) {
            int r = pv_cell(p, t, l, c);
            fputs(sep, out);
            if (r >= 0) pv_stat(out, f, &t->rows[r], max_n, c == best, 0);
        }
        fputs(end, out);
    }
    if (latex) fputs("\\bottomrule\n\\end{tabular}\n", out);
}

int rep_print_pivot(FILE *out, const rep_table *t, const rep_data *d, const rep_opts *o,
                    dett_err *e)
{
    pv_table p;
    if (pv_build(&p, t, d, o, e)) return -1;
    const char *pre = o->format == REP_LATEX ? "% " : "";
    int max_n = pv_max_n(&p, t);
    if (o->format == REP_CSV) pv_csv(out, &p, t, d, o);
    else {
        if (o->format == REP_MD) fputs("# dett report: worst-group accuracy by method\n\n", out);
        rep_intro(out, d, o, pre);
        fprintf(out, "%sCells: test worst-group accuracy (%%), mean ± %s over %d seeds "
                "((n=K): fewer finished); teacher: its own, one line per teacher configuration. "
                "Bold: the best of the line apart from groupdro, which trains with group "
                "labels (the baseline).\n", pre, o->sem ? rep_spread_text(o) : "std", max_n);
        if (o->format == REP_MD) fputc('\n', out);
        if (p.n_lines == 0) fprintf(out, "%sNo student rows.\n", pre);
        else pv_text(out, o->format, &p, t, d);
    }
    pv_free(&p);
    if (ferror(out)) return dett_fail(e, "report: write error on the output");
    return 0;
}
