/* report_svg.c - plots as hand-written SVG:
 *   curves.svg      test worst-group accuracy per epoch per row: mean line and
 *                   a min..max band over seeds
 *   groups.svg      per-group test accuracy at the selected epoch (bars, mean
 *                   over seeds), one colour per row
 *   axis_<key>.svg  worst-group accuracy (mean ± std) against a numeric grid
 *                   value (method_args / weighting key, or "width" of the arch)
 *                   that takes >= 2 values within one series
 */
#define _POSIX_C_SOURCE 200809L
#include "report_internal.h"
#include "results_format.h"
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/* ---- drawing helpers ------------------------------------------------------------ */

static const char *const sv_palette[10] = {"#1f77b4", "#ff7f0e", "#2ca02c", "#d62728",
                                           "#9467bd", "#8c564b", "#e377c2", "#7f7f7f",
                                           "#bcbd22", "#17becf"};

enum { SV_LEFT = 70, SV_TOP = 50, SV_PW = 520, SV_PH = 360, SV_BOTTOM = 60, SV_LEG_ROW = 20 };
#define SV_CHAR_W 7.0                /* px per character at font-size 12 (approx.) */

typedef struct {
    double lo, hi;                   /* data range mapped onto [p0, p1] px */
    double p0, p1;
    int log;
} sv_scale;

static double sv_map(const sv_scale *s, double v)
{
    double a = s->log ? log10(s->lo) : s->lo, b = s->log ? log10(s->hi) : s->hi;
    double x = s->log ? log10(v) : v;
    if (b == a) return 0.5 * (s->p0 + s->p1);
    return s->p0 + (x - a) / (b - a) * (s->p1 - s->p0);
}

/* a step of 1, 2 or 5 times a power of ten giving about 5 ticks over [lo, hi] */
static double sv_step(double lo, double hi)
{
    double range = hi - lo, rough, mag, norm;
    if (!(range > 0)) return 1.0;
    rough = range / 5.0;
    mag = pow(10.0, floor(log10(rough)));
    norm = rough / mag;
    return (norm < 1.5 ? 1.0 : norm < 3.0 ? 2.0 : norm < 7.0 ? 5.0 : 10.0) * mag;
}

/* the accuracy axis: [lo, hi] widened to ticks, within [0, 100] */
static void sv_acc_range(double lo, double hi, double *a, double *b, double *step)
{
    if (!(lo <= hi)) lo = 0, hi = 100;
    if (hi - lo < 2.0) lo -= 1.0, hi += 1.0;
    double pad = 0.05 * (hi - lo);   /* keep points and bars off the frame */
    lo -= pad, hi += pad;
    *step = sv_step(lo, hi);
    *a = floor(lo / *step) * *step;
    *b = ceil(hi / *step) * *step;
    if (*a < 0) *a = 0;
    if (*b > 100) *b = 100;
    if (*b <= *a) *a = 0, *b = 100, *step = 20;
}

static void sv_esc(FILE *out, const char *s)
{
    for (; *s; s++) {
        switch (*s) {
        case '&': fputs("&amp;", out); break;
        case '<': fputs("&lt;", out); break;
        case '>': fputs("&gt;", out); break;
        case '"': fputs("&quot;", out); break;
        default: fputc(*s, out);
        }
    }
}

static const char *sv_colour(int k) { return sv_palette[k % 10]; }
/* past ten series the colours repeat with a dash pattern */
static const char *sv_dash(int k, int teacher)
{
    if (teacher) return " stroke-dasharray=\"6 3\"";
    return k >= 10 ? " stroke-dasharray=\"2 2\"" : "";
}

static void sv_begin(FILE *out, int w, int h, const char *title)
{
    fprintf(out,
            "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" "
            "viewBox=\"0 0 %d %d\" font-family=\"Helvetica, Arial, sans-serif\" "
            "font-size=\"12\">\n"
            "<rect x=\"0\" y=\"0\" width=\"%d\" height=\"%d\" fill=\"white\"/>\n"
            "<text x=\"%d\" y=\"24\" font-size=\"15\" font-weight=\"bold\">",
            w, h, w, h, w, h, SV_LEFT);
    sv_esc(out, title);
    fputs("</text>\n", out);
}

