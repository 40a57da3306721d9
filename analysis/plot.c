/* plot.c - one-panel figures through cairo (see plot.h).
 *
 * Layout in points, computed once with a scratch context (text is measured
 * with hinting off, so the PDF, SVG and PNG layouts agree), then drawn onto
 * each output surface by pl_draw. */
#define _POSIX_C_SOURCE 200809L
#include "plot.h"
#include <cairo-pdf.h>
#include <cairo-svg.h>
#include <cairo.h>
#include <math.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* ---- style ------------------------------------------------------------------------ */

/* Okabe-Ito without its yellow (too light on white), plus black and grey */
static const double pl_rgb[PLOT_MAX_SERIES][3] = {
    {0x00 / 255.0, 0x72 / 255.0, 0xB2 / 255.0}, /* blue */
    {0xD5 / 255.0, 0x5E / 255.0, 0x00 / 255.0}, /* vermillion */
    {0x00 / 255.0, 0x9E / 255.0, 0x73 / 255.0}, /* bluish green */
    {0xCC / 255.0, 0x79 / 255.0, 0xA7 / 255.0}, /* reddish purple */
    {0xE6 / 255.0, 0x9F / 255.0, 0x00 / 255.0}, /* orange */
    {0x56 / 255.0, 0xB4 / 255.0, 0xE9 / 255.0}, /* sky blue */
    {0x00 / 255.0, 0x00 / 255.0, 0x00 / 255.0}, /* black */
    {0x88 / 255.0, 0x88 / 255.0, 0x88 / 255.0}, /* grey */
};

enum { PL_MAX_TICKS = 64 };
#define PL_PI 3.14159265358979323846
#define PL_TICK 3.0                 /* tick length */
#define PL_GAP 2.5                  /* between a tick and its label */
#define PL_MARK 2.2                 /* marker radius */
#define PL_PLOT_H 118.0             /* height of the axes' box */
#define PL_SWATCH 14.0              /* legend line sample */
#define PL_ROW 10.5                 /* legend row pitch */
#define PL_LINE_H 9.6               /* a line of tick-label text */

typedef struct {
    double x0, y0, w, h;            /* the axes' box (y0 = top) */
    double xlo, xhi, ylo, yhi;      /* data range shown */
    double yt[PL_MAX_TICKS], xt[PL_MAX_TICKS];
    int nyt, nxt;
    int cat_two_lines;              /* PLOT_DOTS: category labels with their 2nd line */
    double leg_y0, leg_colw;        /* legend: top, column width */
    int leg_cols, leg_rows;
    double W, H;                    /* the figure */
} pl_layout;

static void pl_font(cairo_t *cr)
{
    cairo_font_options_t *fo = cairo_font_options_create();
    cairo_font_options_set_hint_metrics(fo, CAIRO_HINT_METRICS_OFF);
    cairo_font_options_set_hint_style(fo, CAIRO_HINT_STYLE_NONE);
    cairo_set_font_options(cr, fo);
    cairo_font_options_destroy(fo);
    cairo_select_font_face(cr, "DejaVu Sans", CAIRO_FONT_SLANT_NORMAL,
                           CAIRO_FONT_WEIGHT_NORMAL);
    cairo_set_font_size(cr, PLOT_FONT_PT);
}

static double pl_text_w(cairo_t *cr, const char *s)
{
    cairo_text_extents_t te;
    cairo_text_extents(cr, s, &te);
    return te.x_advance;
}

/* text at (x, y) where y is the middle of the text's x-height band; ax 0
 * left, 0.5 centre, 1 right aligned */
static void pl_text(cairo_t *cr, double x, double y, double ax, const char *s)
{
    cairo_move_to(cr, x - ax * pl_text_w(cr, s), y + 0.36 * PLOT_FONT_PT);
    cairo_show_text(cr, s);
}

/* ---- scales and ticks ---------------------------------------------------------------- */

/* a step of 1, 2 or 5 x 10^k giving about `want` intervals over range */
static double pl_step(double range, double want)
{
    double rough = range / want, mag = pow(10.0, floor(log10(rough))), n = rough / mag;
    return (n < 1.5 ? 1.0 : n < 3.0 ? 2.0 : n < 7.0 ? 5.0 : 10.0) * mag;
}

