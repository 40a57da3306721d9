/* report_rows.c - jobs -> rows: one row per configuration apart from the seed,
 * seeds pooled across files, statistics at the selected epoch, labels from
 * the fields that vary, and the group-DRO row each row is compared with. */
#define _POSIX_C_SOURCE 200809L
#include "report_internal.h"
#include "results_format.h"
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

/* ---- small helpers ----------------------------------------------------------- */

int rep_job_epoch(const rep_job *j, int sel)
{
    if (j->status != JOB_DONE || sel < 0 || sel >= REP_N_SEL) return -1;
    return j->selected[sel];
}

const char *rep_spread_text(const rep_opts *o)
{
    return o->sem ? "standard error (sample std / sqrt(n))" : "sample std";
}

void rep_table_sem(rep_table *t)
{
    for (int q = 0; q < t->n; q++) {
        rep_row *r = &t->rows[q];
        double k = r->n_done > 1 ? 1.0 / sqrt((double)r->n_done) : 1.0;
        r->worst_std *= k;
        r->avg_std *= k;
        r->mgrp_std *= k;
        for (int g = 0; g < r->G && r->group_std; g++) r->group_std[g] *= k;
        if (r->gap_n > 1) r->gap_std /= sqrt((double)r->gap_n);
    }
}

void rep_mean_std(const double *v, int n, double *mean, double *std)
{
    double s = 0, ss = 0;
    if (n <= 0) {
        *mean = *std = NAN;
        return;
    }
    for (int k = 0; k < n; k++) s += v[k];
    *mean = s / n;
    for (int k = 0; k < n; k++) ss += (v[k] - *mean) * (v[k] - *mean);
    *std = n > 1 ? sqrt(ss / (n - 1)) : 0.0;
}

int rep_fmt(char *buf, size_t cap, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(buf, cap, fmt, ap);
    va_end(ap);
    return n < 0 || (size_t)n >= cap;
}

/* appends src to buf[cap] (truncating) */
static void rw_cat(char *buf, size_t cap, const char *src)
{
    size_t n = strlen(buf), m = strlen(src);
    if (n + 1 >= cap) return;
    if (m > cap - n - 1) m = cap - n - 1;
    memcpy(buf + n, src, m);
    buf[n + m] = '\0';
}

void rep_args_without(const char *args, const char *key, char *buf, size_t cap)
{
    const char *open = strchr(args, '('), *body = args, *end = args + strlen(args);
    size_t klen = strlen(key);
    int first = 1;
    buf[0] = '\0';
    if (cap == 0) return;
    if (open && end > open && end[-1] == ')') {
        size_t n = (size_t)(open - args) + 1;
        if (n >= cap) n = cap - 1;
        memcpy(buf, args, n);       /* "name(" */
        buf[n] = '\0';
        body = open + 1;
        end--;
    }
    while (body < end) {
        const char *comma = memchr(body, ',', (size_t)(end - body));
        const char *stop = comma ? comma : end;
        size_t len = (size_t)(stop - body);
        int is_key = len > klen && !strncmp(body, key, klen) && body[klen] == '=';
        if (!is_key && len > 0) {
            char item[256];
            if (len >= sizeof item) len = sizeof item - 1;
            memcpy(item, body, len);
            item[len] = '\0';
            if (!first) rw_cat(buf, cap, ",");
            rw_cat(buf, cap, item);
            first = 0;
        }
        body = comma ? comma + 1 : end;
    }
    if (open && args[strlen(args) - 1] == ')') {
        /* "name()" after removing the only argument reads as "name" */
        size_t n = strlen(buf);
        if (n > 0 && buf[n - 1] == '(') buf[n - 1] = '\0';
        else rw_cat(buf, cap, ")");
    }
}

int rep_job_value(const rep_job *j, const char *key, double *v)
{
    if (!strcmp(key, "width")) {
        if (j->arch_t.width <= 0) return 0;
        *v = j->arch_t.width;
        return 1;
    }
    for (int k = 0; k < j->n_margs; k++)
        if (!j->margs[k].is_text && !strcmp(j->margs[k].name, key)) {
            *v = j->margs[k].num;
            return 1;
        }
    for (int k = 0; k < j->n_wargs; k++)
        if (!j->wargs[k].is_text && !strcmp(j->wargs[k].name, key)) {
            *v = j->wargs[k].num;
            return 1;
        }
    return 0;
}

