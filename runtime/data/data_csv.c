/* data_csv.c - import a CSV table as a dataset (see data_builders.h).
 *
 * The dialect (RFC 4180 with two conveniences):
 *   - the first record is the header: unique, non-empty column names;
 *   - fields are separated by commas, records by LF or CRLF; a UTF-8 byte
 *     order mark at the start is skipped; blank lines are skipped;
 *   - a field may be quoted with "...": it may then hold commas, newlines
 *     and doubled quotes ("" for "); a quote inside an unquoted field is
 *     refused; spaces and tabs around a field (outside its quotes) are
 *     dropped;
 *   - every record has as many fields as the header, else the file is
 *     refused with FILE:LINE (the line where the record starts);
 *   - a value is missing if it is empty or an unquoted NA (as R's write.csv
 *     writes it); missing values are refused with FILE:LINE: drop or impute
 *     those rows first;
 *   - a column is numeric if all its values are decimal numbers (digits,
 *     sign, point, exponent; finite), categorical if at most half of them
 *     are; a column in between (mostly numbers and a stray nan, inf, 1e999
 *     or typo) is refused at its first non-number. Categorical values are
 *     compared as text ("1" and "1.0" are two categories).
 *
 * Random draws: stratified split keyed by rng_stream2(DRAW_GROUP, g), row
 * order of split s by rng_stream2(DRAW_ORDER, s).
 */
#include "data_builders.h"
#include "rng.h"
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CSV_MAX_FILE ((long)1 << 33)       /* 8 GB */
#define CSV_MAX_CATEGORIES 1000            /* per categorical feature column */
#define CSV_MAX_D (1 << 20)

enum { DRAW_GROUP = 1, DRAW_ORDER = 2 };

typedef struct {
    char *buf;           /* the file; fields are unescaped and NUL-terminated in place */
    int ncol;
    int64_t nrec, cap;   /* records (the header is record 0); capacity in records */
    char **field;        /* [nrec, ncol] */
    uint8_t *quoted;     /* [nrec, ncol] */
    int64_t *line;       /* [nrec]: the line where the record starts */
} csv_table;

static void csv_table_free(csv_table *t)
{
    free(t->buf);
    free(t->field);
    free(t->quoted);
    free(t->line);
    memset(t, 0, sizeof *t);
}

/* a scratch record: the fields of the record being parsed */
typedef struct {
    char **f;
    uint8_t *q;
    int n, cap;
} csv_rec;

static int rec_push(csv_rec *r, char *f, int quoted, dett_err *e)
{
    if (r->n == r->cap) {
        if (r->cap >= INT_MAX / 2) return dett_fail(e, "CSV record with too many fields");
        int cap = r->cap ? 2 * r->cap : 64;
        char **nf = realloc(r->f, (size_t)cap * sizeof *nf);
        if (!nf) return dett_fail(e, "%s:%d: out of memory", __FILE__, __LINE__);
        r->f = nf;
        uint8_t *nq = realloc(r->q, (size_t)cap);
        if (!nq) return dett_fail(e, "%s:%d: out of memory", __FILE__, __LINE__);
        r->q = nq;
        r->cap = cap;
    }
    r->f[r->n] = f;
    r->q[r->n++] = (uint8_t)quoted;
    return 0;
}