/* the frame, the y (accuracy) axis with its grid, and both axis titles */
static void sv_frame(FILE *out, const sv_scale *y, double step, const char *xlabel,
                     const char *ylabel)
{
    for (double v = y->lo; v <= y->hi + 1e-9; v += step) {
        double py = sv_map(y, v);
        fprintf(out,
                "<line x1=\"%d\" y1=\"%.1f\" x2=\"%d\" y2=\"%.1f\" stroke=\"#e0e0e0\"/>\n"
                "<text x=\"%d\" y=\"%.1f\" text-anchor=\"end\">%g</text>\n",
                SV_LEFT, py, SV_LEFT + SV_PW, py, SV_LEFT - 6, py + 4, v);
    }
    fprintf(out,
            "<rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" fill=\"none\" "
            "stroke=\"#333\"/>\n",
            SV_LEFT, SV_TOP, SV_PW, SV_PH);
    fprintf(out, "<text x=\"%d\" y=\"%d\" text-anchor=\"middle\">", SV_LEFT + SV_PW / 2,
            SV_TOP + SV_PH + 42);
    sv_esc(out, xlabel);
    fprintf(out,
            "</text>\n<text x=\"0\" y=\"0\" text-anchor=\"middle\" "
            "transform=\"translate(20,%d) rotate(-90)\">",
            SV_TOP + SV_PH / 2);
    sv_esc(out, ylabel);
    fputs("</text>\n", out);
}

/* an x tick with its label */
static void sv_xtick(FILE *out, double px, const char *label)
{
    fprintf(out,
            "<line x1=\"%.1f\" y1=\"%d\" x2=\"%.1f\" y2=\"%d\" stroke=\"#333\"/>\n"
            "<text x=\"%.1f\" y=\"%d\" text-anchor=\"middle\">",
            px, SV_TOP + SV_PH, px, SV_TOP + SV_PH + 5, px, SV_TOP + SV_PH + 19);
    sv_esc(out, label);
    fputs("</text>\n", out);
}

/* the legend right of the plot: a line (or box) in each colour and the label */
static void sv_legend(FILE *out, int n, const char *const *labels, const int *styles,
                      const int *teacher, int boxes)
{
    int x = SV_LEFT + SV_PW + 20;
    for (int k = 0; k < n; k++) {
        int y = SV_TOP + 8 + k * SV_LEG_ROW;
        if (boxes)
            fprintf(out, "<rect x=\"%d\" y=\"%d\" width=\"22\" height=\"10\" fill=\"%s\"/>\n",
                    x, y - 5, sv_colour(styles[k]));
        else
            fprintf(out,
                    "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"%s\" "
                    "stroke-width=\"2.5\"%s/>\n",
                    x, y, x + 22, y, sv_colour(styles[k]),
                    sv_dash(styles[k], teacher ? teacher[k] : 0));
        fprintf(out, "<text x=\"%d\" y=\"%d\">", x + 30, y + 4);
        sv_esc(out, labels[k]);
        fputs("</text>\n", out);
    }
}

/* width and height of a plot whose legend has n labels */
static void sv_size(int n, const char *const *labels, int *w, int *h)
{
    size_t longest = 0;
    for (int k = 0; k < n; k++)
        if (strlen(labels[k]) > longest) longest = strlen(labels[k]);
    *w = SV_LEFT + SV_PW + 20 + 30 + (int)(SV_CHAR_W * (double)longest) + 20;
    *h = SV_TOP + SV_PH + SV_BOTTOM;
    if (SV_TOP + 8 + n * SV_LEG_ROW + 10 > *h) *h = SV_TOP + 8 + n * SV_LEG_ROW + 10;
}

static int sv_close(FILE *out, const char *path, dett_err *e)
{
    fputs("</svg>\n", out);
    int bad = ferror(out);
    if (fclose(out) != 0 || bad) return dett_fail(e, "%s: write error", path);
    return 0;
}

