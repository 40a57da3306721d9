/* report_plot.c - the report's figures, drawn by plot.c, and their captions.
 *
 *   curves     test worst-group accuracy per epoch, one line per row
 *   groups     test accuracy per group g = (y, a) at the selected epoch,
 *              one marker per row (a dot plot: the y axis is zoomed, so
 *              bars from 0 would mislead)
 *   axis_KEY   test worst-group accuracy against a numeric grid value
 *              (a method or weighting argument, or "width" of the arch)
 *              that takes >= 2 values within a series; a key that several
 *              methods have gets one figure per method (axis_METHOD_KEY)
 *
 *   gap_bias_ARCH_epE  (rows over several datasets) each student's
 *              worst-group gap to its own teacher against the bias strength
 *              of its training data, measured from the data file (the share
 *              of training rows whose attribute is not their class's most
 *              common one); one figure per student architecture and
 *              budget (epochs), one series per method (report_plot.c's
 *              rp_gap_bias)
 *
 * Every mark is the mean over seeds and every band or bar mean ± sample std
 * over seeds (--stat sem: ± the standard error). A figure holds at most PLOT_MAX_SERIES series: more are
 * split into panels (files NAME-1, NAME-2, ...) by section and
 * architecture, then in order. Legends carry short labels (method and what
 * differs within the panel); the full configuration of each series, the
 * parts common to all, and the definitions go into DIR/figures.md.
 */
#define _POSIX_C_SOURCE 200809L
#include "plot.h"
#include "report_internal.h"
#include "results_format.h"
#include <errno.h>
#include <hdf5.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

_Static_assert((int)REP_PLOT_PDF == (int)PLOT_PDF && (int)REP_PLOT_SVG == (int)PLOT_SVG &&
                   (int)REP_PLOT_PNG == (int)PLOT_PNG,
               "--plot-format bits are plot.h's");

enum { RP_MAXPT = 64, RP_LABEL = 160, RP_PART = 320 };
enum { P_METHOD, P_WEIGHTING, P_ARCH, P_TEACHER, P_EPOCHS, P_OPTIM, P_BATCH, P_TUNED, P_SEEDS,
       N_PARTS };

/* a series of a figure: a row (curves, groups) or a family of rows along a
 * key (axis plots) */
typedef struct {
    int row;                          /* the (first) row */
    rep_section section;
    rep_job u;                        /* the row's first job without the tuned keys (and
                                         without the axis key): what the series is */
    char facet[400];                  /* panels split on this first */
    char label[RP_LABEL];             /* short, for the legend */
    char part[N_PARTS][RP_PART];      /* the full description, for the caption */
    int n;                            /* axis plots: points, by increasing x */
    double x[RP_MAXPT], m[RP_MAXPT], s[RP_MAXPT];
} rp_item;

/* ---- k=v lists ------------------------------------------------------------------------ */

typedef struct {
    char name[64];                    /* "sgd" of "sgd(...)"; the whole text if no '=' */
    int n;
    char k[16][32], v[16][64];
} rp_kv;

/* "k=v,k=v" or "name(k=v,...)"; a piece without '=' continues the previous
 * value ("betas=0.9,0.999") */
static void rp_kv_parse(const char *s, rp_kv *kv)
{
    memset(kv, 0, sizeof *kv);
    if (!strchr(s, '=')) {
        rep_fmt(kv->name, sizeof kv->name, "%s", s);
        return;
    }
    const char *open = strchr(s, '('), *p = s, *end = s + strlen(s);
    if (open && open < strchr(s, '=')) {
        rep_fmt(kv->name, sizeof kv->name, "%.*s", (int)(open - s), s);
        p = open + 1;
        if (end > p && end[-1] == ')') end--;
    }
    while (p < end) {
        const char *c = memchr(p, ',', (size_t)(end - p));
        size_t len = (size_t)((c ? c : end) - p);
        const char *eq = memchr(p, '=', len);
        if (eq && kv->n < 16) {
            rep_fmt(kv->k[kv->n], 32, "%.*s", (int)(eq - p), p);
            rep_fmt(kv->v[kv->n], 64, "%.*s", (int)(len - (size_t)(eq - p) - 1), eq + 1);
            kv->n++;
        } else if (!eq && kv->n > 0) {
            size_t m = strlen(kv->v[kv->n - 1]);
            rep_fmt(kv->v[kv->n - 1] + m, 64 - m, ",%.*s", (int)len, p);
        }
        p = c ? c + 1 : end;
    }
}

static const char *rp_kv_get(const rp_kv *kv, const char *k)
{
    for (int q = 0; q < kv->n; q++)
        if (!strcmp(kv->k[q], k)) return kv->v[q];
    return NULL;
}

/* appends the formatted text to buf[cap] (truncating) */
__attribute__((format(printf, 3, 4))) static void rp_add(char *buf, size_t cap,
                                                         const char *fmt, ...)
{
    size_t n = strlen(buf);
    va_list ap;
    va_start(ap, fmt);
    if (n + 1 < cap) vsnprintf(buf + n, cap - n, fmt, ap);
    va_end(ap);
}

/* ---- descriptions and labels -------------------------------------------------------------- */

static const char *rp_base(const char *path)
{
    const char *s = strrchr(path, '/');
    return s ? s + 1 : path;
}

/* the caption parts of item it (u filled) */
static void rp_describe(rp_item *it, const rep_row *r, const rep_data *d, const char *tune)
{
    const rep_job *u = &it->u;
    memset(it->part, 0, sizeof it->part);
    rep_fmt(it->part[P_METHOD], RP_PART, "%s%s%s%s%s", it->section == REP_SEC_TEACHER ?
            "teacher " : "", u->method, u->method_args[0] ? "(" : "", u->method_args,
            u->method_args[0] ? ")" : "");
    if (u->weighting[0] && strcmp(u->weighting, "none"))
        rep_fmt(it->part[P_WEIGHTING], RP_PART, "weighting %s", u->weighting);
    if (u->arch[0]) rep_fmt(it->part[P_ARCH], RP_PART, "arch %s", u->arch);
    if (u->teacher_label[0])
        rep_fmt(it->part[P_TEACHER], RP_PART, "teacher %s", u->teacher_label);
    if (u->epochs) rep_fmt(it->part[P_EPOCHS], RP_PART, "%d epochs", u->epochs);
    if (u->optim[0]) rep_fmt(it->part[P_OPTIM], RP_PART, "%s", u->optim);
    if (u->batch) rep_fmt(it->part[P_BATCH], RP_PART, "batch %d", u->batch);
    char keys[16][64], v[200];
    int nk = rep_tune_keys(tune, keys, 16);
    char head[64] = "";
    if (r->n_tuned > 1) snprintf(head, sizeof head, "chosen on validation of %d: ", r->n_tuned);
    for (int k = 0; k < nk; k++)
        if (rep_tune_value(&d->jobs[r->first], keys[k], v, sizeof v)) {
            if (!it->part[P_TUNED][0]) rep_fmt(it->part[P_TUNED], RP_PART, "%s", head);
            else rp_add(it->part[P_TUNED], RP_PART, "%s", ", ");
            rp_add(it->part[P_TUNED], RP_PART, "%s=%s", keys[k], v);
        }
    rep_fmt(it->part[P_SEEDS], RP_PART, "n = %d seed%s", r->n_done, r->n_done == 1 ? "" : "s");
}