static const char *rw_basename(const char *path)
{
    const char *s = strrchr(path, '/');
    return s ? s + 1 : path;
}

/* ---- grouping ------------------------------------------------------------------ */

static void rw_key(const rep_job *j, char *key, size_t cap)
{
    rep_fmt(key, cap, "%s\x1f%s\x1f%s\x1f%s\x1f%s\x1f%s\x1f%s\x1f%d\x1f%d\x1f%d\x1f%s\x1f%d\x1f%s\x1f%s",
             j->kind, j->dataset, j->method, j->method_args, j->arch, j->weighting,
             j->teacher_key, j->epochs, j->groups, j->n_attrs, j->optim, j->batch, j->sampler,
             j->init);
}

static int rw_push(int **v, int *n, int x)
{
    int *nv = realloc(*v, (size_t)(*n + 1) * sizeof *nv);
    if (!nv) return -1;
    nv[(*n)++] = x;
    *v = nv;
    return 0;
}

/* adds job k to the row: one representative per seed, done beating not done */
static int rw_add_seed(rep_row *r, const rep_data *d, int k, dett_err *e)
{
    const rep_job *j = &d->jobs[k];
    for (int s = 0; s < r->n_seeds; s++) {
        const rep_job *o = &d->jobs[r->seed_job[s]];
        if (o->seed != j->seed) continue;
        if (o->status != JOB_DONE && j->status == JOB_DONE) r->seed_job[s] = k;
        else if (o->status == JOB_DONE && j->status == JOB_DONE)
            fprintf(stderr, "dett: warning: %s: %s repeats seed %lld of %s (%s); using the "
                    "first\n", d->files[j->file], j->id, (long long)j->seed, o->id,
                    d->files[o->file]);
        return 0;
    }
    if (rw_push(&r->seed_job, &r->n_seeds, k)) return dett_fail(e, "out of memory");
    return 0;
}

/* ---- statistics ------------------------------------------------------------------ */

/* the job of d that job k names as its teacher (same file), or -1 */
static int rw_teacher_job(const rep_data *d, int k)
{
    const rep_job *j = &d->jobs[k];
    if (!j->teacher[0]) return -1;
    for (int q = 0; q < d->n_jobs; q++)
        if (d->jobs[q].file == j->file && !strcmp(d->jobs[q].id, j->teacher)) return q;
    return -1;
}

/* the row's statistics over its done seeds at the epoch sel chooses: test
 * worst-group, train-weighted average, unweighted group mean, per-group
 * accuracy (mean and std), validation worst-group, and the gap of each
 * seed to its own teacher job at the teacher's epoch by the same rule */
static int rw_stats(rep_row *r, const rep_data *d, int sel, dett_err *e)
{
    double *w = NULL, *a = NULL, *gv = NULL, *vw = NULL, *mg = NULL, *gap = NULL;
    int rc = -1, n = 0, ng = 0;
    const rep_job *f = &d->jobs[r->first];
    size_t ns = (size_t)r->n_seeds + 1;
    r->G = f->groups;
    r->A = f->n_attrs;
    memset(r->n_status, 0, sizeof r->n_status);
    for (int s = 0; s < r->n_seeds; s++) r->n_status[d->jobs[r->seed_job[s]].status]++;
    r->n_done = r->n_status[JOB_DONE];
    w = malloc(ns * sizeof *w);
    a = malloc(ns * sizeof *a);
    vw = malloc(ns * sizeof *vw);
    mg = malloc(ns * sizeof *mg);
    gap = malloc(ns * sizeof *gap);
    gv = malloc(ns * (size_t)r->G * sizeof *gv);
    r->group_mean = malloc((size_t)r->G * sizeof *r->group_mean);
    r->group_std = malloc((size_t)r->G * sizeof *r->group_std);
    CHECK_ALLOC(e, w);
    CHECK_ALLOC(e, a);
    CHECK_ALLOC(e, vw);
    CHECK_ALLOC(e, mg);
    CHECK_ALLOC(e, gap);
    CHECK_ALLOC(e, gv);
    CHECK_ALLOC(e, r->group_mean);
    CHECK_ALLOC(e, r->group_std);
    for (int s = 0; s < r->n_seeds; s++) {
        const rep_job *j = &d->jobs[r->seed_job[s]];
        int ep = rep_job_epoch(j, sel);
        if (ep < 0) continue;
        w[n] = 100.0 * j->worst[ep * 2 + 1];
        vw[n] = 100.0 * j->worst[ep * 2 + 0];
        a[n] = 100.0 * j->avg[ep * 2 + 1];
        double m = 0;
        for (int g = 0; g < r->G; g++) {
            double x = 100.0 * j->acc[((size_t)ep * 2 + 1) * (size_t)r->G + (size_t)g];
            gv[(size_t)g * (size_t)r->n_seeds + (size_t)n] = x;
            m += x;
        }
        mg[n] = m / r->G;
        {   /* students, and teachers that are students of a chain */
            int tk = rw_teacher_job(d, r->seed_job[s]);
            int tep = tk >= 0 ? rep_job_epoch(&d->jobs[tk], sel) : -1;
            if (tep >= 0) gap[ng++] = w[n] - 100.0 * d->jobs[tk].worst[tep * 2 + 1];
        }
        n++;
    }
    double sd;
    rep_mean_std(w, n, &r->worst_mean, &r->worst_std);
    rep_mean_std(a, n, &r->avg_mean, &r->avg_std);
    rep_mean_std(mg, n, &r->mgrp_mean, &r->mgrp_std);
    rep_mean_std(vw, n, &r->val_worst_mean, &sd);
    rep_mean_std(gap, ng, &r->gap_mean, &r->gap_std);
    r->gap_n = ng;
    for (int g = 0; g < r->G; g++)
        rep_mean_std(gv + (size_t)g * (size_t)r->n_seeds, n, &r->group_mean[g],
                     &r->group_std[g]);
    rc = 0;
fail:
    free(w);
    free(a);
    free(gv);
    free(vw);
    free(mg);
    free(gap);
    return rc;
}

