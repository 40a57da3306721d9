/* plot.h - one-panel figures through cairo, for `dett report --plots`.
 *
 * A chart is lines (with a shaded band), lines with error bars, or dots with
 * error bars at categories; it is drawn by one function onto a cairo
 * surface, so PDF, SVG and PNG (300 dpi) are the same picture. Figures are
 * 3.3 in (a single column) wide with 8 pt text, no title (captions belong in
 * the document), a y axis zoomed to the data (bands and bars included) with
 * tick labels, and the legend below the axes in as many columns as fit.
 * Colours are the Okabe-Ito palette (colour-blind safe) and every series
 * also has its own marker, so a grey-scale print still tells them apart.
 */
#ifndef DETT_PLOT_H
#define DETT_PLOT_H
#include "err.h"

enum { PLOT_PDF = 1, PLOT_SVG = 2, PLOT_PNG = 4 };
enum { PLOT_MAX_SERIES = 8 };       /* a panel holds at most this many series */
#define PLOT_WIDTH_PT 237.6         /* 3.3 in */
#define PLOT_FONT_PT 8.0
#define PLOT_PNG_DPI 300.0

typedef struct {
    const char *label;              /* legend text, short (the caption has the rest) */
    int n;                          /* points */
    const double *x, *y;            /* y NaN: no point (lines break there) */
    const double *lo, *hi;          /* NULL, or the band / error bar ends per point */
    int dashed;                     /* a dashed line (e.g. a teacher) */
    int style;                      /* colour and marker 0 .. PLOT_MAX_SERIES-1, distinct
                                       within a chart (the caller keeps a method's style
                                       across figures) */
    int plain;                      /* a reference line (e.g. the teacher's level): no
                                       markers, not offset sideways */
} plot_series;

typedef enum {
    PLOT_BAND,                      /* lines, a shaded band lo..hi */
    PLOT_ERRBAR,                    /* lines, markers, error bars lo..hi */
    PLOT_DOTS                       /* markers and error bars at categories 0..ncat-1,
                                       the series side by side, no lines */
} plot_kind;

typedef struct {
    plot_kind kind;
    const char *xlabel, *ylabel;
    int logx;                       /* log10 x axis (x > 0) */
    int ncat;                       /* PLOT_DOTS: the categories' labels; a label may */
    const char *const *cat;         /* have a second line after '\n' (dropped if too wide) */
    int nxt;                        /* x ticks at these values (NULL: automatic) */
    const double *xt;
    int integer_x;                  /* automatic x ticks at integers only */
    int markers;                    /* PLOT_BAND: markers at the points too */
    double ymin, ymax;              /* the y axis stays within [ymin, ymax] */
    int ns;                         /* 1 .. PLOT_MAX_SERIES */
    const plot_series *s;
} plot_chart;

/* writes chart c as <dir>/<stem>.pdf, .svg and/or .png (formats: PLOT_*
 * bits). -1 with "<path>: ..." in e on a bad chart or a write error. */
int plot_write(const char *dir, const char *stem, unsigned formats, const plot_chart *c,
               dett_err *e);

#endif