/* appends the scratch record (line: where it starts) to t */
static int csv_add_record(csv_table *t, const csv_rec *r, int64_t line, const char *path,
                          dett_err *e)
{
    if (t->nrec == 0) {
        t->ncol = r->n;
    } else if (r->n != t->ncol) {
        return dett_fail(e, "%s:%lld: %d fields; the header has %d (every row needs one value per "
                         "column; quote fields that contain commas)", path, (long long)line, r->n,
                         t->ncol);
    }
    if (t->nrec == t->cap) {
        int64_t cap = t->cap ? 2 * t->cap : 1024;
        if ((uint64_t)cap * (uint64_t)t->ncol > (uint64_t)SIZE_MAX / sizeof(char *))
            return dett_fail(e, "%s: too many fields", path);
        char **f = realloc(t->field, (size_t)cap * (size_t)t->ncol * sizeof *f);
        if (!f) return dett_fail(e, "%s:%d: out of memory", __FILE__, __LINE__);
        t->field = f;
        uint8_t *q = realloc(t->quoted, (size_t)cap * (size_t)t->ncol);
        if (!q) return dett_fail(e, "%s:%d: out of memory", __FILE__, __LINE__);
        t->quoted = q;
        int64_t *l = realloc(t->line, (size_t)cap * sizeof *l);
        if (!l) return dett_fail(e, "%s:%d: out of memory", __FILE__, __LINE__);
        t->line = l;
        t->cap = cap;
    }
    memcpy(t->field + t->nrec * t->ncol, r->f, (size_t)t->ncol * sizeof *r->f);
    memcpy(t->quoted + t->nrec * t->ncol, r->q, (size_t)t->ncol);
    t->line[t->nrec++] = line;
    return 0;
}

static int is_blank(char c) { return c == ' ' || c == '\t'; }

/* reads and parses path into t (the dialect at the top of this file) */
static int csv_read(const char *path, csv_table *t, dett_err *e)
{
    csv_rec rec = {0};
    long len = 0;
    memset(t, 0, sizeof *t);
    CHECK(data_read_file(path, CSV_MAX_FILE, &t->buf, &len, e));
    char *p = t->buf, *end = t->buf + len;
    if (memchr(p, '\0', (size_t)len)) {
        dett_fail(e, "%s: a NUL byte at offset %ld (not a text file)", path,
                  (long)((char *)memchr(p, '\0', (size_t)len) - p));
        goto fail;
    }
    if (len >= 3 && memcmp(p, "\xEF\xBB\xBF", 3) == 0) p += 3;
    int64_t line = 1;
    while (p < end) {
        char *q = p;
        while (q < end && is_blank(*q)) q++;
        if (q == end) break;
        if (*q == '\n' || (*q == '\r' && q + 1 < end && q[1] == '\n')) {   /* blank line */
            p = q + (*q == '\r' ? 2 : 1);
            line++;
            continue;
        }
        const int64_t rec_line = line;
        char sep;
        rec.n = 0;
        do {   /* one field; sep: what ended it (',', '\n', or 0 at the end of the file) */
            while (p < end && is_blank(*p)) p++;
            char *start = p, *fend;
            int quoted = p < end && *p == '"';
            if (quoted) {
                char *w = p;
                const int64_t open_line = line;
                p++;
                for (;;) {
                    if (p == end) {
                        dett_fail(e, "%s:%lld: a quoted field is never closed (missing \")", path,
                                  (long long)open_line);
                        goto fail;
                    }
                    if (*p == '"') {
                        if (p + 1 < end && p[1] == '"') {
                            *w++ = '"';
                            p += 2;
                            continue;
                        }
                        p++;
                        break;
                    }
                    if (*p == '\n') line++;
                    *w++ = *p++;
                }
                fend = w;
                while (p < end && is_blank(*p)) p++;
            } else {
                while (p < end && *p != ',' && *p != '\n' && *p != '\r' && *p != '"') p++;
                if (p < end && *p == '"') {
                    dett_fail(e, "%s:%lld: a quote inside an unquoted field (quote the whole field "
                              "and double the quote: \"a \"\"b\"\"\")", path, (long long)line);
                    goto fail;
                }
                fend = p;
                while (fend > start && is_blank(fend[-1])) fend--;
            }
            if (p == end) sep = 0;
            else if (*p == ',' || *p == '\n') sep = *p;
            else if (*p == '\r' && p + 1 < end && p[1] == '\n') sep = '\n', p++;
            else if (*p == '\r') {
                dett_fail(e, "%s:%lld: a carriage return not followed by a line feed", path,
                          (long long)line);
                goto fail;
            } else {
                dett_fail(e, "%s:%lld: '%c' after a closing quote (a quote inside a quoted field "
                          "must be doubled: \"\")", path, (long long)line, *p);
                goto fail;
            }
            *fend = '\0';   /* fend <= p: the separator was read above */
            if (sep) p++;
            CHECK(rec_push(&rec, start, quoted, e));
        } while (sep == ',');
        if (sep == '\n') line++;
        CHECK(csv_add_record(t, &rec, rec_line, path, e));
    }
    free(rec.f);
    free(rec.q);
    return 0;
fail:
    free(rec.f);
    free(rec.q);
    csv_table_free(t);
    return -1;
}