static FILE *sv_open(const char *dir, const char *name, char *path, size_t cap, dett_err *e)
{
    snprintf(path, cap, "%s/%s", dir, name);
    FILE *f = fopen(path, "w");
    if (!f) dett_fail(e, "%s: %s", path, strerror(errno));
    return f;
}

/* mkdir -p */
static int sv_mkdir(const char *dir, dett_err *e)
{
    char buf[1024];
    struct stat st;
    if (strlen(dir) >= sizeof buf) return dett_fail(e, "--plots: directory name too long");
    strcpy(buf, dir);
    for (char *p = buf + 1;; p++) {
        if (*p != '/' && *p != '\0') continue;
        char c = *p;
        *p = '\0';
        if (mkdir(buf, 0777) != 0 && errno != EEXIST)
            return dett_fail(e, "--plots: cannot create %s: %s", buf, strerror(errno));
        *p = c;
        if (!c) break;
    }
    if (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode))
        return dett_fail(e, "--plots: %s is not a directory", dir);
    return 0;
}

/* rows with at least one finished seed, in table order */
static int sv_rows(const rep_table *t, int *rows)
{
    int n = 0;
    for (int r = 0; r < t->n; r++)
        if (t->rows[r].n_done > 0) rows[n++] = r;
    return n;
}

/* ---- curves.svg -------------------------------------------------------------------- */