/* the legend labels of the items of one panel: the method, then what
 * differs from other items of the panel (arguments and the optimiser only
 * between items of the same method, the weighting only between items of
 * the same method and arguments); equal labels numbered */
static void rp_labels(rp_item **P, int n)
{
    for (int i = 0; i < n; i++) {
        const rep_job *a = &P[i]->u;
        char *L = P[i]->label;
        rp_kv ka, oa;
        rp_kv_parse(a->method_args, &ka);
        rp_kv_parse(a->optim, &oa);
        rep_fmt(L, RP_LABEL, "%s%s", P[i]->section == REP_SEC_TEACHER ? "teacher " : "",
                a->method);
        int vary_name = 0, vary_w = 0, vary_arch = 0, vary_t = 0, vary_ep = 0, vary_on = 0,
            vary_b = 0, vary_k[16] = {0}, vary_ok[16] = {0};
        for (int j = 0; j < n; j++) {
            const rep_job *b = &P[j]->u;
            if (j == i || P[j]->section != P[i]->section) continue;
            vary_arch |= strcmp(a->arch, b->arch) != 0;
            vary_ep |= a->epochs != b->epochs;
            vary_b |= a->batch != b->batch;
            vary_t |= a->teacher_label[0] && b->teacher_label[0] &&
                      strcmp(a->teacher_label, b->teacher_label);
            if (strcmp(a->method, b->method)) continue;
            rp_kv kb, ob;
            rp_kv_parse(b->method_args, &kb);
            rp_kv_parse(b->optim, &ob);
            vary_name |= strcmp(ka.name, kb.name) != 0;
            for (int q = 0; q < ka.n; q++) {
                const char *v = rp_kv_get(&kb, ka.k[q]);
                vary_k[q] |= !v || strcmp(v, ka.v[q]);
            }
            vary_on |= strcmp(oa.name, ob.name) != 0;
            if (!strcmp(oa.name, ob.name))
                for (int q = 0; q < oa.n; q++) {
                    const char *v = rp_kv_get(&ob, oa.k[q]);
                    vary_ok[q] |= !v || strcmp(v, oa.v[q]);
                }
            if (!strcmp(a->method_args, b->method_args))
                vary_w |= strcmp(a->weighting, b->weighting) != 0;
        }
        if (vary_name && ka.name[0]) rp_add(L, RP_LABEL, " %s", ka.name);
        for (int q = 0; q < ka.n; q++)
            if (vary_k[q]) {
                char kv[100];
                rep_fmt(kv, sizeof kv, "%s=%s", ka.k[q], ka.v[q]);
                rp_add(L, RP_LABEL, " %s", kv);
            }
        if (vary_w) rp_add(L, RP_LABEL, " w=%s", a->weighting);
        if (vary_arch) rp_add(L, RP_LABEL, " %s", a->arch);
        if (vary_t) rp_add(L, RP_LABEL, " t=%s", a->teacher_label);
        if (vary_ep) rp_add(L, RP_LABEL, " ep=%d", a->epochs);
        if (vary_on && oa.name[0]) rp_add(L, RP_LABEL, " %s", oa.name);
        for (int q = 0; q < oa.n; q++)
            if (vary_ok[q]) {
                char kv[100];
                rep_fmt(kv, sizeof kv, "%s=%s", oa.k[q], oa.v[q]);
                rp_add(L, RP_LABEL, " %s", kv);
            }
        if (vary_b) rp_add(L, RP_LABEL, " batch=%d", a->batch);
    }
    for (int i = 0; i < n; i++) {
        int dup = 1;
        for (int j = 0; j < i; j++) dup += !strcmp(P[j]->label, P[i]->label);
        if (dup > 1) {
            rp_add(P[i]->label, RP_LABEL, " #%d", dup);
        }
    }
}

/* ---- panels ------------------------------------------------------------------------------- */

/* splits items 0..n into panels of at most PLOT_MAX_SERIES: each facet (in
 * first-seen order) into equal chunks that fit, then consecutive chunks
 * joined while they fit. panel[i] = the panel of item i (items keep their
 * order within a panel); returns the number of panels */
static int rp_panels(const rp_item *it, int n, int *panel)
{
    int *facet = malloc(sizeof(int) * ((size_t)n + 1));
    int *size = calloc((size_t)n + 1, sizeof(int));
    int nf = 0, np = 0, cur = 0;
    if (!facet || !size) {                   /* out of memory: chunks in order */
        for (int i = 0; i < n; i++) panel[i] = i / PLOT_MAX_SERIES;
        free(facet);
        free(size);
        return (n + PLOT_MAX_SERIES - 1) / PLOT_MAX_SERIES;
    }
    for (int i = 0; i < n; i++) {
        facet[i] = nf;
        for (int j = 0; j < i; j++)
            if (!strcmp(it[j].facet, it[i].facet)) {
                facet[i] = facet[j];
                break;
            }
        if (facet[i] == nf) nf++;
        size[facet[i]]++;
    }
    for (int f = 0; f < nf; f++) {
        int k = (size[f] + PLOT_MAX_SERIES - 1) / PLOT_MAX_SERIES;
        int per = (size[f] + k - 1) / k, r = 0, chunk = -1;
        for (int i = 0; i < n; i++) {
            if (facet[i] != f) continue;
            int c = r++ / per;
            if (c != chunk) {               /* a new chunk: in this panel if it fits */
                int len = size[f] - c * per < per ? size[f] - c * per : per;
                if (np == 0 || cur + len > PLOT_MAX_SERIES) np++, cur = 0;
                cur += len;
                chunk = c;
            }
            panel[i] = np - 1;
        }
    }
    free(facet);
    free(size);
    return np;
}

/* the items of panel p, in order, into P[PLOT_MAX_SERIES]; their number */
static int rp_panel_items(rp_item *it, int n, const int *panel, int p, rp_item **P)
{
    int m = 0;
    for (int i = 0; i < n && m < PLOT_MAX_SERIES; i++)
        if (panel[i] == p) P[m++] = &it[i];
    return m;
}

/* ---- captions (figures.md) ------------------------------------------------------------------ */

enum { RP_MAXKEYS = 64 };

typedef struct {
    FILE *md;
    const char *dir;
    unsigned formats;
    const rep_data *d;
    const rep_opts *o;
    /* "method" / "teacher method" in the order of the whole table: a
     * method's colour and marker, the same in every figure */
    int n_keys;
    char keys[RP_MAXKEYS][48];
} rp_ctx;