/* ---- labels ------------------------------------------------------------------------ */

enum { F_DATASET, F_ARGS, F_ARCH, F_WEIGHTING, F_TEACHER, F_EPOCHS, F_OPTIM, F_BATCH, F_SAMPLER,
       F_INIT, F_METHOD, N_FIELDS };

static void rw_field(const rep_job *j, int f, char *buf, size_t cap)
{
    switch (f) {
    case F_DATASET: snprintf(buf, cap, "%s", j->dataset); break;
    case F_ARGS: snprintf(buf, cap, "%s", j->method_args); break;
    case F_ARCH: snprintf(buf, cap, "%s", j->arch); break;
    case F_WEIGHTING: snprintf(buf, cap, "%s", j->weighting); break;
    case F_TEACHER: rep_fmt(buf, cap, "%s", j->teacher_key); break;
    case F_EPOCHS: snprintf(buf, cap, "%d", j->epochs); break;
    case F_OPTIM: snprintf(buf, cap, "%s", j->optim); break;
    case F_BATCH: snprintf(buf, cap, "%d", j->batch); break;
    case F_SAMPLER: snprintf(buf, cap, "%s", j->sampler); break;
    case F_INIT: snprintf(buf, cap, "%s", j->init); break;
    default: snprintf(buf, cap, "%s", j->method); break;
    }
}

/* which fields differ across the rows of section sec. The weighting counts
 * only where it differs between rows of the same method and method_args (it
 * usually repeats them), and so do the optimiser, batch and sampler (methods
 * have different default optimisers and samplers); the teacher only among rows that have one. */
static void rw_varying(const rep_table *t, const rep_data *d, rep_section sec,
                       int vary[N_FIELDS])
{
    char a[1100], b[1100];
    for (int f = 0; f < N_FIELDS; f++) {
        vary[f] = 0;
        for (int r = 0; r < t->n && !vary[f]; r++) {
            const rep_job *x = &d->jobs[t->rows[r].first];
            if (t->rows[r].section != sec || (f == F_TEACHER && !x->teacher_key[0])) continue;
            for (int q = 0; q < r && !vary[f]; q++) {
                const rep_job *y = &d->jobs[t->rows[q].first];
                if (t->rows[q].section != sec || (f == F_TEACHER && !y->teacher_key[0]))
                    continue;
                if ((f == F_WEIGHTING || f == F_OPTIM || f == F_BATCH || f == F_SAMPLER) &&
                    (strcmp(x->method, y->method) || strcmp(x->method_args, y->method_args)))
                    continue;
                rw_field(x, f, a, sizeof a);
                rw_field(y, f, b, sizeof b);
                vary[f] = strcmp(a, b) != 0;
            }
        }
    }
}