static int sv_curves(const char *dir, const rep_table *t, const rep_data *d, dett_err *e)
{
    char path[1100];
    int *rows = malloc(((size_t)t->n + 1) * sizeof *rows);
    const char **labels = malloc(((size_t)t->n + 1) * sizeof *labels);
    int *styles = malloc(((size_t)t->n + 1) * sizeof *styles);
    int *teacher = malloc(((size_t)t->n + 1) * sizeof *teacher);
    double *lo = NULL, *hi = NULL, *mean = NULL;
    FILE *out = NULL;
    int rc = -1, n, maxE = 1, w, h;
    double ymin = INFINITY, ymax = -INFINITY;
    CHECK_ALLOC(e, rows);
    CHECK_ALLOC(e, labels);
    CHECK_ALLOC(e, styles);
    CHECK_ALLOC(e, teacher);
    n = sv_rows(t, rows);
    for (int k = 0; k < n; k++) {
        const rep_row *r = &t->rows[rows[k]];
        labels[k] = r->label;
        styles[k] = k;
        teacher[k] = r->section == REP_SEC_TEACHER;
        if (d->jobs[r->first].epochs > maxE) maxE = d->jobs[r->first].epochs;
    }
    /* per row and epoch: mean, min, max over finished seeds (NaN: not run) */
    lo = malloc((size_t)(n + 1) * (size_t)maxE * sizeof *lo);
    hi = malloc((size_t)(n + 1) * (size_t)maxE * sizeof *hi);
    mean = malloc((size_t)(n + 1) * (size_t)maxE * sizeof *mean);
    CHECK_ALLOC(e, lo);
    CHECK_ALLOC(e, hi);
    CHECK_ALLOC(e, mean);
    for (int k = 0; k < n; k++) {
        const rep_row *r = &t->rows[rows[k]];
        for (int ep = 0; ep < maxE; ep++) {
            double s = 0, a = INFINITY, b = -INFINITY;
            int m = 0;
            for (int q = 0; q < r->n_seeds; q++) {
                const rep_job *j = &d->jobs[r->seed_job[q]];
                if (j->status != JOB_DONE || ep >= j->epochs) continue;
                double v = 100.0 * j->worst[ep * 2 + 1];
                if (!isfinite(v)) continue;
                s += v, m++;
                if (v < a) a = v;
                if (v > b) b = v;
            }
            size_t i = (size_t)k * (size_t)maxE + (size_t)ep;
            mean[i] = m ? s / m : NAN;
            lo[i] = m ? a : NAN;
            hi[i] = m ? b : NAN;
            if (m && a < ymin) ymin = a;
            if (m && b > ymax) ymax = b;
        }
    }
    double ya, yb, ystep;
    sv_acc_range(ymin, ymax, &ya, &yb, &ystep);
    sv_scale y = {ya, yb, SV_TOP + SV_PH, SV_TOP, 0};
    sv_scale x = {maxE > 1 ? 1 : 0.5, maxE > 1 ? maxE : 1.5, SV_LEFT + 10, SV_LEFT + SV_PW - 10,
                  0};
    sv_size(n, labels, &w, &h);
    out = sv_open(dir, "curves.svg", path, sizeof path, e);
    if (!out) goto fail;
    sv_begin(out, w, h, "Test worst-group accuracy per epoch (mean; band: min..max over seeds)");
    sv_frame(out, &y, ystep, "epoch", "test worst-group accuracy (%)");
    /* epoch ticks: 1 and the multiples of a round step */
    double xstep = maxE > 1 ? ceil(sv_step(1, maxE)) : 1;
    for (double v = 1; v <= maxE + 1e-9; v = v == 1 && xstep > 1 ? xstep : v + xstep) {
        char lab[32];
        if (v != 1 && v < 1 + 0.5 * xstep) continue;   /* too close to the 1 */
        snprintf(lab, sizeof lab, "%g", v);
        sv_xtick(out, sv_map(&x, v), lab);
    }
    for (int k = 0; k < n; k++) {
        const double *m = mean + (size_t)k * (size_t)maxE, *a = lo + (size_t)k * (size_t)maxE,
                     *b = hi + (size_t)k * (size_t)maxE;
        /* band: along the max forwards, back along the min */
        fprintf(out, "<polygon fill=\"%s\" fill-opacity=\"0.15\" stroke=\"none\" points=\"",
                sv_colour(k));
        for (int ep = 0; ep < maxE; ep++)
            if (isfinite(b[ep])) fprintf(out, "%.1f,%.1f ", sv_map(&x, ep + 1), sv_map(&y, b[ep]));
        for (int ep = maxE - 1; ep >= 0; ep--)
            if (isfinite(a[ep])) fprintf(out, "%.1f,%.1f ", sv_map(&x, ep + 1), sv_map(&y, a[ep]));
        fputs("\"/>\n", out);
        fprintf(out, "<polyline fill=\"none\" stroke=\"%s\" stroke-width=\"2\"%s points=\"",
                sv_colour(k), sv_dash(k, teacher[k]));
        for (int ep = 0; ep < maxE; ep++)
            if (isfinite(m[ep])) fprintf(out, "%.1f,%.1f ", sv_map(&x, ep + 1), sv_map(&y, m[ep]));
        fputs("\"/>\n", out);
        if (maxE == 1 && isfinite(m[0]))
            fprintf(out, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"3\" fill=\"%s\"/>\n",
                    sv_map(&x, 1), sv_map(&y, m[0]), sv_colour(k));
    }
    sv_legend(out, n, labels, styles, teacher, 0);
    rc = sv_close(out, path, e);
    out = NULL;
fail:
    if (out) fclose(out);
    free(rows);
    free(labels);
    free(styles);
    free(teacher);
    free(lo);
    free(hi);
    free(mean);
    return rc;
}

/* ---- groups.svg ---------------------------------------------------------------------- */