static void rp_style_key(const rp_item *it, char *buf, size_t cap)
{
    rep_fmt(buf, cap, "%s%s", it->section == REP_SEC_TEACHER ? "teacher " : "", it->u.method);
}

/* the style of each item of a panel: its method's place in the table
 * order (mod the palette), or the next free one where two items of a panel
 * share a method */
static void rp_styles(const rp_ctx *x, rp_item **P, int n, plot_series *S)
{
    int used[PLOT_MAX_SERIES] = {0};
    for (int i = 0; i < n; i++) {
        char k[48];
        int st = 0;
        rp_style_key(P[i], k, sizeof k);
        for (int q = 0; q < x->n_keys; q++)
            if (!strcmp(x->keys[q], k)) st = q % PLOT_MAX_SERIES;
        while (used[st]) st = (st + 1) % PLOT_MAX_SERIES;
        used[st] = 1;
        S[i].style = st;
    }
}

/* the markdown for one file: the picture (PNG, else SVG), the links, the
 * caption: lead, the parts common to all series, then each series */
static void rp_caption(const rp_ctx *x, const char *stem, const char *lead, rp_item **P, int n)
{
    FILE *md = x->md;
    int common[N_PARTS];
    fprintf(md, "## %s\n\n", stem);
    if (x->formats & PLOT_PNG) fprintf(md, "![%s](%s.png)\n\n", stem, stem);
    else if (x->formats & PLOT_SVG) fprintf(md, "![%s](%s.svg)\n\n", stem, stem);
    fputs("Files:", md);
    static const char *const ext[3] = {"pdf", "svg", "png"};
    for (int k = 0; k < 3; k++)
        if (x->formats & (1u << k)) fprintf(md, " [%s](%s.%s)", ext[k], stem, ext[k]);
    fprintf(md, ".\n\n%s", lead);
    for (int p = 0; p < N_PARTS; p++) {
        common[p] = p != P_METHOD && p != P_TUNED;
        for (int i = 1; i < n && common[p]; i++) common[p] = !strcmp(P[i]->part[p], P[0]->part[p]);
    }
    fprintf(md, " Data: %s; epochs chosen by %s.", rp_base(P[0]->u.dataset),
            rep_sel_name[x->o->select]);
    int any = 0;
    for (int p = 0; p < N_PARTS; p++)
        if (common[p] && P[0]->part[p][0])
            fprintf(md, "%s%s", any++ ? "; " : " All series: ", P[0]->part[p]);
    if (any) fputc('.', md);
    fputs("\n\n", md);
    for (int i = 0; i < n; i++) {
        fputs("- **", md);
        rep_text(md, REP_MD, P[i]->label);
        fputs("**: ", md);
        int k = 0;
        for (int p = 0; p < N_PARTS; p++)
            if (!common[p] && P[i]->part[p][0]) {
                fputs(k++ ? "; " : "", md);
                rep_text(md, REP_MD, P[i]->part[p]);
            }
        fputs("\n", md);
    }
    fputc('\n', md);
}

/* the file name of panel p of np: stem, or stem-<p+1> */
static void rp_stem(char *buf, size_t cap, const char *stem, int p, int np)
{
    if (np > 1) rep_fmt(buf, cap, "%s-%d", stem, p + 1);
    else rep_fmt(buf, cap, "%s", stem);
}

/* the facet of a row: section and architecture */
static void rp_facet(rp_item *it, const char *arch)
{
    rep_fmt(it->facet, sizeof it->facet, "%d|%s", (int)it->section, arch);
}

/* rows with a finished seed as items (u: without the tuned keys) */
static int rp_row_items(const rep_table *t, const rep_data *d, const rep_opts *o, rp_item *it)
{
    int n = 0;
    for (int r = 0; r < t->n; r++) {
        const rep_row *row = &t->rows[r];
        if (row->n_done == 0) continue;
        rp_item *x = &it[n++];
        memset(x, 0, sizeof *x);
        x->row = r;
        x->section = row->section;
        rep_job_untuned(&d->jobs[row->first], o->tune, &x->u);
        rp_facet(x, x->u.arch);
        rp_describe(x, row, d, o->tune);
    }
    return n;
}

/* ---- curves ---------------------------------------------------------------------------------- */

static int rp_curves(const rp_ctx *x, const rep_table *t, dett_err *e)
{
    const rep_data *d = x->d;
    rp_item *it = malloc(sizeof *it * ((size_t)t->n + 1));
    int *panel = malloc(sizeof(int) * ((size_t)t->n + 1)), rc = -1, maxE = 1;
    double *buf = NULL;
    if (!it || !panel) {
        dett_fail(e, "report: out of memory (plots)");
        goto fail;
    }
    int n = rp_row_items(t, d, x->o, it);
    if (n == 0) {
        rc = 0;
        goto fail;
    }
    for (int i = 0; i < n; i++)
        if (d->jobs[t->rows[it[i].row].first].epochs > maxE)
            maxE = d->jobs[t->rows[it[i].row].first].epochs;
    buf = malloc(sizeof *buf * (size_t)maxE * 4 * PLOT_MAX_SERIES);
    if (!buf) {
        dett_fail(e, "report: out of memory (plots)");
        goto fail;
    }
    int np = rp_panels(it, n, panel);
    for (int p = 0; p < np; p++) {
        rp_item *P[PLOT_MAX_SERIES];
        plot_series S[PLOT_MAX_SERIES];
        int m = rp_panel_items(it, n, panel, p, P);
        rp_labels(P, m);
        for (int s = 0; s < m; s++) {
            const rep_row *r = &t->rows[P[s]->row];
            double *xs = buf + (size_t)(4 * s) * (size_t)maxE, *ys = xs + maxE,
                   *lo = ys + maxE, *hi = lo + maxE;
            for (int ep = 0; ep < maxE; ep++) {
                double v[RP_MAXPT];
                int k = 0;
                for (int q = 0; q < r->n_seeds && k < RP_MAXPT; q++) {
                    const rep_job *j = &d->jobs[r->seed_job[q]];
                    if (j->status == JOB_DONE && ep < j->epochs && isfinite(j->worst[ep * 2 + 1]))
                        v[k++] = 100.0 * j->worst[ep * 2 + 1];
                }
                double mean, sd;
                rep_mean_std(v, k, &mean, &sd);
                if (x->o->sem && k > 1) sd /= sqrt((double)k);
                xs[ep] = ep + 1;
                ys[ep] = mean;
                lo[ep] = k > 1 ? mean - sd : NAN;
                hi[ep] = k > 1 ? mean + sd : NAN;
            }
            S[s] = (plot_series){P[s]->label, maxE, xs, ys, lo, hi,
                                 r->section == REP_SEC_TEACHER, 0, 0};
        }
        rp_styles(x, P, m, S);
        plot_chart c = {.kind = PLOT_BAND, .xlabel = "epoch",
                        .ylabel = "test worst-group acc. (%)", .integer_x = 1,
                        .markers = maxE <= 12, .ymin = 0, .ymax = 100, .ns = m, .s = S};
        char stem[64];
        rp_stem(stem, sizeof stem, "curves", p, np);
        CHECK(plot_write(x->dir, stem, x->formats, &c, e));
        char lead[400];
        rep_fmt(lead, sizeof lead, "Test worst-group accuracy (%%) per epoch: line, mean over "
                "seeds; band, mean ± %s over seeds (no band for one seed). Teachers dashed.",
                rep_spread_text(x->o));
        rp_caption(x, stem, lead, P, m);
    }
    rc = 0;
fail:
    free(it);
    free(panel);
    free(buf);
    return rc;
}