static void rw_label(rep_row *r, const rep_data *d, const int vary[N_FIELDS])
{
    const rep_job *j = &d->jobs[r->first];
    char *L = r->label;
    size_t cap = sizeof r->label;
    char tmp[700];
    L[0] = '\0';
    if (r->section == REP_SEC_TEACHER) {
        snprintf(L, cap, "teacher: %s", j->method);
        if (vary[F_ARGS] && j->method_args[0]) {
            snprintf(tmp, sizeof tmp, "(%s)", j->method_args);
            rw_cat(L, cap, tmp);
        }
        rw_cat(L, cap, " ");
        rw_cat(L, cap, j->arch);
    } else {
        snprintf(L, cap, "%s", j->method);
        if (vary[F_ARGS] && j->method_args[0]) {
            snprintf(tmp, sizeof tmp, "(%s)", j->method_args);
            rw_cat(L, cap, tmp);
        }
    }
    if (vary[F_WEIGHTING] && strcmp(j->weighting, "none") && j->weighting[0]) {
        snprintf(tmp, sizeof tmp, " w=%s", j->weighting);
        rw_cat(L, cap, tmp);
    }
    if (r->section == REP_SEC_STUDENT && vary[F_ARCH]) {
        rw_cat(L, cap, " ");
        rw_cat(L, cap, j->arch);
    }
    if (vary[F_TEACHER] && j->teacher_label[0]) {
        snprintf(tmp, sizeof tmp, " teacher=%s", j->teacher_label);
        rw_cat(L, cap, tmp);
    }
    if (vary[F_DATASET]) {
        snprintf(tmp, sizeof tmp, " %s", rw_basename(j->dataset));
        char *dot = strrchr(tmp, '.');
        if (dot && !strcmp(dot, ".h5")) *dot = '\0';
        rw_cat(L, cap, tmp);
    }
    if (vary[F_EPOCHS]) {
        snprintf(tmp, sizeof tmp, " epochs=%d", j->epochs);
        rw_cat(L, cap, tmp);
    }
    if (vary[F_OPTIM] && j->optim[0]) {
        snprintf(tmp, sizeof tmp, " %s", j->optim);
        rw_cat(L, cap, tmp);
    }
    if (vary[F_BATCH] && j->batch) {
        snprintf(tmp, sizeof tmp, " batch=%d", j->batch);
        rw_cat(L, cap, tmp);
    }
    if (vary[F_SAMPLER]) {
        snprintf(tmp, sizeof tmp, " sampler=%s", j->sampler);
        rw_cat(L, cap, tmp);
    }
    if (vary[F_INIT] || strcmp(j->init, "random")) {   /* init = "teacher" always shows */
        snprintf(tmp, sizeof tmp, " init=%s", j->init);
        rw_cat(L, cap, tmp);
    }
    if (r->n_tuned > 1) {
        snprintf(tmp, sizeof tmp, " [best of %d on val]", r->n_tuned);
        rw_cat(L, cap, tmp);
    }
}

static void rw_labels(rep_table *t, const rep_data *d)
{
    for (int sec = 0; sec < 2; sec++) {
        int vary[N_FIELDS];
        rw_varying(t, d, (rep_section)sec, vary);
        for (int r = 0; r < t->n; r++)
            if ((int)t->rows[r].section == sec) rw_label(&t->rows[r], d, vary);
    }
    /* labels still equal (fields that only the teacher's key tells apart):
     * number the later ones */
    for (int r = 0; r < t->n; r++) {
        int dup = 1;
        for (int q = 0; q < r; q++)
            if (!strcmp(t->rows[q].label, t->rows[r].label)) dup++;
        if (dup > 1) {
            char tmp[32];
            snprintf(tmp, sizeof tmp, " #%d", dup);
            rw_cat(t->rows[r].label, sizeof t->rows[r].label, tmp);
        }
    }
}

/* the optimiser's family: "sgd" of "sgd(lr=0.01,...)" ("" if unknown) */
static void rw_optim_family(const char *optim, char *buf, size_t cap)
{
    rep_fmt(buf, cap, "%.*s", (int)strcspn(optim, "("), optim);
}

/* can groupdro row b be row r's baseline? Same section, dataset,
 * architecture, epochs, batch and optimiser family; fields chosen by --tune
 * are not compared (both rows were tuned over them) */