/* ======================================================================== */
/* columns                                                                  */
/* ======================================================================== */

static const char *cell(const csv_table *t, int64_t rec, int c) { return t->field[rec * t->ncol + c]; }

/* qsort: by text, then by address (file order) */
static int cmp_text_addr(const void *a, const void *b)
{
    const char *x = *(const char *const *)a, *y = *(const char *const *)b;
    int c = strcmp(x, y);
    return c ? c : (x > y) - (x < y);
}

/* 1 if the value at (rec, c) is missing: empty, or NA unquoted */
static int is_missing(const csv_table *t, int64_t rec, int c)
{
    const char *s = cell(t, rec, c);
    return s[0] == '\0' || (!t->quoted[rec * t->ncol + c] && strcmp(s, "NA") == 0);
}

/* 1 (and *v) if s is a finite decimal number */
static int is_number(const char *s, double *v)
{
    if (!*s) return 0;
    for (const char *p = s; *p; p++)
        if (!strchr("0123456789+-.eE", *p)) return 0;
    char *end;
    errno = 0;
    double x = strtod(s, &end);
    if (end == s || *end || !isfinite(x)) return 0;
    if (v) *v = x;
    return 1;
}

/* The header's names are unique: sorted (O(n log n): a million columns
 * take a fraction of a second), equal neighbours are duplicates; the
 * first column (in file order) that repeats an earlier one is named. */
static int check_unique_names(const csv_table *t, const char *path, dett_err *e)
{
    const char **v = malloc((size_t)(t->ncol ? t->ncol : 1) * sizeof *v);
    if (!v) return dett_fail(e, "%s:%d: out of memory", __FILE__, __LINE__);
    for (int c = 0; c < t->ncol; c++) v[c] = cell(t, 0, c);
    /* the cells point into one buffer in column order: among equal names the
     * lowest address is the first column */
    qsort(v, (size_t)t->ncol, sizeof *v, cmp_text_addr);
    const char *dup = NULL;
    for (int c = 1; c < t->ncol; c++)
        if (strcmp(v[c - 1], v[c]) == 0 && (!dup || v[c] < dup)) dup = v[c];
    int rc = 0;
    if (dup)
        rc = dett_fail(e, "%s:%lld: column name '%s' appears twice", path, (long long)t->line[0],
                       dup);
    free(v);
    return rc;
}

/* the sorted distinct values of one column */
typedef struct {
    int64_t n;
    const char **v;
    int numeric;      /* sorted by value (ties by text) rather than by text */
} csv_cats;