/* ---- groups ----------------------------------------------------------------------------------- */

static int rp_groups(const rp_ctx *x, const rep_table *t, dett_err *e)
{
    int G = t->max_G, rc = -1;
    rp_item *it = malloc(sizeof *it * ((size_t)t->n + 1));
    int *panel = malloc(sizeof(int) * ((size_t)t->n + 1));
    double *buf = malloc(sizeof(double) * (size_t)(G + 1) * 4 * PLOT_MAX_SERIES);
    char (*cat)[64] = calloc((size_t)G + 1, sizeof *cat);
    const char **catp = calloc((size_t)G + 1, sizeof *catp);
    if (!it || !panel || !buf || !cat || !catp) {
        dett_fail(e, "report: out of memory (plots)");
        goto fail;
    }
    int n = rp_row_items(t, x->d, x->o, it);
    if (n == 0 || G == 0) {
        rc = 0;
        goto fail;
    }
    for (int g = 0; g < G; g++) {
        if (t->common_A > 0)
            snprintf(cat[g], sizeof cat[g], "g%d\ny=%d,a=%d", g, g / t->common_A,
                     g % t->common_A);
        else snprintf(cat[g], sizeof cat[g], "g%d", g);
        catp[g] = cat[g];
    }
    int np = rp_panels(it, n, panel);
    for (int p = 0; p < np; p++) {
        rp_item *P[PLOT_MAX_SERIES];
        plot_series S[PLOT_MAX_SERIES];
        int m = rp_panel_items(it, n, panel, p, P);
        rp_labels(P, m);
        for (int s = 0; s < m; s++) {
            const rep_row *r = &t->rows[P[s]->row];
            double *xs = buf + (size_t)(4 * s) * (size_t)G, *ys = xs + G, *lo = ys + G,
                   *hi = lo + G;
            for (int g = 0; g < G; g++) {
                int ok = g < r->G && isfinite(r->group_mean[g]);
                xs[g] = g;
                ys[g] = ok ? r->group_mean[g] : NAN;
                lo[g] = ok && r->n_done > 1 ? r->group_mean[g] - r->group_std[g] : NAN;
                hi[g] = ok && r->n_done > 1 ? r->group_mean[g] + r->group_std[g] : NAN;
            }
            S[s] = (plot_series){P[s]->label, G, xs, ys, lo, hi, 0, 0, 0};
        }
        rp_styles(x, P, m, S);
        plot_chart c = {.kind = PLOT_DOTS, .xlabel = "group (label y, attribute a)",
                        .ylabel = "test accuracy (%)", .ncat = G, .cat = catp, .ymin = 0,
                        .ymax = 100, .ns = m, .s = S};
        char stem[64];
        rp_stem(stem, sizeof stem, "groups", p, np);
        CHECK(plot_write(x->dir, stem, x->formats, &c, e));
        char lead[400];
        rep_fmt(lead, sizeof lead, "Test accuracy (%%) per group g = y * A + a at the selected "
                "epoch: marker, mean over seeds; bar, mean ± %s over seeds (none for one "
                "seed). The y axis is zoomed to the data.", rep_spread_text(x->o));
        rp_caption(x, stem, lead, P, m);
    }
    rc = 0;
fail:
    free(it);
    free(panel);
    free(buf);
    free(cat);
    free(catp);
    return rc;
}

/* ---- axis_<key> ------------------------------------------------------------------------------- */

/* every key of "k=v,..." or "name(k=v,...)" with the method that has it,
 * not yet in keys/methods[0..*n) */
static void rp_collect(const char *args, const char *method, char keys[][32],
                       char methods[][33], int *n, int cap)
{
    rp_kv kv;
    rp_kv_parse(args, &kv);
    for (int q = 0; q < kv.n; q++) {
        int seen = 0;
        for (int k = 0; k < *n; k++)
            seen |= !strcmp(keys[k], kv.k[q]) && !strcmp(methods[k], method);
        if (!seen && *n < cap && strlen(kv.k[q]) < 32) {
            strcpy(keys[*n], kv.k[q]);
            rep_fmt(methods[*n], 33, "%s", method);
            (*n)++;
        }
    }
}

/* the series of the axis plot of key (method "" : any method) */
static int rp_axis_items(const rep_table *t, const rep_data *d, const rep_opts *o,
                         const char *key, const char *method, rp_item *it)
{
    int n = 0;
    for (int r = 0; r < t->n; r++) {
        const rep_row *row = &t->rows[r];
        const rep_job *j = &d->jobs[row->first];
        double v;
        if (row->n_done == 0 || (method[0] && strcmp(j->method, method)) ||
            !rep_job_value(j, key, &v))
            continue;
        rep_job u;
        char tmp[sizeof u.method_args];
        rep_job_untuned(j, o->tune, &u);
        rep_args_without(u.method_args, key, tmp, sizeof tmp);
        snprintf(u.method_args, sizeof u.method_args, "%s", tmp);
        rep_args_without(u.weighting, key, tmp, sizeof tmp);
        snprintf(u.weighting, sizeof u.weighting, "%s", tmp);
        if (!strcmp(key, "width")) u.arch[0] = '\0';
        int s = 0;
        for (; s < n; s++) {
            const rep_job *w = &it[s].u;
            if (it[s].section == row->section && !strcmp(w->method, u.method) &&
                !strcmp(w->method_args, u.method_args) && !strcmp(w->weighting, u.weighting) &&
                !strcmp(w->arch, u.arch) && !strcmp(w->dataset, u.dataset) &&
                !strcmp(w->teacher_key, u.teacher_key) && w->epochs == u.epochs &&
                !strcmp(w->optim, u.optim) && w->batch == u.batch)
                break;
        }
        if (s == n) {
            memset(&it[n], 0, sizeof it[n]);
            it[n].row = r;
            it[n].section = row->section;
            it[n].u = u;
            rp_facet(&it[n], u.arch);
            rp_describe(&it[n], row, d, o->tune);
            /* the seeds and tuned values differ along the series: not described */
            it[n].part[P_SEEDS][0] = it[n].part[P_TUNED][0] = '\0';
            n++;
        }
        rp_item *S = &it[s];
        int dup = 0;
        for (int p = 0; p < S->n; p++) dup |= S->x[p] == v;
        if (dup || S->n >= RP_MAXPT) continue;
        S->x[S->n] = v;
        S->m[S->n] = row->worst_mean;
        S->s[S->n] = row->n_done > 1 ? row->worst_std : NAN;
        S->n++;
    }
    /* series with >= 2 values, sorted by value */
    int keep = 0;
    for (int s = 0; s < n; s++) {
        rp_item *S = &it[s];
        if (S->n < 2) continue;
        for (int a = 1; a < S->n; a++)
            for (int b = a; b > 0 && S->x[b - 1] > S->x[b]; b--) {
                double tx = S->x[b], tm = S->m[b], ts = S->s[b];
                S->x[b] = S->x[b - 1], S->m[b] = S->m[b - 1], S->s[b] = S->s[b - 1];
                S->x[b - 1] = tx, S->m[b - 1] = tm, S->s[b - 1] = ts;
            }
        if (keep != s) it[keep] = it[s];
        keep++;
    }
    return keep;
}