/* ticks at multiples of a round step within [lo, hi] */
static int pl_ticks(double lo, double hi, double want, int integer, double *t)
{
    double st = pl_step(hi - lo, want);
    if (integer && st < 1) st = 1;
    int n = 0;
    for (double v = ceil(lo / st - 1e-9) * st; v <= hi + 1e-9 * st && n < PL_MAX_TICKS;
         v += st)
        t[n++] = fabs(v) < 1e-12 * st ? 0.0 : v;
    return n;
}

static double pl_x(const pl_layout *L, const plot_chart *c, double v)
{
    double a = L->xlo, b = L->xhi;
    if (c->logx) v = log10(v), a = log10(a), b = log10(b);
    return b > a ? L->x0 + (v - a) / (b - a) * L->w : L->x0 + 0.5 * L->w;
}

static double pl_y(const pl_layout *L, double v)
{
    return L->y0 + L->h - (v - L->ylo) / (L->yhi - L->ylo) * L->h;
}

static void pl_fmt(char *buf, size_t cap, double v) { snprintf(buf, cap, "%g", v); }

/* the data ranges: y over y, lo and hi (with a margin), x over the points */
static void pl_ranges(const plot_chart *c, pl_layout *L)
{
    double ya = INFINITY, yb = -INFINITY, xa = INFINITY, xb = -INFINITY;
    for (int s = 0; s < c->ns; s++) {
        const plot_series *S = &c->s[s];
        for (int p = 0; p < S->n; p++) {
            double v[3] = {S->y[p], S->lo ? S->lo[p] : NAN, S->hi ? S->hi[p] : NAN};
            if (!isfinite(S->y[p])) continue;
            for (int k = 0; k < 3; k++)
                if (isfinite(v[k])) ya = fmin(ya, v[k]), yb = fmax(yb, v[k]);
            if (c->kind != PLOT_DOTS && isfinite(S->x[p])) xa = fmin(xa, S->x[p]), xb = fmax(xb, S->x[p]);
        }
    }
    if (!(ya <= yb)) ya = c->ymin, yb = c->ymax;
    if (yb - ya < 1.0) {            /* flat data: one point either side */
        double m = 0.5 * (ya + yb);
        ya = m - 0.5, yb = m + 0.5;
    }
    double pad = 0.06 * (yb - ya);
    L->ylo = fmax(ya - pad, c->ymin);
    L->yhi = fmin(yb + pad, c->ymax);
    /* an end within half a tick step of a tick moves out to it, so that the
     * axis usually ends on a labelled value */
    double st = pl_step(L->yhi - L->ylo, 4.5), t;
    t = floor(L->ylo / st) * st;
    if (L->ylo - t <= 0.5 * st && t >= c->ymin) L->ylo = t;
    t = ceil(L->yhi / st) * st;
    if (t - L->yhi <= 0.5 * st && t <= c->ymax) L->yhi = t;
    if (c->kind == PLOT_DOTS) {
        L->xlo = -0.5, L->xhi = c->ncat - 0.5;
    } else {
        if (!(xa <= xb)) xa = 0, xb = 1;
        if (xb == xa) xa -= 0.5, xb += 0.5;
        if (c->kind == PLOT_ERRBAR) {   /* room for the markers at the ends */
            if (c->logx) {
                double f = pow(xb / xa, 0.04);
                xa /= f, xb *= f;
            } else {
                double m = 0.04 * (xb - xa);
                xa -= m, xb += m;
            }
        }
        L->xlo = xa, L->xhi = xb;
    }
}

/* ---- layout --------------------------------------------------------------------------- */