static int sv_groups(const char *dir, const rep_table *t, dett_err *e)
{
    char path[1100];
    int *rows = malloc(((size_t)t->n + 1) * sizeof *rows);
    const char **labels = malloc(((size_t)t->n + 1) * sizeof *labels);
    int *styles = malloc(((size_t)t->n + 1) * sizeof *styles);
    FILE *out = NULL;
    int rc = -1, n, w, h, G = t->max_G > 0 ? t->max_G : 1;
    CHECK_ALLOC(e, rows);
    CHECK_ALLOC(e, labels);
    CHECK_ALLOC(e, styles);
    n = sv_rows(t, rows);
    for (int k = 0; k < n; k++) labels[k] = t->rows[rows[k]].label, styles[k] = k;
    sv_scale y = {0, 100, SV_TOP + SV_PH, SV_TOP, 0};
    sv_size(n, labels, &w, &h);
    out = sv_open(dir, "groups.svg", path, sizeof path, e);
    if (!out) goto fail;
    sv_begin(out, w, h, "Test accuracy per group at the selected epoch (mean over seeds)");
    sv_frame(out, &y, 20, "group g = y * A + a", "test accuracy (%)");
    double slot = (double)SV_PW / G, bw = n ? slot * 0.8 / n : 0;
    for (int g = 0; g < G; g++) {
        char lab[64];
        double x0 = SV_LEFT + g * slot + slot * 0.1;
        if (t->common_A > 0)
            snprintf(lab, sizeof lab, "g%d (y=%d,a=%d)", g, g / t->common_A, g % t->common_A);
        else snprintf(lab, sizeof lab, "g%d", g);
        sv_xtick(out, SV_LEFT + (g + 0.5) * slot, lab);
        for (int k = 0; k < n; k++) {
            const rep_row *r = &t->rows[rows[k]];
            if (g >= r->G || !isfinite(r->group_mean[g])) continue;
            double top = sv_map(&y, r->group_mean[g]);
            fprintf(out,
                    "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" fill=\"%s\">"
                    "<title>",
                    x0 + k * bw, top, bw > 1.5 ? bw - 1 : bw, SV_TOP + SV_PH - top,
                    sv_colour(k));
            sv_esc(out, r->label);
            fprintf(out, ": %.1f%%</title></rect>\n", r->group_mean[g]);
        }
    }
    sv_legend(out, n, labels, styles, NULL, 1);
    rc = sv_close(out, path, e);
    out = NULL;
fail:
    if (out) fclose(out);
    free(rows);
    free(labels);
    free(styles);
    return rc;
}

/* ---- axis_<key>.svg -------------------------------------------------------------------- */

enum { SV_NCOMP = 7 };
typedef struct {
    char id[2600];                   /* the row's configuration without key */
    /* label parts: method(args), weighting, arch, dataset, teacher, epochs,
     * optimiser and batch */
    char comp[SV_NCOMP][300];
    char label[400];
    int n;
    double x[64], m[64], s[64];      /* value, mean and std of worst-group acc */
} sv_series;

/* every key of "k=v,..." or "name(k=v,...)" not yet in keys[0..*n) */
static void sv_collect_keys(const char *args, char keys[][32], int *n, int cap)
{
    const char *p = strchr(args, '(');
    p = p ? p + 1 : args;
    while (*p) {
        size_t len = strcspn(p, "=,)");
        if (p[len] == '=' && len > 0 && len < 32) {
            char k[32];
            memcpy(k, p, len);
            k[len] = '\0';
            int seen = 0;
            for (int q = 0; q < *n; q++) seen |= !strcmp(keys[q], k);
            if (!seen && *n < cap) strcpy(keys[(*n)++], k);
        }
        p += len;
        p += strcspn(p, ",");        /* skip the value */
        if (*p == ',') p++;
    }
}

/* the series identity and label of row r without key, nor the keys that
 * --tune chose per row (a series joins rows whose tuned values differ) */
static void sv_series_of(const rep_row *r, const rep_data *d, const char *key,
                         const char *tune, char *id, size_t idcap, char *args, size_t acap,
                         char *wt, size_t wcap)
{
    rep_job u;
    rep_job_untuned(&d->jobs[r->first], tune, &u);
    rep_args_without(u.method_args, key, args, acap);
    rep_args_without(u.weighting, key, wt, wcap);
    rep_fmt(id, idcap, "%d|%s|%s|%s|%s|%s|%s|%d|%s|%d", (int)r->section, u.method, args, wt,
             strcmp(key, "width") ? u.arch : "", u.dataset, u.teacher_key, u.epochs, u.optim,
             u.batch);
}

/* each series' label: method(args), then every other part that differs
 * between series (the weighting only between series of the same
 * method(args), as it usually repeats the args; the teacher only between
 * series that have one); equal labels numbered */