/* the series of one panel of an axis-style figure (axis_*, gap_bias_*):
 * labels P's items, S[s] from P[s] (marker the mean, bar the mean ±
 * spread, kept in lo[s] and hi[s]), and xt[] the distinct x values in
 * order, at most cap of them; returns their count */
static int rp_axis_series(rp_item **P, int m, plot_series *S, double (*lo)[RP_MAXPT],
                          double (*hi)[RP_MAXPT], double *xt, int cap)
{
    int nxt = 0;
    rp_labels(P, m);
    for (int s = 0; s < m; s++) {
        for (int q = 0; q < P[s]->n; q++) {
            lo[s][q] = P[s]->m[q] - P[s]->s[q];
            hi[s][q] = P[s]->m[q] + P[s]->s[q];
            int seen = 0;
            for (int k = 0; k < nxt; k++) seen |= xt[k] == P[s]->x[q];
            if (!seen && nxt < cap) xt[nxt++] = P[s]->x[q];
        }
        S[s] = (plot_series){P[s]->label, P[s]->n, P[s]->x, P[s]->m, lo[s], hi[s], 0, 0, 0};
    }
    for (int a = 1; a < nxt; a++)      /* ticks in order */
        for (int b = a; b > 0 && xt[b - 1] > xt[b]; b--) {
            double tmp = xt[b];
            xt[b] = xt[b - 1], xt[b - 1] = tmp;
        }
    return nxt;
}

static int rp_axis(const rp_ctx *x, const rep_table *t, const char *key, const char *method,
                   dett_err *e)
{
    int rc = -1;
    rp_item *it = malloc(sizeof *it * ((size_t)t->n + 1));
    int *panel = malloc(sizeof(int) * ((size_t)t->n + 1));
    if (!it || !panel) {
        dett_fail(e, "report: out of memory (plots)");
        goto fail;
    }
    int n = rp_axis_items(t, x->d, x->o, key, method, it);
    if (n == 0) {
        rc = 0;
        goto fail;
    }
    char stem[96], name[80], xlabel[96], lead[400];
    rep_fmt(name, sizeof name, "%s%s%s", method, method[0] ? "_" : "", key);
    for (char *c = name; *c; c++)
        if (!((*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') || (*c >= '0' && *c <= '9') ||
              *c == '_' || *c == '-'))
            *c = '_';
    int np = rp_panels(it, n, panel);
    for (int p = 0; p < np; p++) {
        rp_item *P[PLOT_MAX_SERIES];
        plot_series S[PLOT_MAX_SERIES];
        double lo[PLOT_MAX_SERIES][RP_MAXPT], hi[PLOT_MAX_SERIES][RP_MAXPT], xt[RP_MAXPT * 2];
        int m = rp_panel_items(it, n, panel, p, P);
        int nxt = rp_axis_series(P, m, S, lo, hi, xt, RP_MAXPT * 2);
        double xmin = nxt ? xt[0] : INFINITY, xmax = nxt ? xt[nxt - 1] : -INFINITY;
        /* log x for a geometric grid (lr, up, width) spanning >= 10x: the
         * median step between the sorted values a factor >= 1.8 */
        double ratio[RP_MAXPT * 2];
        int nr = 0;
        for (int k = 1; k < nxt; k++)
            if (xt[k - 1] > 0) ratio[nr++] = xt[k] / xt[k - 1];
        for (int a = 1; a < nr; a++)
            for (int b = a; b > 0 && ratio[b - 1] > ratio[b]; b--) {
                double tmp = ratio[b];
                ratio[b] = ratio[b - 1], ratio[b - 1] = tmp;
            }
        int logx = xmin > 0 && xmax / xmin >= 10 && nr > 0 && ratio[nr / 2] >= 1.8;
        rep_fmt(xlabel, sizeof xlabel, "%s%s%s%s", method, method[0] ? " " : "", key,
                logx ? " (log scale)" : "");
        rp_styles(x, P, m, S);
        plot_chart c = {.kind = PLOT_ERRBAR, .xlabel = xlabel,
                        .ylabel = "test worst-group acc. (%)", .logx = logx, .nxt = nxt,
                        .xt = xt, .ymin = 0, .ymax = 100, .ns = m, .s = S};
        rep_fmt(stem, sizeof stem, "axis_%s%s", name, "");
        if (np > 1) {
            size_t l = strlen(stem);
            rep_fmt(stem + l, sizeof stem - l, "-%d", p + 1);
        }
        CHECK(plot_write(x->dir, stem, x->formats, &c, e));
        rep_fmt(lead, sizeof lead, "Test worst-group accuracy (%%) against %s%s%s%s: marker, "
                "mean over seeds; bar, mean ± %s over seeds (none for one seed). "
                "Series are offset sideways by a hair so that their bars stay apart.",
                method, method[0] ? "'s " : "", key,
                strcmp(key, "width") ? "" : " (the width of the last hidden layer)",
                rep_spread_text(x->o));
        rp_caption(x, stem, lead, P, m);
    }
    rc = 0;
fail:
    free(it);
    free(panel);
    return rc;
}


/* ---- gap_bias: gap to teacher against the bias strength of the data ------------------------ */

/* n integers of the 1-d dataset name of file f into *out (malloc'd); -1 if
 * missing or not 1-d */
static long long rp_read_ints(hid_t f, const char *name, long long **out)
{
    long long n = -1;
    *out = NULL;
    hid_t ds = H5Dopen2(f, name, H5P_DEFAULT), sp = -1;
    if (ds < 0) return -1;
    if ((sp = H5Dget_space(ds)) >= 0 && H5Sget_simple_extent_ndims(sp) == 1) {
        hssize_t k = H5Sget_simple_extent_npoints(sp);
        if (k > 0 && (*out = malloc(sizeof **out * (size_t)k)) &&
            H5Dread(ds, H5T_NATIVE_LLONG, H5S_ALL, H5S_ALL, H5P_DEFAULT, *out) >= 0)
            n = (long long)k;
    }
    if (sp >= 0) H5Sclose(sp);
    H5Dclose(ds);
    if (n < 0) {
        free(*out);
        *out = NULL;
    }
    return n;
}

/* the bias strength of a data file: the share of its training rows whose
 * attribute is not the most common one of their class (1 - rho for a
 * two-class, two-attribute file with P(a = y) = rho), rounded to 2
 * significant digits; NAN if the file or its /train/y, /train/a can't be
 * read (the figure then leaves that dataset out). sig[cap]: the shape of
 * a row of /train/X ("588", "3x14x14"; "" if unreadable), which tells data
 * sets of one family (the same data at other bias strengths) from others */
static double rp_bias(const char *path, char *sig, size_t cap)
{
    double share = NAN;
    sig[0] = '\0';
    long long *y = NULL, *a = NULL, *cnt = NULL;
    H5E_auto2_t fn;
    void *fd;
    int quiet = H5Eget_auto2(H5E_DEFAULT, &fn, &fd) >= 0 &&
                H5Eset_auto2(H5E_DEFAULT, NULL, NULL) >= 0;
    hid_t f = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT);
    if (f >= 0) {
        hid_t X = H5Dopen2(f, "/train/X", H5P_DEFAULT), sp = X >= 0 ? H5Dget_space(X) : -1;
        hsize_t dims[8];
        int nd = sp >= 0 ? H5Sget_simple_extent_dims(sp, dims, NULL) : -1;
        for (int k = 1; k < nd && k < 8; k++) {       /* a row's shape: "588", "3x14x14" */
            size_t l = strlen(sig);
            rep_fmt(sig + l, cap - l, "%s%llu", k > 1 ? "x" : "", (unsigned long long)dims[k]);
        }
        if (sp >= 0) H5Sclose(sp);
        if (X >= 0) H5Dclose(X);
        long long n = rp_read_ints(f, "/train/y", &y), na = rp_read_ints(f, "/train/a", &a);
        long long ymax = 0, amax = 0, ok = n > 0 && n == na;
        for (long long i = 0; ok && i < n; i++) {
            ok = y[i] >= 0 && a[i] >= 0 && y[i] < 4096 && a[i] < 4096;
            if (y[i] > ymax) ymax = y[i];
            if (a[i] > amax) amax = a[i];
        }
        if (ok && (cnt = calloc((size_t)((ymax + 1) * (amax + 1)), sizeof *cnt))) {
            for (long long i = 0; i < n; i++) cnt[y[i] * (amax + 1) + a[i]]++;
            long long modal = 0;
            for (long long c = 0; c <= ymax; c++) {
                long long best = 0;
                for (long long k = 0; k <= amax; k++)
                    if (cnt[c * (amax + 1) + k] > best) best = cnt[c * (amax + 1) + k];
                modal += best;
            }
            share = 1.0 - (double)modal / (double)n;
            if (share > 0) {            /* 2 significant digits */
                double p = pow(10.0, floor(log10(share)) - 1);
                share = round(share / p) * p;
            }
        }
        H5Fclose(f);
    }
    if (quiet) H5Eset_auto2(H5E_DEFAULT, fn, fd);
    free(y);
    free(a);
    free(cnt);
    return share;
}