static int rw_comparable(const rep_data *d, const rep_row *r, const rep_row *b,
                         const char *tune)
{
    rep_job x, y;
    char fx[64], fy[64];
    rep_job_untuned(&d->jobs[r->first], tune, &x);
    rep_job_untuned(&d->jobs[b->first], tune, &y);
    rw_optim_family(x.optim, fx, sizeof fx);
    rw_optim_family(y.optim, fy, sizeof fy);
    return b->section == r->section && !strcmp(x.dataset, y.dataset) &&
           !strcmp(x.arch, y.arch) && x.epochs == y.epochs && x.batch == y.batch &&
           !strcmp(fx, fy);
}

/* each row's group-DRO baseline: of the comparable groupdro rows with a
 * finished seed, the one with the best mean validation worst-group accuracy
 * (chosen on validation like everything else); -1 if there is none and for
 * groupdro rows themselves (is_baseline) */
static void rw_baselines(rep_table *t, const rep_data *d, const char *tune)
{
    for (int r = 0; r < t->n; r++) {
        rep_row *row = &t->rows[r];
        row->baseline = -1;
        row->is_baseline = !strcmp(d->jobs[row->first].method, "groupdro");
        if (row->is_baseline) continue;
        for (int q = 0; q < t->n; q++) {
            const rep_row *b = &t->rows[q];
            if (strcmp(d->jobs[b->first].method, "groupdro") || b->n_done == 0 ||
                !rw_comparable(d, row, b, tune))
                continue;
            if (row->baseline < 0 ||
                b->val_worst_mean > t->rows[row->baseline].val_worst_mean)
                row->baseline = q;
        }
    }
}

/* numbers the blocks (section, dataset, arch) in first-seen order */
static void rw_blocks(rep_table *t, const rep_data *d)
{
    int nb = 0;
    for (int r = 0; r < t->n; r++) {
        const rep_job *j = &d->jobs[t->rows[r].first];
        t->rows[r].block = -1;
        for (int q = 0; q < r && t->rows[r].block < 0; q++) {
            const rep_job *k = &d->jobs[t->rows[q].first];
            if (t->rows[q].section == t->rows[r].section && !strcmp(j->dataset, k->dataset) &&
                !strcmp(j->arch, k->arch))
                t->rows[r].block = t->rows[q].block;
        }
        if (t->rows[r].block < 0) t->rows[r].block = nb++;
    }
}

/* ---- --tune: hyperparameter selection on validation ----------------------------------- */

/* keeps, of each family, the row with the best mean validation worst-group
 * accuracy; the others are dropped from t (their unfinished jobs stay
 * listed) */
static int rw_tune(rep_table *t, const rep_data *d, const char *tune, dett_err *e)
{
    if (rep_tune_check(d, tune, e)) return -1;
    enum { KEY = 2600 };
    char *keys = malloc((size_t)(t->n + 1) * KEY);
    int *fam = malloc(sizeof(int) * (size_t)(t->n + 1));   /* first row of r's family */
    int *best = malloc(sizeof(int) * (size_t)(t->n + 1));  /* per family: its best row */
    int *size = calloc((size_t)(t->n + 1), sizeof(int));   /* per family: its rows */
    int rc = -1;
    CHECK_ALLOC(e, keys);
    CHECK_ALLOC(e, fam);
    CHECK_ALLOC(e, best);
    CHECK_ALLOC(e, size);
    for (int r = 0; r < t->n; r++) {
        rep_job u;
        rep_job_untuned(&d->jobs[t->rows[r].first], tune, &u);
        rw_key(&u, keys + (size_t)r * KEY, KEY);
        fam[r] = best[r] = r;
        for (int q = 0; q < r; q++)
            if (!strcmp(keys + (size_t)q * KEY, keys + (size_t)r * KEY)) {
                fam[r] = fam[q];
                break;
            }
    }
    for (int r = 0; r < t->n; r++) {      /* the best by mean validation worst-group */
        const rep_row *x = &t->rows[r], *y = &t->rows[best[fam[r]]];
        if (x->n_done > 0 && (y->n_done == 0 || x->val_worst_mean > y->val_worst_mean))
            best[fam[r]] = r;
        size[fam[r]]++;
    }
    int n = 0;
    for (int r = 0; r < t->n; r++) {
        if (best[fam[r]] == r) {
            t->rows[n] = t->rows[r];
            t->rows[n++].n_tuned = size[fam[r]];
        } else {
            free(t->rows[r].seed_job);
            free(t->rows[r].group_mean);
            free(t->rows[r].group_std);
        }
    }
    t->n = n;
    rc = 0;
fail:
    free(keys);
    free(fam);
    free(best);
    free(size);
    return rc;
}