static int pl_layout_make(cairo_t *cr, const plot_chart *c, pl_layout *L)
{
    char buf[64];
    memset(L, 0, sizeof *L);
    pl_ranges(c, L);
    L->nyt = pl_ticks(L->ylo, L->yhi, 4.5, 0, L->yt);
    double ytw = 0;
    for (int k = 0; k < L->nyt; k++) {
        pl_fmt(buf, sizeof buf, L->yt[k]);
        ytw = fmax(ytw, pl_text_w(cr, buf));
    }
    L->W = PLOT_WIDTH_PT;
    L->x0 = 2.0 + PLOT_FONT_PT * 1.2 + 3.0 + ytw + PL_GAP + PL_TICK;
    L->w = L->W - L->x0 - 8.0;
    L->y0 = 0.6 * PLOT_FONT_PT + 2.0;
    L->h = PL_PLOT_H;
    /* x ticks */
    if (c->kind == PLOT_DOTS) {
        double slot = L->w / (c->ncat > 0 ? c->ncat : 1);
        L->cat_two_lines = 1;
        for (int k = 0; k < c->ncat; k++) {
            const char *nl = strchr(c->cat[k], '\n');
            char first[64];
            snprintf(first, sizeof first, "%.*s", nl ? (int)(nl - c->cat[k]) : 63, c->cat[k]);
            if (!nl || pl_text_w(cr, nl + 1) > slot - 2 || pl_text_w(cr, first) > slot - 2)
                L->cat_two_lines = 0;
        }
    } else if (c->xt && c->nxt > 0) {
        L->nxt = 0;
        for (int k = 0; k < c->nxt && L->nxt < PL_MAX_TICKS; k++) L->xt[L->nxt++] = c->xt[k];
    } else if (c->logx) {
        for (double v = pow(10, floor(log10(L->xlo))); v <= L->xhi * 1.0001 && L->nxt < PL_MAX_TICKS; v *= 10)
            if (v >= L->xlo * 0.9999) L->xt[L->nxt++] = v;
    } else {
        L->nxt = pl_ticks(L->xlo, L->xhi, 5, c->integer_x, L->xt);
    }
    double xtick_h = PL_TICK + PL_GAP + PL_LINE_H * (L->cat_two_lines ? 2 : 1);
    double xlabel_y = L->y0 + L->h + xtick_h + 0.8 * PLOT_FONT_PT;
    /* legend: columns as wide as the widest entry */
    double widest = 0;
    for (int s = 0; s < c->ns; s++) widest = fmax(widest, pl_text_w(cr, c->s[s].label));
    double entry = PL_SWATCH + 3.0 + widest + 8.0, avail = L->W - 4.0;
    L->leg_cols = (int)(avail / entry);
    if (L->leg_cols < 1) L->leg_cols = 1;
    if (L->leg_cols > c->ns) L->leg_cols = c->ns;
    L->leg_rows = (c->ns + L->leg_cols - 1) / L->leg_cols;
    L->leg_colw = L->leg_cols > 1 ? avail / L->leg_cols : avail;
    L->leg_y0 = xlabel_y + 0.9 * PLOT_FONT_PT + 4.0;
    L->H = ceil(L->leg_y0 + L->leg_rows * PL_ROW + 2.0);
    return 0;
}

/* ---- drawing ---------------------------------------------------------------------------- */

static void pl_colour(cairo_t *cr, int s, double alpha)
{
    const double *c = pl_rgb[s % PLOT_MAX_SERIES];
    cairo_set_source_rgba(cr, c[0], c[1], c[2], alpha);
}

/* marker s at (x, y): filled circle, square, triangle, diamond, inverted
 * triangle; then open circle, open square, open diamond */