/* the file-name-safe form of an arch label: "mlp[16,16]" -> "mlp16-16" */
static void rp_safe(const char *s, char *buf, size_t cap)
{
    size_t k = 0;
    for (; *s && k + 1 < cap; s++) {
        char c = *s;
        if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'))
            buf[k++] = c;
        else if (c == ',' || c == '_') buf[k++] = '-';
    }
    buf[k] = '\0';
}

/* gap_bias_<family>_<arch>_ep<E>[-p] of one family of datasets (bias[k]
 * NAN: ds[k] is not of it): one figure per student architecture and
 * epochs, one series per configuration otherwise (method, its arguments,
 * weighting, optimiser, batch), x the bias strength of the series' data
 * files (rp_bias), y the gap to the teacher; a dashed zero line is the
 * teacher. Written into x->dir with captions in x->md; nothing if fewer
 * than two datasets have a known bias strength. */
static int rp_gap_bias_one(const rp_ctx *x, const rep_table *t, const char **ds,
                           const double *bias, int nds, const char *fam, dett_err *e)
{
    const rep_data *d = x->d;
    int rc = -1, n = 0, *panel = NULL;
    rp_item *it = malloc(sizeof *it * ((size_t)t->n + 1));
    panel = malloc(sizeof(int) * ((size_t)t->n + 1));
    if (!it || !panel) {
        dett_fail(e, "report: out of memory (plots)");
        goto fail;
    }
    int known = 0;
    for (int k = 0; k < nds; k++) known += isfinite(bias[k]) && bias[k] > 0;
    if (known < 2) {
        rc = 0;
        goto fail;
    }
    for (int r = 0; r < t->n; r++) {
        const rep_row *row = &t->rows[r];
        const rep_job *j = &d->jobs[row->first];
        double v = NAN;
        for (int k = 0; k < nds; k++)
            if (!strcmp(ds[k], j->dataset)) v = bias[k];
        if (row->section != REP_SEC_STUDENT || row->n_done == 0 || !(v > 0)) continue;
        /* a student without a teacher (group DRO): its distance to the
         * dataset's one teacher row, if it has exactly one */
        double gm = row->gap_mean, gs = row->gap_n > 1 ? row->gap_std : NAN;
        if (row->gap_n == 0) {
            int tr = -1, nt = 0;
            for (int q = 0; q < t->n; q++)
                if (t->rows[q].section == REP_SEC_TEACHER && t->rows[q].n_done > 0 &&
                    !strcmp(d->jobs[t->rows[q].first].dataset, j->dataset))
                    tr = q, nt++;
            if (j->teacher_key[0] || nt != 1) continue;
            gm = row->worst_mean - t->rows[tr].worst_mean;
            gs = row->n_done > 1 ? row->worst_std : NAN;
        }
        rep_job u;
        rep_job_untuned(j, x->o->tune, &u);
        snprintf(u.dataset, sizeof u.dataset, "%s", "one data file per bias strength");
        u.teacher_key[0] = '\0';
        int s = 0;
        for (; s < n; s++) {
            const rep_job *w = &it[s].u;
            if (!strcmp(w->method, u.method) && !strcmp(w->method_args, u.method_args) &&
                !strcmp(w->weighting, u.weighting) && !strcmp(w->arch, u.arch) &&
                !strcmp(w->teacher_label, u.teacher_label) && w->epochs == u.epochs &&
                !strcmp(w->optim, u.optim) && w->batch == u.batch)
                break;
        }
        if (s == n) {
            memset(&it[n], 0, sizeof it[n]);
            it[n].row = r;
            it[n].section = REP_SEC_STUDENT;
            it[n].u = u;
            rep_fmt(it[n].facet, sizeof it[n].facet, "%s|%d", u.arch, u.epochs);
            rp_describe(&it[n], row, d, x->o->tune);
            it[n].part[P_SEEDS][0] = it[n].part[P_TUNED][0] = '\0';
            n++;
        }
        rp_item *S = &it[s];
        int dup = 0;
        for (int p = 0; p < S->n; p++) dup |= S->x[p] == v;
        if (dup || S->n >= RP_MAXPT) continue;
        S->x[S->n] = v;
        S->m[S->n] = gm;
        S->s[S->n] = gs;
        S->n++;
    }
    for (int s = 0; s < n; s++)                /* points by increasing x */
        for (int a = 1; a < it[s].n; a++)
            for (int b = a; b > 0 && it[s].x[b - 1] > it[s].x[b]; b--) {
                double tx = it[s].x[b], tm = it[s].m[b], ts = it[s].s[b];
                it[s].x[b] = it[s].x[b - 1], it[s].m[b] = it[s].m[b - 1];
                it[s].s[b] = it[s].s[b - 1];
                it[s].x[b - 1] = tx, it[s].m[b - 1] = tm, it[s].s[b - 1] = ts;
            }
    /* facets in first-seen order; a facet of more than PLOT_MAX_SERIES - 1
     * series (one slot is the teacher's line) in chunks */
    int np = 0;
    for (int i = 0; i < n; i++) panel[i] = -1;
    for (int i = 0; i < n; i++) {
        if (panel[i] >= 0) continue;
        int m = 0, total = 0, chunks, per;
        for (int j2 = i; j2 < n; j2++) total += !strcmp(it[j2].facet, it[i].facet);
        chunks = (total + PLOT_MAX_SERIES - 2) / (PLOT_MAX_SERIES - 1);
        per = (total + chunks - 1) / chunks;
        for (int j2 = i; j2 < n; j2++)
            if (!strcmp(it[j2].facet, it[i].facet)) panel[j2] = np + m++ / per;
        np += chunks;
    }
    for (int p = 0; p < np; p++) {
        rp_item *P[PLOT_MAX_SERIES];
        plot_series S[PLOT_MAX_SERIES];
        double lo[PLOT_MAX_SERIES][RP_MAXPT], hi[PLOT_MAX_SERIES][RP_MAXPT], xt[RP_MAXPT];
        double zero[RP_MAXPT];
        int m = 0, nxt;
        for (int i = 0; i < n && m < PLOT_MAX_SERIES - 1; i++)
            if (panel[i] == p) P[m++] = &it[i];
        if (m == 0) continue;
        nxt = rp_axis_series(P, m, S, lo, hi, xt, RP_MAXPT);
        rp_styles(x, P, m, S);
        int used[PLOT_MAX_SERIES] = {0}, zs = 0;
        for (int s = 0; s < m; s++) used[S[s].style] = 1;
        while (zs < PLOT_MAX_SERIES - 1 && used[zs]) zs++;
        for (int q = 0; q < nxt; q++) zero[q] = 0;
        S[m] = (plot_series){"teacher", nxt, xt, zero, NULL, NULL, 1, zs, 1};
        int logx = nxt > 1 && xt[nxt - 1] / xt[0] >= 10;
        plot_chart c = {.kind = PLOT_ERRBAR,
                        .xlabel = logx ? "bias: minority share of train (log scale)"
                                       : "bias: minority share of train",
                        .ylabel = "gap to teacher (points)", .logx = logx, .nxt = nxt, .xt = xt,
                        .ymin = -100, .ymax = 100, .ns = m + 1, .s = S};
        char arch[200], stem[260], lead[2400];
        rp_safe(P[0]->u.arch, arch, sizeof arch);
        int first = 1, last = 1;            /* the facet's chunks: stem-1, stem-2 */
        for (int q = 0; q < np; q++) {
            int same = 0;
            for (int i = 0; i < n && !same; i++)
                same = panel[i] == q && !strcmp(it[i].facet, P[0]->facet);
            if (same && q < p) first = 0, last++;
            else if (same && q > p) last++;
        }
        rep_fmt(stem, sizeof stem, "gap_bias_%s_%s_ep%d", fam, arch, P[0]->u.epochs);
        if (!(first && last == 1)) {
            int k = 1;
            for (int q = 0; q < p; q++)
                for (int i = 0; i < n; i++)
                    if (panel[i] == q && !strcmp(it[i].facet, P[0]->facet)) {
                        k++;
                        break;
                    }
            size_t l = strlen(stem);
            rep_fmt(stem + l, sizeof stem - l, "-%d", k);
        }
        CHECK(plot_write(x->dir, stem, x->formats, &c, e));
        rep_fmt(lead, sizeof lead, "Worst-group gap to the teacher (points) against the bias "
                "strength of the training data, %s, %d epochs: each seed's test worst-group "
                "accuracy minus that of its own teacher job (a student without a teacher, such as "
                "group DRO: its mean minus the mean of the data set's teacher row, bar its "
                "own spread); marker, mean over seeds; bar, mean "
                "± %s over seeds (none for one seed); dashed line, the teacher (0). x: the "
                "share of training rows whose attribute is not their class's most common one, "
                "measured from the data file and rounded to 2 significant digits (1 - rho for "
                "two classes with P(a = y) = rho). Data files:",
                P[0]->u.arch, P[0]->u.epochs, rep_spread_text(x->o));
        for (int k = 0, shown = 0; k < nds; k++)
            if (bias[k] > 0) {
                size_t l = strlen(lead);
                rep_fmt(lead + l, sizeof lead - l, "%s %s (%g)", shown++ ? "," : "",
                        rp_base(ds[k]), bias[k]);
            }
        size_t l = strlen(lead);
        rep_fmt(lead + l, sizeof lead - l, ".");
        rp_caption(x, stem, lead, P, m);
    }
    rc = 0;
fail:
    free(it);
    free(panel);
    return rc;
}