/* ---- the table ------------------------------------------------------------------------ */

/* teachers first; then by block, blocks in first-seen order; within a block
 * the order jobs were first seen in */
static int rw_row_cmp(const void *pa, const void *pb)
{
    const rep_row *a = pa, *b = pb;
    if (a->section != b->section) return (int)a->section - (int)b->section;
    if (a->block != b->block) return a->block - b->block;
    return a->first - b->first;
}

int rep_table_build(rep_table *t, const rep_data *d, int sel, const char *tune, dett_err *e)
{
    char **keys = NULL;
    char key[3700];         /* > the sum of the fields' sizes: never truncated */
    int rc = -1;
    memset(t, 0, sizeof *t);
    keys = calloc((size_t)d->n_jobs + 1, sizeof *keys);
    CHECK_ALLOC(e, keys);
    for (int k = 0; k < d->n_jobs; k++) {
        const rep_job *j = &d->jobs[k];
        if (!strcmp(j->kind, "ident")) {
            t->n_ident++;
            if (j->status != JOB_DONE && rw_push(&t->unfinished, &t->n_unfinished, k)) {
                dett_fail(e, "out of memory");
                goto fail;
            }
            continue;
        }
        rw_key(j, key, sizeof key);
        int r = 0;
        while (r < t->n && strcmp(keys[r], key)) r++;
        if (r == t->n) {
            if (t->n == t->cap) {
                int cap = t->cap ? 2 * t->cap : 16;
                rep_row *rows = realloc(t->rows, (size_t)cap * sizeof *rows);
                CHECK_ALLOC(e, rows);
                t->rows = rows;
                t->cap = cap;
            }
            memset(&t->rows[r], 0, sizeof t->rows[r]);
            t->rows[r].section = strcmp(j->kind, "train") ? REP_SEC_STUDENT : REP_SEC_TEACHER;
            t->rows[r].first = k;
            keys[r] = malloc(strlen(key) + 1);
            CHECK_ALLOC(e, keys[r]);
            strcpy(keys[r], key);
            t->n++;
        }
        CHECK(rw_add_seed(&t->rows[r], d, k, e));
    }
    /* teachers first, the order jobs were first seen in; then by block */
    for (int r = 0; r < t->n; r++) t->rows[r].block = 0;
    qsort(t->rows, (size_t)t->n, sizeof *t->rows, rw_row_cmp);
    rw_blocks(t, d);
    qsort(t->rows, (size_t)t->n, sizeof *t->rows, rw_row_cmp);
    t->max_G = 0;
    t->common_A = t->n ? d->jobs[t->rows[0].first].n_attrs : -1;
    for (int r = 0; r < t->n; r++) {
        rep_row *row = &t->rows[r];
        CHECK(rw_stats(row, d, sel, e));
        if (row->G > t->max_G) t->max_G = row->G;
        if (row->A != t->common_A) t->common_A = -1;
        for (int s = 0; s < row->n_seeds; s++)
            if (d->jobs[row->seed_job[s]].status != JOB_DONE &&
                rw_push(&t->unfinished, &t->n_unfinished, row->seed_job[s])) {
                dett_fail(e, "out of memory");
                goto fail;
            }
    }
    /* the unfinished list in job order (ident jobs were pushed first) */
    for (int a = 1; a < t->n_unfinished; a++)
        for (int b = a; b > 0 && t->unfinished[b - 1] > t->unfinished[b]; b--) {
            int x = t->unfinished[b];
            t->unfinished[b] = t->unfinished[b - 1];
            t->unfinished[b - 1] = x;
        }
    if (tune && *tune) CHECK(rw_tune(t, d, tune, e));
    rw_labels(t, d);
    rw_baselines(t, d, tune);
    rc = 0;
fail:
    if (keys)
        for (int r = 0; r < d->n_jobs; r++) free(keys[r]);
    free(keys);
    if (rc) rep_table_free(t);
    return rc;
}

void rep_table_free(rep_table *t)
{
    if (!t) return;
    for (int r = 0; r < t->n; r++) {
        free(t->rows[r].seed_job);
        free(t->rows[r].group_mean);
        free(t->rows[r].group_std);
    }
    free(t->rows);
    free(t->unfinished);
    memset(t, 0, sizeof *t);
}