static void pl_marker(cairo_t *cr, int s, double x, double y)
{
    double r = PL_MARK;
    int shape = s % PLOT_MAX_SERIES;
    cairo_new_path(cr);
    switch (shape % 5) {
    case 0: cairo_arc(cr, x, y, r, 0, 2 * PL_PI); break;
    case 1: cairo_rectangle(cr, x - 0.88 * r, y - 0.88 * r, 1.76 * r, 1.76 * r); break;
    case 2:
        cairo_move_to(cr, x, y - 1.15 * r);
        cairo_line_to(cr, x + r, y + 0.75 * r);
        cairo_line_to(cr, x - r, y + 0.75 * r);
        cairo_close_path(cr);
        break;
    case 3:
        cairo_move_to(cr, x, y - 1.2 * r);
        cairo_line_to(cr, x + 1.2 * r, y);
        cairo_line_to(cr, x, y + 1.2 * r);
        cairo_line_to(cr, x - 1.2 * r, y);
        cairo_close_path(cr);
        break;
    default:
        cairo_move_to(cr, x, y + 1.15 * r);
        cairo_line_to(cr, x + r, y - 0.75 * r);
        cairo_line_to(cr, x - r, y - 0.75 * r);
        cairo_close_path(cr);
        break;
    }
    if (shape >= 5) {               /* open markers */
        cairo_set_source_rgb(cr, 1, 1, 1);
        cairo_fill_preserve(cr);
        pl_colour(cr, s, 1);
        cairo_set_line_width(cr, 0.9);
        cairo_set_dash(cr, NULL, 0, 0);
        cairo_stroke(cr);
    } else {
        pl_colour(cr, s, 1);
        cairo_fill(cr);
    }
}

static void pl_dash(cairo_t *cr, int dashed)
{
    static const double d[2] = {3.0, 1.8};
    cairo_set_dash(cr, dashed ? d : NULL, dashed ? 2 : 0, 0);
}

/* the x position of point p of series s (PLOT_DOTS and PLOT_ERRBAR spread
 * the series sideways so that their bars do not hide each other) */
static double pl_px(const pl_layout *L, const plot_chart *c, int s, int p)
{
    double off = s - (c->ns - 1) / 2.0;
    if (c->kind == PLOT_DOTS) {
        double slot = L->w / c->ncat, pitch = fmin(0.8 * slot / c->ns, 7.0);
        return L->x0 + (p + 0.5) * slot + off * pitch;
    }
    double x = pl_x(L, c, c->s[s].x[p]);
    return c->kind == PLOT_ERRBAR && !c->s[s].plain ? x + off * 1.6 : x;
}

static void pl_series(cairo_t *cr, const pl_layout *L, const plot_chart *c, int s)
{
    const plot_series *S = &c->s[s];
    if (c->kind == PLOT_BAND && S->lo && S->hi) {
        /* each run of finite points: along hi, back along lo */
        for (int p = 0; p < S->n;) {
            if (!isfinite(S->lo[p]) || !isfinite(S->hi[p])) {
                p++;
                continue;
            }
            int q = p;
            while (q < S->n && isfinite(S->lo[q]) && isfinite(S->hi[q])) q++;
            cairo_new_path(cr);
            for (int k = p; k < q; k++) cairo_line_to(cr, pl_px(L, c, s, k), pl_y(L, S->hi[k]));
            for (int k = q - 1; k >= p; k--)
                cairo_line_to(cr, pl_px(L, c, s, k), pl_y(L, S->lo[k]));
            cairo_close_path(cr);
            pl_colour(cr, S->style, 0.18);
            cairo_fill(cr);
            p = q;
        }
    }
    if (c->kind != PLOT_DOTS) {
        cairo_new_path(cr);
        int pen = 0;
        for (int p = 0; p < S->n; p++) {
            if (!isfinite(S->y[p])) {
                pen = 0;
                continue;
            }
            double x = pl_px(L, c, s, p), y = pl_y(L, S->y[p]);
            if (pen) cairo_line_to(cr, x, y);
            else cairo_move_to(cr, x, y);
            pen = 1;
        }
        pl_colour(cr, S->style, 1);
        cairo_set_line_width(cr, 1.1);
        pl_dash(cr, S->dashed);
        cairo_stroke(cr);
        pl_dash(cr, 0);
    }
    if (c->kind != PLOT_BAND && S->lo && S->hi) {
        cairo_set_line_width(cr, 0.7);
        pl_colour(cr, S->style, 1);
        for (int p = 0; p < S->n; p++) {
            if (!isfinite(S->y[p]) || !isfinite(S->lo[p]) || !isfinite(S->hi[p])) continue;
            double x = pl_px(L, c, s, p), a = pl_y(L, S->lo[p]), b = pl_y(L, S->hi[p]);
            cairo_move_to(cr, x, a);
            cairo_line_to(cr, x, b);
            cairo_move_to(cr, x - 1.6, a);
            cairo_line_to(cr, x + 1.6, a);
            cairo_move_to(cr, x - 1.6, b);
            cairo_line_to(cr, x + 1.6, b);
        }
        cairo_stroke(cr);
    }
    int marks = (c->kind != PLOT_BAND || c->markers || S->n == 1) && !S->plain;
    for (int p = 0; marks && p < S->n; p++)
        if (isfinite(S->y[p])) pl_marker(cr, S->style, pl_px(L, c, s, p), pl_y(L, S->y[p]));
}