/* the gap_bias figures of every family of datasets (rp_bias's sig), named
 * after the family: the longest common prefix of its files' names without
 * trailing digits, dots, '_' and '-' ("cfmnist14_rho", "synth_p") */
static int rp_gap_bias(const rp_ctx *x, const rep_table *t, dett_err *e)
{
    const rep_data *d = x->d;
    int rc = -1, nds = 0;
    const char **ds = calloc((size_t)t->n + 1, sizeof *ds);
    double *bias = calloc((size_t)t->n + 1, sizeof *bias);
    double *fb = calloc((size_t)t->n + 1, sizeof *fb);
    char (*sig)[64] = calloc((size_t)t->n + 1, sizeof *sig);
    int *done = calloc((size_t)t->n + 1, sizeof *done);
    if (!ds || !bias || !fb || !sig || !done) {
        dett_fail(e, "report: out of memory (plots)");
        goto fail;
    }
    for (int r = 0; r < t->n; r++) {           /* the datasets and their bias, once each */
        const char *p = d->jobs[t->rows[r].first].dataset;
        int seen = 0;
        for (int k = 0; k < nds && !seen; k++) seen = !strcmp(ds[k], p);
        if (!seen) {
            ds[nds] = p;
            bias[nds] = rp_bias(p, sig[nds], sizeof sig[nds]);
            nds++;
        }
    }
    for (int f = 0; f < nds; f++) {
        if (done[f] || !sig[f][0]) continue;
        char fam[200];
        rep_fmt(fam, sizeof fam, "%s", rp_base(ds[f]));
        for (int k = 0; k < nds; k++) {
            int same = !strcmp(sig[k], sig[f]);
            done[k] |= same;
            fb[k] = same ? bias[k] : NAN;
            if (!same) continue;
            const char *b = rp_base(ds[k]);
            size_t q = 0;
            while (fam[q] && fam[q] == b[q]) q++;
            fam[q] = '\0';
        }
        size_t l = strlen(fam);
        while (l > 0 && strchr("0123456789._-", fam[l - 1])) fam[--l] = '\0';
        char safe[200];
        rp_safe(fam, safe, sizeof safe);
        CHECK(rp_gap_bias_one(x, t, ds, fb, nds, safe[0] ? safe : "data", e));
    }
    rc = 0;
fail:
    free(ds);
    free(bias);
    free(fb);
    free(sig);
    free(done);
    return rc;
}