static int cmp_text(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static int cmp_num(const void *a, const void *b)
{
    const char *x = *(const char *const *)a, *y = *(const char *const *)b;
    double u = strtod(x, NULL), w = strtod(y, NULL);
    return u < w ? -1 : u > w ? 1 : strcmp(x, y);
}

static int cats_build(const csv_table *t, int c, int numeric, csv_cats *k, dett_err *e)
{
    const int64_t n = t->nrec - 1;
    k->numeric = numeric;
    k->n = 0;
    CHECK_ALLOC(e, k->v = malloc((size_t)n * sizeof *k->v));
    for (int64_t r = 0; r < n; r++) k->v[r] = cell(t, r + 1, c);
    qsort(k->v, (size_t)n, sizeof *k->v, numeric ? cmp_num : cmp_text);
    for (int64_t r = 0; r < n; r++)
        if (k->n == 0 || strcmp(k->v[k->n - 1], k->v[r]) != 0) k->v[k->n++] = k->v[r];
    return 0;
fail:
    return -1;
}

/* the index of s among k's values, or -1 */
static int64_t cats_find(const csv_cats *k, const char *s)
{
    const char **hit = bsearch(&s, k->v, (size_t)k->n, sizeof *k->v, k->numeric ? cmp_num : cmp_text);
    return hit ? hit - k->v : -1;
}

/* the base name of path (strip_ext: without its extension) */
static void base_name(char *dst, size_t len, const char *path, int strip_ext)
{
    const char *b = strrchr(path, '/');
    b = b ? b + 1 : path;
    snprintf(dst, len, "%s", b);
    char *dot = strrchr(dst, '.');
    if (strip_ext && dot && dot != dst) *dot = '\0';
}

/* a growing text, clamped to its buffer (data_text marks the cut later) */
typedef struct {
    char buf[8192];
    size_t used;
} text_out;

static void tx_add(text_out *t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void tx_add(text_out *t, const char *fmt, ...)
{
    va_list ap;
    size_t room = sizeof t->buf - t->used;
    va_start(ap, fmt);
    int n = vsnprintf(t->buf + t->used, room, fmt, ap);
    va_end(ap);
    if (n > 0) t->used += (size_t)n < room ? (size_t)n : room - 1;
}

/* ======================================================================== */
/* the importer                                                             */
/* ======================================================================== */

csv_opts csv_defaults(void)
{
    csv_opts o = {
        .path = NULL, .label = NULL, .attr = NULL, .positive = NULL, .attr_positive = NULL,
        .name = NULL, .source = NULL, .license = NULL, .note = NULL,
        .val_frac = 0.2f, .test_frac = 0.2f, .attr_feature = 1, .seed = 0,
    };
    return o;
}

int csv_check(const csv_opts *o, dett_err *e)
{
    if (!o->path || !*o->path) return dett_fail(e, "csv: the CSV file is required (dett data csv FILE.csv ...)");
    if (!o->label || !*o->label) return dett_fail(e, "csv: --label COLUMN is required");
    if (!o->attr || !*o->attr) return dett_fail(e, "csv: --attr COLUMN is required");
    if (strcmp(o->label, o->attr) == 0)
        return dett_fail(e, "csv: --label and --attr name the same column '%s'", o->label);
    if (!(o->val_frac > 0 && o->val_frac < 1))
        return dett_fail(e, "csv: --val-frac %g: must be in (0, 1)", (double)o->val_frac);
    if (!(o->test_frac > 0 && o->test_frac < 1))
        return dett_fail(e, "csv: --test-frac %g: must be in (0, 1)", (double)o->test_frac);
    if (!((double)o->val_frac + (double)o->test_frac < 1))
        return dett_fail(e, "csv: --val-frac + --test-frac = %g: must be < 1 (train needs rows)",
                         (double)o->val_frac + (double)o->test_frac);
    if (o->attr_feature != 0 && o->attr_feature != 1)
        return dett_fail(e, "csv: --attr-feature %d: must be 0 or 1", o->attr_feature);
    return 0;
}

/* how one target column (label or attribute) becomes 0..K-1 */
typedef struct {
    int col;
    const char *positive;   /* binary: (value == positive) */
    csv_cats cats;          /* else: the sorted values */
    int k;
    const char **names;     /* [k] */
    char neg_name[DATASET_TEXT];
} csv_target;

/* resolves a target column; flag names it in messages ("--label") */
static int target_setup(const csv_table *t, const char *path, const char *flag, int col,
                        const char *positive, csv_target *g, dett_err *e)
{
    const char *cname = cell(t, 0, col);
    const int64_t n = t->nrec - 1;
    g->col = col;
    g->positive = positive;
    int numeric = 1;
    for (int64_t r = 1; r <= n && numeric; r++) numeric = is_number(cell(t, r, col), NULL);
    CHECK(cats_build(t, col, numeric, &g->cats, e));
    if (positive) {
        if (cats_find(&g->cats, positive) < 0) {
            text_out vals = {{0}, 0};
            for (int64_t i = 0; i < g->cats.n && i < 8; i++)
                tx_add(&vals, "%s\"%s\"", i ? ", " : "", g->cats.v[i]);
            return dett_fail(e, "%s: %s '%s': no row has the value \"%s\" (its values: %s%s)", path,
                             flag, cname, positive, vals.buf, g->cats.n > 8 ? ", ..." : "");
        }
        g->k = 2;
        snprintf(g->neg_name, sizeof g->neg_name, "not %s", positive);
        CHECK_ALLOC(e, g->names = malloc(2 * sizeof *g->names));
        g->names[0] = g->neg_name;
        g->names[1] = positive;
        return 0;
    }
    if (g->cats.n < 2)
        return dett_fail(e, "%s: %s '%s' has a single value \"%s\"; need two or more", path, flag,
                         cname, g->cats.v[0]);
    if (g->cats.n > DATASET_MAX_GROUPS)
        return dett_fail(e, "%s: %s '%s' has %lld values; at most %d groups are supported", path,
                         flag, cname, (long long)g->cats.n, DATASET_MAX_GROUPS);
    g->k = (int)g->cats.n;
    g->names = g->cats.v;
    return 0;
fail:
    return -1;
}

static int target_value(const csv_target *g, const csv_table *t, int64_t rec)
{
    const char *s = cell(t, rec, g->col);
    if (g->positive) return strcmp(s, g->positive) == 0;
    return (int)cats_find(&g->cats, s);
}

static void target_free(csv_target *g)
{
    if (g->names != g->cats.v) free(g->names);
    free(g->cats.v);
    memset(g, 0, sizeof *g);
}

/* how one feature column becomes X columns */
typedef struct {
    int kind;           /* FEAT_NONE (label, or attr when not a feature), FEAT_NUM, FEAT_CAT */
    int off;            /* first X column */
    double mean, sd;    /* FEAT_NUM: train statistics */
    csv_cats cats;      /* FEAT_CAT: one X column per value */
} csv_feature;

enum { FEAT_NONE, FEAT_NUM, FEAT_CAT };

/* the description: construction, parameters, the target mappings, the features */
static void csv_info(dataset_info *info, const csv_opts *o, const csv_table *t,
                     const csv_target *ty, const csv_target *ta, const csv_feature *f, int d)
{
    char base[DATASET_TEXT], stem[DATASET_TEXT];
    text_out x = {{0}, 0};
    const csv_target *tg[2] = {ty, ta};
    const char *tn[2] = {"y", "a"};
    base_name(base, sizeof base, o->path, 0);
    base_name(stem, sizeof stem, o->path, 1);
    data_text(info->name, sizeof info->name, "%s", o->name ? o->name : stem);
    if (o->source) data_text(info->source, sizeof info->source, "%s", o->source);
    else data_text(info->source, sizeof info->source, "CSV file %s", o->path);
    data_text(info->license, sizeof info->license, "%s",
              o->license ? o->license : "unknown (not given to dett data csv --license)");
    if (o->note) tx_add(&x, "%s ", o->note);
    tx_add(&x, "Imported by dett data csv from %s (%lld rows, %d columns). ", base,
           (long long)(t->nrec - 1), t->ncol);
    for (int k = 0; k < 2; k++) {
        const csv_target *g = tg[k];
        if (g->positive) {
            tx_add(&x, "%s = 1 if %s == \"%s\", else 0. ", tn[k], cell(t, 0, g->col), g->positive);
            continue;
        }
        tx_add(&x, "%s = the index of %s among", tn[k], cell(t, 0, g->col));
        for (int v = 0; v < g->k; v++) tx_add(&x, "%s \"%s\"", v ? "," : "", g->names[v]);
        tx_add(&x, ". ");
    }
    tx_add(&x, "Split stratified by group: round(frac * n_g) rows of each group to test "
           "(test_frac = %g) and val (val_frac = %g), the rest train; rows shuffled; "
           "seed = %llu. X [n, %d]: the attribute column is %sa feature; numeric columns "
           "standardised with the train mean and sd (sd 0 -> 1), categorical ones one-hot over "
           "their sorted values:", (double)o->test_frac, (double)o->val_frac,
           (unsigned long long)o->seed, d, o->attr_feature ? "" : "not ");
    for (int c = 0; c < t->ncol; c++) {
        if (f[c].kind == FEAT_NUM)
            tx_add(&x, " %s (mean %.6g, sd %.6g);", cell(t, 0, c), f[c].mean, f[c].sd);
        else if (f[c].kind == FEAT_CAT) {
            tx_add(&x, " %s (%lld:", cell(t, 0, c), (long long)f[c].cats.n);
            for (int64_t v = 0; v < f[c].cats.n; v++)
                tx_add(&x, "%s %s", v ? "," : "", f[c].cats.v[v]);
            tx_add(&x, ");");
        }
    }
    data_text(info->description, sizeof info->description, "%s", x.buf);
}

/* frees the importer's working memory (f has t->ncol entries or is NULL) */
static void csv_free_work(csv_table *t, csv_target *ty, csv_target *ta, csv_feature *f,
                          int *g_of, int *s_of, int *perm, int64_t *rows)
{
    if (f)
        for (int c = 0; c < t->ncol; c++) free(f[c].cats.v);
    free(f);
    target_free(ty);
    target_free(ta);
    csv_table_free(t);
    free(g_of);
    free(s_of);
    free(perm);
    free(rows);
}

/* Messages quote header names and values, which may hold newlines or
 * other control bytes (a quoted field can): each becomes '?', so a message
 * stays one line. */
static void one_line(dett_err *e)
{
    for (char *p = e->msg; *p; p++)
        if ((unsigned char)*p < 32 || *p == 127) *p = '?';
}

int csv_build(const csv_opts *o, dataset_info *info, dataset_rows split[N_SPLITS], dett_err *e)
{
    csv_table t = {0};
    csv_target ty = {0}, ta = {0};
    csv_feature *f = NULL;
    int *g_of = NULL, *s_of = NULL, *perm = NULL;
    int64_t *rows = NULL;
    memset(split, 0, N_SPLITS * sizeof *split);
    memset(info, 0, sizeof *info);
    CHECK(csv_check(o, e));
    const char *path = o->path;
    CHECK(csv_read(path, &t, e));
    if (t.nrec < 2) {
        dett_fail(e, "%s: no data rows after the header", path);
        goto fail;
    }
    const int64_t n = t.nrec - 1;
    if (n > INT_MAX) {
        dett_fail(e, "%s: %lld rows; at most %d", path, (long long)n, INT_MAX);
        goto fail;
    }
    /* the header */
    int lc = -1, ac = -1;
    for (int c = 0; c < t.ncol; c++) {
        const char *h = cell(&t, 0, c);
        if (!*h) {
            dett_fail(e, "%s:%lld: column %d has an empty name", path, (long long)t.line[0], c + 1);
            goto fail;
        }
        if (strcmp(h, o->label) == 0) lc = c;
        if (strcmp(h, o->attr) == 0) ac = c;
    }
    CHECK(check_unique_names(&t, path, e));
    if (lc < 0 || ac < 0) {
        text_out cols = {{0}, 0};
        for (int c = 0; c < t.ncol; c++) tx_add(&cols, "%s%s", c ? ", " : "", cell(&t, 0, c));
        dett_fail(e, "%s: no column '%s' (%s) in the header; columns: %s", path,
                  lc < 0 ? o->label : o->attr, lc < 0 ? "--label" : "--attr", cols.buf);
        goto fail;
    }
    /* missing values, row by row */
    for (int64_t r = 1; r <= n; r++)
        for (int c = 0; c < t.ncol; c++)
            if (is_missing(&t, r, c)) {
                dett_fail(e, "%s:%lld: missing value (empty or NA) in %scolumn '%s'; drop or "
                          "impute such rows first", path, (long long)t.line[r],
                          c == lc ? "the label " : c == ac ? "the attribute " : "", cell(&t, 0, c));
                goto fail;
            }
    CHECK(target_setup(&t, path, "--label", lc, o->positive, &ty, e));
    CHECK(target_setup(&t, path, "--attr", ac, o->attr_positive, &ta, e));
    const int C = ty.k, A = ta.k, G = C * A;
    if (G > DATASET_MAX_GROUPS) {
        dett_fail(e, "%s: %d label values x %d attribute values = %d groups; at most %d", path, C, A,
                  G, DATASET_MAX_GROUPS);
        goto fail;
    }
    /* the feature layout */
    CHECK_ALLOC(e, f = calloc((size_t)t.ncol, sizeof *f));
    int d = 0;
    for (int c = 0; c < t.ncol; c++) {
        if (c == lc || (c == ac && !o->attr_feature)) continue;
        /* numeric: every value a finite number; categorical: at most half
         * are. In between a stray token (nan, inf, 1e999, a typo) would
         * silently turn a numeric column into hundreds of one-hot ones. */
        int64_t nums = 0, bad = 0;
        for (int64_t r = 1; r <= n; r++) {
            if (is_number(cell(&t, r, c), NULL)) nums++;
            else if (!bad) bad = r;
        }
        int numeric = nums == n;
        if (!numeric && 2 * nums > n) {
            dett_fail(e, "%s:%lld: column '%s': '%s' is not a finite number, but %lld of its %lld "
                      "values are (a column is numeric when all its values are finite numbers, "
                      "categorical when at most half are): fix or drop that row", path,
                      (long long)t.line[bad], cell(&t, 0, c), cell(&t, bad, c), (long long)nums,
                      (long long)n);
            goto fail;
        }
        f[c].off = d;
        if (numeric) {
            f[c].kind = FEAT_NUM;
            d++;
            continue;
        }
        f[c].kind = FEAT_CAT;
        CHECK(cats_build(&t, c, 0, &f[c].cats, e));
        if (f[c].cats.n > CSV_MAX_CATEGORIES) {
            dett_fail(e, "%s: column '%s' has %lld distinct non-numeric values (more than %d: an "
                      "id or free text?); remove it from the CSV", path, cell(&t, 0, c),
                      (long long)f[c].cats.n, CSV_MAX_CATEGORIES);
            goto fail;
        }
        d += (int)f[c].cats.n;
        if (d > CSV_MAX_D) {
            dett_fail(e, "%s: more than %d features after one-hot encoding", path, CSV_MAX_D);
            goto fail;
        }
    }
    if (d == 0) {
        dett_fail(e, "%s: no feature columns besides --label%s", path,
                  o->attr_feature ? "" : " and --attr");
        goto fail;
    }
    /* the stratified split: s_of[r] for data row r (0-based) */
    CHECK_ALLOC(e, g_of = malloc((size_t)n * sizeof *g_of));
    CHECK_ALLOC(e, s_of = malloc((size_t)n * sizeof *s_of));
    CHECK_ALLOC(e, perm = malloc((size_t)n * sizeof *perm));
    CHECK_ALLOC(e, rows = malloc((size_t)n * sizeof *rows));
    int64_t gstart[DATASET_MAX_GROUPS + 1] = {0}, gfill[DATASET_MAX_GROUPS];
    for (int64_t r = 0; r < n; r++) {
        g_of[r] = target_value(&ty, &t, r + 1) * A + target_value(&ta, &t, r + 1);
        gstart[g_of[r] + 1]++;
    }
    for (int g = 0; g < G; g++) gstart[g + 1] += gstart[g];
    memcpy(gfill, gstart, sizeof gfill);
    for (int64_t r = 0; r < n; r++) rows[gfill[g_of[r]]++] = r;   /* rows by group, file order */
    for (int g = 0; g < G; g++) {
        const int64_t ng = gstart[g + 1] - gstart[g];
        int64_t nte = (int64_t)floor((double)o->test_frac * (double)ng + 0.5);
        int64_t nva = (int64_t)floor((double)o->val_frac * (double)ng + 0.5);
        if (nte > ng) nte = ng;
        if (nte + nva > ng) nva = ng - nte;
        rng_permutation(perm, (int)ng, o->seed, rng_stream2(DRAW_GROUP, (uint64_t)g));
        for (int64_t i = 0; i < ng; i++)
            s_of[rows[gstart[g] + perm[i]]] = i < nte ? SPLIT_TEST : i < nte + nva ? SPLIT_VAL
                                                                                     : SPLIT_TRAIN;
    }
    int64_t ns[N_SPLITS] = {0};
    for (int64_t r = 0; r < n; r++) ns[s_of[r]]++;
    if (ns[SPLIT_TRAIN] == 0) {
        dett_fail(e, "%s: %lld rows leave none for train; lower --val-frac / --test-frac", path,
                  (long long)n);
        goto fail;
    }
    /* train statistics of the numeric features */
    for (int c = 0; c < t.ncol; c++) {
        if (f[c].kind != FEAT_NUM) continue;
        double sum = 0, ss = 0, v;
        for (int64_t r = 0; r < n; r++)
            if (s_of[r] == SPLIT_TRAIN && is_number(cell(&t, r + 1, c), &v)) sum += v;
        f[c].mean = sum / (double)ns[SPLIT_TRAIN];
        for (int64_t r = 0; r < n; r++)
            if (s_of[r] == SPLIT_TRAIN && is_number(cell(&t, r + 1, c), &v))
                ss += (v - f[c].mean) * (v - f[c].mean);
        f[c].sd = sqrt(ss / (double)ns[SPLIT_TRAIN]);
        if (!(f[c].sd > 0) || !isfinite(f[c].sd)) f[c].sd = 1;
    }
    /* the rows of each split, in a shuffled order */
    info->n_classes = C;
    info->n_attrs = A;
    info->n_groups = G;
    info->x_rank = 1;
    info->x_shape[0] = d;
    info->d = d;
    for (int s = 0; s < N_SPLITS; s++) {
        dataset_rows *out = &split[s];
        int64_t m = 0;
        for (int64_t r = 0; r < n; r++)
            if (s_of[r] == s) rows[m++] = r;
        CHECK(data_rows_alloc(out, m, d, e));
        rng_permutation(perm, (int)m, o->seed, rng_stream2(DRAW_ORDER, (uint64_t)s));
        for (int64_t i = 0; i < m; i++) {
            const int64_t r = rows[perm[i]], rec = r + 1;
            float *x = out->X + i * d;
            memset(x, 0, (size_t)d * sizeof *x);
            out->y[i] = target_value(&ty, &t, rec);
            out->a[i] = target_value(&ta, &t, rec);
            for (int c = 0; c < t.ncol; c++) {
                double v = 0;
                if (f[c].kind == FEAT_NUM) {
                    is_number(cell(&t, rec, c), &v);
                    x[f[c].off] = (float)((v - f[c].mean) / f[c].sd);
                    if (!isfinite(x[f[c].off])) {
                        dett_fail(e, "%s:%lld: column '%s': value %s is out of float range after "
                                  "standardising", path, (long long)t.line[rec], cell(&t, 0, c),
                                  cell(&t, rec, c));
                        goto fail;
                    }
                } else if (f[c].kind == FEAT_CAT) {
                    x[f[c].off + cats_find(&f[c].cats, cell(&t, rec, c))] = 1;
                }
            }
        }
    }
    csv_info(info, o, &t, &ty, &ta, f, d);
    CHECK(data_count_groups("csv", info, split, ty.names, ta.names, e));
    csv_free_work(&t, &ty, &ta, f, g_of, s_of, perm, rows);
    return 0;
fail:
    csv_free_work(&t, &ty, &ta, f, g_of, s_of, perm, rows);
    for (int s = 0; s < N_SPLITS; s++) dataset_rows_free(&split[s]);
    one_line(e);
    return -1;
}