/* the axes: grid, spines, ticks, tick labels, axis labels */
static void pl_axes(cairo_t *cr, const pl_layout *L, const plot_chart *c)
{
    char buf[64];
    double xb = L->x0 + L->w, yb = L->y0 + L->h;
    cairo_set_line_width(cr, 0.4);
    cairo_set_source_rgb(cr, 0.87, 0.87, 0.87);
    for (int k = 0; k < L->nyt; k++) {
        cairo_move_to(cr, L->x0, pl_y(L, L->yt[k]));
        cairo_line_to(cr, xb, pl_y(L, L->yt[k]));
    }
    cairo_stroke(cr);
    cairo_set_source_rgb(cr, 0, 0, 0);
    cairo_set_line_width(cr, 0.6);
    cairo_move_to(cr, L->x0, L->y0);
    cairo_line_to(cr, L->x0, yb);
    cairo_line_to(cr, xb, yb);
    for (int k = 0; k < L->nyt; k++) {
        cairo_move_to(cr, L->x0, pl_y(L, L->yt[k]));
        cairo_line_to(cr, L->x0 - PL_TICK, pl_y(L, L->yt[k]));
    }
    cairo_stroke(cr);
    for (int k = 0; k < L->nyt; k++) {
        pl_fmt(buf, sizeof buf, L->yt[k]);
        pl_text(cr, L->x0 - PL_TICK - PL_GAP, pl_y(L, L->yt[k]), 1.0, buf);
    }
    double ty = yb + PL_TICK + PL_GAP + 0.5 * PL_LINE_H;
    if (c->kind == PLOT_DOTS) {
        for (int k = 0; k < c->ncat; k++) {
            double x = L->x0 + (k + 0.5) * L->w / c->ncat;
            const char *nl = strchr(c->cat[k], '\n');
            snprintf(buf, sizeof buf, "%.*s", nl ? (int)(nl - c->cat[k]) : 63, c->cat[k]);
            cairo_move_to(cr, x, yb);
            cairo_line_to(cr, x, yb + PL_TICK);
            cairo_stroke(cr);
            pl_text(cr, x, ty, 0.5, buf);
            if (nl && L->cat_two_lines) pl_text(cr, x, ty + PL_LINE_H, 0.5, nl + 1);
        }
    } else {
        /* every tick; labels that would overlap their left neighbour are left
         * out, but the last one is kept (its neighbours give way) */
        double px[PL_MAX_TICKS], hw[PL_MAX_TICKS];
        int show[PL_MAX_TICKS], m = 0;
        for (int k = 0; k < L->nxt; k++) {
            double x = pl_x(L, c, L->xt[k]);
            if (x < L->x0 - 0.5 || x > xb + 0.5) continue;
            cairo_move_to(cr, x, yb);
            cairo_line_to(cr, x, yb + PL_TICK);
            cairo_stroke(cr);
            pl_fmt(buf, sizeof buf, L->xt[k]);
            px[m] = x;
            hw[m] = 0.5 * pl_text_w(cr, buf) + 1.5;
            show[m] = 1;
            for (int q = m - 1; q >= 0; q--)
                if (show[q]) {
                    show[m] = px[m] - hw[m] >= px[q] + hw[q];
                    break;
                }
            m++;
        }
        if (m > 0 && !show[m - 1]) {
            show[m - 1] = 1;
            for (int q = m - 2; q >= 0 && px[m - 1] - hw[m - 1] < px[q] + hw[q]; q--) show[q] = 0;
        }
        for (int k = 0, i = 0; k < L->nxt; k++) {
            double x = pl_x(L, c, L->xt[k]);
            if (x < L->x0 - 0.5 || x > xb + 0.5) continue;
            pl_fmt(buf, sizeof buf, L->xt[k]);
            if (show[i++]) pl_text(cr, x, ty, 0.5, buf);
        }
    }
    double lab_y = yb + PL_TICK + PL_GAP + PL_LINE_H * (L->cat_two_lines ? 2 : 1) +
                   0.8 * PLOT_FONT_PT;
    pl_text(cr, L->x0 + 0.5 * L->w, lab_y, 0.5, c->xlabel);
    cairo_save(cr);
    cairo_translate(cr, 2.0 + 0.5 * PLOT_FONT_PT, L->y0 + 0.5 * L->h);
    cairo_rotate(cr, -PL_PI / 2);
    pl_text(cr, 0, 0, 0.5, c->ylabel);
    cairo_restore(cr);
}