/* ---- the figures of one dataset ---------------------------------------------------------------- */

/* mkdir -p */
static int rp_mkdir(const char *dir, dett_err *e)
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

static int rp_plots_one(const char *dir, const rep_table *t, const rep_data *d,
                        const rp_ctx *styles, dett_err *e)
{
    char keys[64][32], methods[64][33], path[1100];
    int nk = 0, rc = -1;
    if (rp_mkdir(dir, e)) return -1;
    rep_fmt(path, sizeof path, "%s/figures.md", dir);
    rp_ctx x = *styles;
    x.md = fopen(path, "w");
    x.dir = dir;
    if (!x.md) return dett_fail(e, "%s: %s", path, strerror(errno));
    fputs("# Figures\n\nWritten by `dett report` from ", x.md);
    for (int f = 0; f < d->n_files; f++) fprintf(x.md, "%s%s", f ? ", " : "", d->files[f]);
    fprintf(x.md, ". Each figure is %.1f in wide (one column) with %.0f pt text; PNGs at "
            "%.0f dpi. Marks are means over seeds, bands and bars mean ± %s over "
            "seeds, everywhere. Legends name each series by its method and what differs "
            "within the figure; the full configuration follows each figure.\n\n",
            PLOT_WIDTH_PT / 72.0, PLOT_FONT_PT, PLOT_PNG_DPI, rep_spread_text(x.o));
    CHECK(rp_curves(&x, t, e));
    CHECK(rp_groups(&x, t, e));
    strcpy(keys[nk], "width");
    methods[nk++][0] = '\0';
    for (int r = 0; r < t->n; r++) {
        const rep_job *j = &d->jobs[t->rows[r].first];
        rp_collect(j->method_args, j->method, keys, methods, &nk, 64);
        if (strchr(j->weighting, '(')) rp_collect(j->weighting, j->method, keys, methods, &nk, 64);
    }
    for (int k = 0; k < nk; k++) {
        /* a key of several methods (kd's T, dett's T): one figure per method */
        int several = 0, done = 0;
        for (int q = 0; q < nk; q++) {
            several |= q != k && !strcmp(keys[q], keys[k]);
            done |= q < k && !strcmp(keys[q], keys[k]);
        }
        if (!several) CHECK(rp_axis(&x, t, keys[k], "", e));
        else if (methods[k][0] || !done) CHECK(rp_axis(&x, t, keys[k], methods[k], e));
    }
    rc = 0;
fail:
    if (fclose(x.md) != 0 && rc == 0) rc = dett_fail(e, "%s: write error", path);
    return rc;
}

/* the file name of a dataset path without directories and ".h5" */
static void rp_dataset_name(const char *path, char *buf, size_t cap)
{
    snprintf(buf, cap, "%s", rp_base(path));
    char *dot = strrchr(buf, '.');
    if (dot && !strcmp(dot, ".h5")) *dot = '\0';
}

int rep_plots(const char *dir, const rep_table *t, const rep_data *d, const rep_opts *o,
              dett_err *e)
{
    /* one dataset: its plots in dir; several: one subdirectory each, named
     * after the data file, so that no figure mixes datasets */
    rp_ctx styles;
    memset(&styles, 0, sizeof styles);
    styles.formats = o->plot_formats;
    styles.d = d;
    styles.o = o;
    for (int r = 0; r < t->n && styles.n_keys < RP_MAXKEYS; r++) {
        rp_item it = {.section = t->rows[r].section};
        char k[48];
        snprintf(it.u.method, sizeof it.u.method, "%s", d->jobs[t->rows[r].first].method);
        rp_style_key(&it, k, sizeof k);
        int seen = 0;
        for (int q = 0; q < styles.n_keys; q++) seen |= !strcmp(styles.keys[q], k);
        if (!seen) strcpy(styles.keys[styles.n_keys++], k);
    }
    int several = 0;
    for (int r = 1; r < t->n && !several; r++)
        several = strcmp(d->jobs[t->rows[r].first].dataset, d->jobs[t->rows[0].first].dataset);
    if (!several) return rp_plots_one(dir, t, d, &styles, e);
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
        rp_dataset_name(ds, name, sizeof name);
        if (rep_fmt(sub, sizeof sub, "%s/%s", dir, name)) {
            rc = dett_fail(e, "--plots: directory name too long");
            break;
        }
        rc = rp_plots_one(sub, &v, d, &styles, e);
    }
    free(v.rows);
    if (rc) return rc;
    /* across the datasets: gap to teacher against their bias strength, into
     * dir itself with its own figures.md (none if no figure) */
    char path[1100];
    rep_fmt(path, sizeof path, "%s/figures.md", dir);
    styles.dir = dir;
    styles.md = fopen(path, "w");
    if (!styles.md) return dett_fail(e, "%s: %s", path, strerror(errno));
    fputs("# Figures across the datasets\n\nWritten by `dett report` from ", styles.md);
    for (int f = 0; f < d->n_files; f++) fprintf(styles.md, "%s%s", f ? ", " : "", d->files[f]);
    fprintf(styles.md, "; the figures of each dataset are in its subdirectory. Marks are means "
            "over seeds, bars mean ± %s over seeds.\n\n", rep_spread_text(o));
    long at = ftell(styles.md);
    rc = rp_gap_bias(&styles, t, e);
    long end = ftell(styles.md);
    if (fclose(styles.md) != 0 && rc == 0) rc = dett_fail(e, "%s: write error", path);
    if (rc == 0 && end == at && remove(path) != 0)   /* no figure: no captions file */
        rc = dett_fail(e, "%s: %s", path, strerror(errno));
    return rc;
}