static void sv_series_labels(sv_series *S, int ns)
{
    for (int s = 0; s < ns; s++) rep_fmt(S[s].label, sizeof S[s].label, "%s", S[s].comp[0]);
    for (int c = 1; c < SV_NCOMP; c++) {
        int vary = 0;
        for (int s = 0; s < ns && !vary; s++)
            for (int q = 0; q < s && !vary; q++) {
                if (c == 1 && strcmp(S[s].comp[0], S[q].comp[0])) continue;
                if (c == 4 && (!S[s].comp[4][0] || !S[q].comp[4][0])) continue;
                vary = strcmp(S[s].comp[c], S[q].comp[c]) != 0;
            }
        if (!vary) continue;
        for (int s = 0; s < ns; s++) {
            size_t n = strlen(S[s].label);
            if (S[s].comp[c][0])
                rep_fmt(S[s].label + n, sizeof S[s].label - n, " %s", S[s].comp[c]);
        }
    }
    for (int s = 0; s < ns; s++)
        for (int q = 0; q < s; q++)
            if (!strcmp(S[q].label, S[s].label)) {
                size_t n = strlen(S[s].label);
                rep_fmt(S[s].label + n, sizeof S[s].label - n, " #%d", s + 1);
                break;
            }
}

static int sv_axis(const char *dir, const rep_table *t, const rep_data *d, const char *key,
                   const char *tune, dett_err *e)
{
    char path[1100], name[64], args[200], wt[200];
    int rc = 0, ns = 0, cap = t->n + 1;
    sv_series *S = calloc((size_t)cap, sizeof *S);
    FILE *out = NULL;
    CHECK_ALLOC(e, S);
    rc = -1;
    for (int q = 0; q < t->n; q++) {
        const rep_row *r = &t->rows[q];
        double v;
        char id[2600];
        if (r->n_done == 0 || !rep_job_value(&d->jobs[r->first], key, &v)) continue;
        sv_series_of(r, d, key, tune, id, sizeof id, args, sizeof args, wt, sizeof wt);
        int s = 0;
        while (s < ns && strcmp(S[s].id, id)) s++;
        if (s == ns) {
            rep_job u;      /* the labels leave out what --tune chose per row */
            rep_job_untuned(&d->jobs[r->first], tune, &u);
            const rep_job *j = &u;
            const char *base = strrchr(j->dataset, '/');
            rep_fmt(S[s].id, sizeof S[s].id, "%s", id);
            rep_fmt(S[s].comp[0], sizeof S[s].comp[0], "%s%s%s%s%s", j->method,
                    args[0] ? "(" : "", args, args[0] ? ")" : "",
                    r->section == REP_SEC_TEACHER ? " (teacher)" : "");
            if (strcmp(wt, "none") && wt[0])
                rep_fmt(S[s].comp[1], sizeof S[s].comp[1], "w=%s", wt);
            if (strcmp(key, "width"))
                rep_fmt(S[s].comp[2], sizeof S[s].comp[2], "%s", j->arch);
            rep_fmt(S[s].comp[3], sizeof S[s].comp[3], "%s", base ? base + 1 : j->dataset);
            if (j->teacher_label[0])
                rep_fmt(S[s].comp[4], sizeof S[s].comp[4], "teacher=%s", j->teacher_label);
            if (j->epochs)
                rep_fmt(S[s].comp[5], sizeof S[s].comp[5], "epochs=%d", j->epochs);
            if (j->optim[0])
                rep_fmt(S[s].comp[6], sizeof S[s].comp[6], "%s", j->optim);
            if (j->batch) {
                size_t n6 = strlen(S[s].comp[6]);
                rep_fmt(S[s].comp[6] + n6, sizeof S[s].comp[6] - n6, "%sbatch=%d",
                        n6 ? " " : "", j->batch);
            }
            ns++;
        }
        int dup = 0;
        for (int p = 0; p < S[s].n; p++) dup |= S[s].x[p] == v;
        if (dup || S[s].n >= 64) continue;
        S[s].x[S[s].n] = v;
        S[s].m[S[s].n] = r->worst_mean;
        S[s].s[S[s].n] = r->worst_std;
        S[s].n++;
    }
    /* keep series with >= 2 values, sorted by value */
    int keep = 0;
    for (int s = 0; s < ns; s++) {
        if (S[s].n < 2) continue;
        for (int a = 1; a < S[s].n; a++)
            for (int b = a; b > 0 && S[s].x[b - 1] > S[s].x[b]; b--) {
                double tx = S[s].x[b], tm = S[s].m[b], ts = S[s].s[b];
                S[s].x[b] = S[s].x[b - 1], S[s].m[b] = S[s].m[b - 1], S[s].s[b] = S[s].s[b - 1];
                S[s].x[b - 1] = tx, S[s].m[b - 1] = tm, S[s].s[b - 1] = ts;
            }
        if (keep != s) S[keep] = S[s];
        keep++;
    }
    ns = keep;
    if (ns == 0) {
        rc = 0;
        goto fail;
    }
    sv_series_labels(S, ns);
    /* x: every distinct value is a tick; log scale when they span >= 10x */
    double xs[256];
    int nx = 0;
    double ymin = INFINITY, ymax = -INFINITY;
    for (int s = 0; s < ns; s++)
        for (int p = 0; p < S[s].n; p++) {
            int seen = 0;
            for (int q = 0; q < nx; q++) seen |= xs[q] == S[s].x[p];
            if (!seen && nx < 256) xs[nx++] = S[s].x[p];
            double lo = S[s].m[p] - S[s].s[p], hi = S[s].m[p] + S[s].s[p];
            if (lo < ymin) ymin = lo;
            if (hi > ymax) ymax = hi;
        }
    double xmin = xs[0], xmax = xs[0];
    for (int q = 1; q < nx; q++) {
        if (xs[q] < xmin) xmin = xs[q];
        if (xs[q] > xmax) xmax = xs[q];
    }
    int logx = xmin > 0 && xmax / xmin >= 10;
    sv_scale x = {xmin, xmax, SV_LEFT + 40, SV_LEFT + SV_PW - 40, logx};
    double ya, yb, ystep;
    sv_acc_range(ymin, ymax, &ya, &yb, &ystep);
    sv_scale y = {ya, yb, SV_TOP + SV_PH, SV_TOP, 0};
    const char *labels[256];
    int styles[256], w, h;
    if (ns > 256) ns = 256;
    for (int s = 0; s < ns; s++) labels[s] = S[s].label, styles[s] = s;
    sv_size(ns, labels, &w, &h);
    /* the file name: key with anything but [A-Za-z0-9_-] as '_' */
    rep_fmt(name, sizeof name, "axis_%s.svg", key);
    for (char *c = name + 5; *c && strcmp(c, ".svg"); c++)
        if (!((*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') || (*c >= '0' && *c <= '9') ||
              *c == '_' || *c == '-'))
            *c = '_';
    out = sv_open(dir, name, path, sizeof path, e);
    if (!out) goto fail;
    char title[160], xlabel[96];
    rep_fmt(title, sizeof title, "Test worst-group accuracy against %s (mean ± std over seeds)",
             key);
    rep_fmt(xlabel, sizeof xlabel, "%s%s", key, logx ? " (log scale)" : "");
    sv_begin(out, w, h, title);
    sv_frame(out, &y, ystep, xlabel, "test worst-group accuracy (%)");
    for (int q = 0; q < nx && nx <= 12; q++) {
        char lab[32];
        snprintf(lab, sizeof lab, "%g", xs[q]);
        sv_xtick(out, sv_map(&x, xs[q]), lab);
    }
    if (nx > 12) {
        char lab[32];
        snprintf(lab, sizeof lab, "%g", xmin);
        sv_xtick(out, sv_map(&x, xmin), lab);
        snprintf(lab, sizeof lab, "%g", xmax);
        sv_xtick(out, sv_map(&x, xmax), lab);
    }
    for (int s = 0; s < ns; s++) {
        /* series side by side by a few pixels, so error bars do not hide each other */
        double off = (s - (ns - 1) / 2.0) * 4.0;
        fprintf(out, "<polyline fill=\"none\" stroke=\"%s\" stroke-width=\"2\"%s points=\"",
                sv_colour(s), sv_dash(s, 0));
        for (int p = 0; p < S[s].n; p++)
            fprintf(out, "%.1f,%.1f ", sv_map(&x, S[s].x[p]) + off, sv_map(&y, S[s].m[p]));
        fputs("\"/>\n", out);
        for (int p = 0; p < S[s].n; p++) {
            double px = sv_map(&x, S[s].x[p]) + off;
            double y0 = sv_map(&y, fmax(S[s].m[p] - S[s].s[p], ya));
            double y1 = sv_map(&y, fmin(S[s].m[p] + S[s].s[p], yb));
            fprintf(out,
                    "<path d=\"M%.1f %.1fV%.1fM%.1f %.1fh8M%.1f %.1fh8\" stroke=\"%s\" "
                    "stroke-width=\"1.5\" fill=\"none\"/>\n"
                    "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"3.5\" fill=\"%s\"><title>",
                    px, y0, y1, px - 4, y0, px - 4, y1, sv_colour(s), px,
                    sv_map(&y, S[s].m[p]), sv_colour(s));
            sv_esc(out, S[s].label);
            fprintf(out, " %s=%g: %.1f ± %.1f</title></circle>\n", key, S[s].x[p], S[s].m[p],
                    S[s].s[p]);
        }
    }
    sv_legend(out, ns, labels, styles, NULL, 0);
    rc = sv_close(out, path, e);
    out = NULL;
fail:
    if (out) fclose(out);
    free(S);
    return rc;
}

/* every plot of the rows of t, into dir */
static int sv_plots_one(const char *dir, const rep_table *t, const rep_data *d,
                        const rep_opts *o, dett_err *e)
{
    char keys[64][32];
    int nk = 0;
    if (sv_mkdir(dir, e)) return -1;
    if (sv_curves(dir, t, d, e) || sv_groups(dir, t, e)) return -1;
    strcpy(keys[nk++], "width");
    for (int r = 0; r < t->n; r++) {
        const rep_job *j = &d->jobs[t->rows[r].first];
        sv_collect_keys(j->method_args, keys, &nk, 64);
        if (strchr(j->weighting, '(')) sv_collect_keys(j->weighting, keys, &nk, 64);
    }
    for (int k = 0; k < nk; k++)
        if (sv_axis(dir, t, d, keys[k], o->tune, e)) return -1;
    return 0;
}

/* the file name of a dataset path without directories and ".h5" */
static void sv_dataset_name(const char *path, char *buf, size_t cap)
{
    const char *b = strrchr(path, '/');
    snprintf(buf, cap, "%s", b ? b + 1 : path);
    char *dot = strrchr(buf, '.');
    if (dot && !strcmp(dot, ".h5")) *dot = '\0';
}

int rep_plots(const char *dir, const rep_table *t, const rep_data *d, const rep_opts *o,
              dett_err *e)
{
    /* one dataset: its plots in dir; several: one subdirectory each, named
     * after the data file, so that no figure mixes datasets */
    int several = 0;
    for (int r = 1; r < t->n && !several; r++)
        several = strcmp(d->jobs[t->rows[r].first].dataset, d->jobs[t->rows[0].first].dataset);
    if (!several) return sv_plots_one(dir, t, d, o, e);
    rep_table v = *t;               /* a view: rows shared with t, not owned */
    int rc = 0;
    v.rows = malloc(sizeof *v.rows * (size_t)t->n);
    if (!v.rows) return dett_fail(e, "out of memory");
    for (int r = 0; r < t->n && !rc; r++) {
        const char *ds = d->jobs[t->rows[r].first].dataset;
        int seen = 0;
        for (int q = 0; q < r && !seen; q++) seen = !strcmp(d->jobs[t->rows[q].first].dataset, ds);
        if (seen) continue;
        v.n = 0;
        for (int q = r; q < t->n; q++)
            if (!strcmp(d->jobs[t->rows[q].first].dataset, ds)) v.rows[v.n++] = t->rows[q];
        char name[520], sub[1600];
        sv_dataset_name(ds, name, sizeof name);
        if (rep_fmt(sub, sizeof sub, "%s/%s", dir, name)) {
            rc = dett_fail(e, "--plots: directory name too long");
            break;
        }
        rc = sv_plots_one(sub, &v, d, o, e);
    }
    free(v.rows);
    return rc;
}