static void pl_legend(cairo_t *cr, const pl_layout *L, const plot_chart *c)
{
    for (int s = 0; s < c->ns; s++) {
        int col = s % L->leg_cols, row = s / L->leg_cols;
        double x = 2.0 + col * L->leg_colw, y = L->leg_y0 + (row + 0.5) * PL_ROW;
        int st = c->s[s].style;
        if (c->kind != PLOT_DOTS) {
            pl_colour(cr, st, 1);
            cairo_set_line_width(cr, 1.1);
            pl_dash(cr, c->s[s].dashed);
            cairo_move_to(cr, x, y);
            cairo_line_to(cr, x + PL_SWATCH, y);
            cairo_stroke(cr);
            pl_dash(cr, 0);
        }
        if ((c->kind != PLOT_BAND || c->markers) && !c->s[s].plain)
            pl_marker(cr, st, x + 0.5 * PL_SWATCH, y);
        cairo_set_source_rgb(cr, 0, 0, 0);
        /* a label wider than its column is cut with "..." */
        char buf[256];
        snprintf(buf, sizeof buf, "%s", c->s[s].label);
        double room = L->leg_colw - PL_SWATCH - 3.0 - 4.0;
        size_t n = strlen(buf);
        while (n > 4 && pl_text_w(cr, buf) > room) {
            n--;
            while (n > 0 && (buf[n] & 0xC0) == 0x80) n--;   /* whole UTF-8 characters */
            memcpy(buf + n, "...", 4);
        }
        pl_text(cr, x + PL_SWATCH + 3.0, y, 0.0, buf);
    }
}

static void pl_draw(cairo_t *cr, const pl_layout *L, const plot_chart *c)
{
    pl_font(cr);
    cairo_set_source_rgb(cr, 1, 1, 1);
    cairo_paint(cr);
    cairo_set_line_join(cr, CAIRO_LINE_JOIN_ROUND);
    cairo_set_line_cap(cr, CAIRO_LINE_CAP_BUTT);
    pl_axes(cr, L, c);
    cairo_save(cr);
    cairo_rectangle(cr, L->x0 - 4, L->y0 - 4, L->w + 8, L->h + 4);
    cairo_clip(cr);
    for (int s = 0; s < c->ns; s++) pl_series(cr, L, c, s);
    cairo_restore(cr);
    pl_legend(cr, L, c);
}

/* ---- output ------------------------------------------------------------------------------ */

/* The PDF's creation date, so that a figure's bytes depend only on its
 * data: SOURCE_DATE_EPOCH (seconds since 1970-01-01 UTC, the
 * reproducible-builds convention) when set to a whole number >= 0, else
 * the epoch itself. Cairo would otherwise stamp the wall clock. */
static void pl_create_date(char *buf, size_t n)
{
    const char *env = getenv("SOURCE_DATE_EPOCH");
    time_t t = 0;
    if (env && *env) {
        char *end = NULL;
        errno = 0;
        long long v = strtoll(env, &end, 10);
        if (!errno && !*end && v >= 0 && v <= 253402300799LL) t = (time_t)v;   /* <= 9999 */
    }
    struct tm tm;
    if (!gmtime_r(&t, &tm) || !strftime(buf, n, "%Y-%m-%dT%H:%M:%SZ", &tm))
        snprintf(buf, n, "1970-01-01T00:00:00Z");
}

static int pl_one(const char *path, unsigned fmt, const pl_layout *L, const plot_chart *c,
                  dett_err *e)
{
    cairo_surface_t *sf;
    double scale = 1.0;
    if (fmt == PLOT_PDF) {
        sf = cairo_pdf_surface_create(path, L->W, L->H);
        char date[32];
        pl_create_date(date, sizeof date);
        cairo_pdf_surface_set_metadata(sf, CAIRO_PDF_METADATA_CREATOR, "dett report");
        cairo_pdf_surface_set_metadata(sf, CAIRO_PDF_METADATA_CREATE_DATE, date);
    } else if (fmt == PLOT_SVG) {
        sf = cairo_svg_surface_create(path, L->W, L->H);
    } else {
        scale = PLOT_PNG_DPI / 72.0;
        sf = cairo_image_surface_create(CAIRO_FORMAT_RGB24, (int)ceil(L->W * scale),
                                        (int)ceil(L->H * scale));
    }
    cairo_status_t st = cairo_surface_status(sf);
    if (st != CAIRO_STATUS_SUCCESS) {
        cairo_surface_destroy(sf);
        return dett_fail(e, "%s: cannot create (cairo: %s)", path, cairo_status_to_string(st));
    }
    cairo_t *cr = cairo_create(sf);
    cairo_scale(cr, scale, scale);
    pl_draw(cr, L, c);
    st = cairo_status(cr);
    cairo_destroy(cr);
    if (st == CAIRO_STATUS_SUCCESS && fmt == PLOT_PNG)
        st = cairo_surface_write_to_png(sf, path);
    cairo_surface_finish(sf);
    if (st == CAIRO_STATUS_SUCCESS) st = cairo_surface_status(sf);
    cairo_surface_destroy(sf);
    if (st != CAIRO_STATUS_SUCCESS)
        return dett_fail(e, "%s: cannot write (cairo: %s)", path, cairo_status_to_string(st));
    return 0;
}

int plot_write(const char *dir, const char *stem, unsigned formats, const plot_chart *c,
               dett_err *e)
{
    static const char *const ext[3] = {"pdf", "svg", "png"};
    char path[1200];
    pl_layout L;
    if (c->ns < 1 || c->ns > PLOT_MAX_SERIES)
        return dett_fail(e, "%s/%s: %d series in one panel (1 to %d)", dir, stem, c->ns,
                         PLOT_MAX_SERIES);
    if (c->kind == PLOT_DOTS && c->ncat < 1)
        return dett_fail(e, "%s/%s: no categories", dir, stem);
    for (int s = 0; s < c->ns; s++) {
        int ok = c->s[s].style >= 0 && c->s[s].style < PLOT_MAX_SERIES;
        for (int q = 0; q < s && ok; q++) ok = c->s[q].style != c->s[s].style;
        if (!ok)
            return dett_fail(e, "%s/%s: series %d: style %d out of range or repeated", dir,
                             stem, s, c->s[s].style);
    }
    /* measure on a scratch surface */
    cairo_surface_t *scratch = cairo_image_surface_create(CAIRO_FORMAT_A8, 1, 1);
    cairo_t *cr = cairo_create(scratch);
    pl_font(cr);
    pl_layout_make(cr, c, &L);
    cairo_status_t st = cairo_status(cr);
    cairo_destroy(cr);
    cairo_surface_destroy(scratch);
    if (st != CAIRO_STATUS_SUCCESS)
        return dett_fail(e, "%s/%s: cairo: %s", dir, stem, cairo_status_to_string(st));
    for (int k = 0; k < 3; k++) {
        if (!(formats & (1u << k))) continue;
        if (snprintf(path, sizeof path, "%s/%s.%s", dir, stem, ext[k]) >= (int)sizeof path)
            return dett_fail(e, "%s/%s: path too long", dir, stem);
        if (pl_one(path, 1u << k, &L, c, e)) return -1;
    }
    return 0;
}
