/* eta.c - remaining time of a grid from measured job times (see eta.h). */
#include "eta.h"
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { E_PENDING, E_RUNNING, E_DONE, E_DEAD };   /* dead: failed or skipped */
enum { Q_SETUP, Q_RATE, Q_TAIL, N_Q };           /* the parts of a job's time */
enum { F_FAMILY, F_ARCH, F_METHOD, N_F };        /* the parts of a class */

typedef struct {
    int epochs, deps[2], cell;
    int state, group;
    int seen;                   /* epochs reported */
    double t_start, t_first;    /* start; end of the first epoch */
    double t_last, t_end;       /* end of the last reported epoch; end (done) */
} eta_job;

typedef struct {
    int f[N_F];                 /* interned family, arch, method */
    double sum[N_Q], cnt[N_Q];  /* measured sums (scratch of eta_remaining) */
    double est[N_Q];            /* the estimate (scratch); < 0 unknown */
    double work;                /* work per epoch (eta_set_work), 0 unknown */
    int from_work;              /* scratch: its rate came from the cost model */
} eta_cell;

struct eta {
    int n, n_groups;
    eta_job *job;
    eta_cell *cell;
    int n_cells;
    char **names[N_F];          /* interned strings per field */
    int n_names[N_F];
    double *fin, *free_at;      /* scratch: simulated end per job, per group */
    double scale;               /* scratch: seconds per unit of work, 0 unknown */
};

eta *eta_new(int n, int n_groups)
{
    eta *t = calloc(1, sizeof *t);
    if (!t) return NULL;
    t->n = n;
    t->n_groups = n_groups > 0 ? n_groups : 1;
    t->job = calloc((size_t)n + 1, sizeof *t->job);
    t->cell = calloc((size_t)n + 1, sizeof *t->cell);
    for (int f = 0; f < N_F; f++) t->names[f] = calloc((size_t)n + 1, sizeof(char *));
    t->fin = calloc((size_t)n + 1, sizeof(double));
    t->free_at = calloc((size_t)t->n_groups, sizeof(double));
    int ok = t->job && t->cell && t->fin && t->free_at;
    for (int f = 0; f < N_F; f++) ok = ok && t->names[f];
    for (int j = 0; ok && j < n; j++) {
        t->job[j].epochs = 1;
        t->job[j].deps[0] = t->job[j].deps[1] = -1;
        ok = eta_set_job(t, j, 1, -1, -1, "", "", "", 0) == 0;
    }
    if (!ok) {
        eta_free(t);
        return NULL;
    }
    return t;
}

void eta_free(eta *t)
{
    if (!t) return;
    for (int f = 0; f < N_F; f++) {
        for (int k = 0; t->names[f] && k < t->n_names[f]; k++) free(t->names[f][k]);
        free(t->names[f]);
    }
    free(t->job);
    free(t->cell);
    free(t->fin);
    free(t->free_at);
    free(t);
}

/* the id of s in field f (a new one if unseen), -1 on no memory */
static int intern(eta *t, int f, const char *s)
{
    if (!s) s = "";
    for (int k = 0; k < t->n_names[f]; k++)
        if (!strcmp(t->names[f][k], s)) return k;
    if (t->n_names[f] >= t->n + 1) return -1;
    size_t len = strlen(s) + 1;
    char *c = malloc(len);
    if (!c) return -1;
    memcpy(c, s, len);
    t->names[f][t->n_names[f]] = c;
    return t->n_names[f]++;
}

int eta_set_job(eta *t, int j, int epochs, int dep0, int dep1, const char *family,
                const char *arch, const char *method, int done)
{
    if (j < 0 || j >= t->n) return -1;
    int id[N_F] = { intern(t, F_FAMILY, family), intern(t, F_ARCH, arch),
                    intern(t, F_METHOD, method) };
    if (id[0] < 0 || id[1] < 0 || id[2] < 0) return -1;
    int c = 0;
    while (c < t->n_cells && memcmp(t->cell[c].f, id, sizeof id)) c++;
    if (c == t->n_cells) {
        if (t->n_cells >= t->n + 1) return -1;
        memcpy(t->cell[t->n_cells++].f, id, sizeof id);
    }
    eta_job *b = &t->job[j];
    memset(b, 0, sizeof *b);
    b->epochs = epochs > 0 ? epochs : 1;
    b->deps[0] = dep0;
    b->deps[1] = dep1;
    b->cell = c;
    b->state = done ? E_DONE : E_PENDING;   /* done before this run: not measured */
    return 0;
}

void eta_set_work(eta *t, int j, double work)
{
    if (j < 0 || j >= t->n || !(work > 0)) return;
    t->cell[t->job[j].cell].work = work;   /* a class's jobs share their work */
}

void eta_start(eta *t, int j, int g, double now)
{
    if (j < 0 || j >= t->n) return;
    eta_job *b = &t->job[j];
    b->state = E_RUNNING;
    b->group = g >= 0 && g < t->n_groups ? g : 0;
    b->t_start = b->t_first = b->t_last = now;
    b->seen = 0;
}

void eta_epoch(eta *t, int j, int epochs, double now)
{
    if (j < 0 || j >= t->n || t->job[j].state != E_RUNNING) return;
    eta_job *b = &t->job[j];
    if (epochs <= b->seen) return;
    if (b->seen == 0) b->t_first = now;
    b->seen = epochs;
    b->t_last = now;
}

void eta_end(eta *t, int j, int ok, int epochs_run, double now)
{
    if (j < 0 || j >= t->n) return;
    eta_job *b = &t->job[j];
    int measured = ok && b->state == E_RUNNING;
    b->state = ok ? E_DONE : E_DEAD;
    b->t_end = now;
    if (!measured) {
        b->seen = -1;              /* nothing to learn from it */
    } else if (b->seen == 0 && epochs_run > 0) {
        /* no epoch reports (another rank's group that ended at once): its
         * time counts as epochs only */
        b->seen = epochs_run;
        b->t_first = b->t_start + (now - b->t_start) / epochs_run;
        b->t_last = now;
    }
}

/* adds job b's measurements to its cell */
static void measure(eta *t, const eta_job *b)
{
    if (b->seen <= 0 || (b->state != E_RUNNING && b->state != E_DONE)) return;
    eta_cell *c = &t->cell[b->cell];
    double first = b->t_first - b->t_start;
    if (b->seen >= 2) {
        double r = (b->t_last - b->t_first) / (b->seen - 1);
        c->sum[Q_RATE] += r * (b->seen - 1);
        c->cnt[Q_RATE] += b->seen - 1;
        c->sum[Q_SETUP] += first > r ? first - r : 0;
        c->cnt[Q_SETUP] += 1;
    } else {
        /* one epoch seen: setup and rate are not apart yet (an over-estimate
         * of the rate until the second epoch) */
        c->sum[Q_RATE] += first;
        c->cnt[Q_RATE] += 1;
    }
    if (b->state == E_DONE) {
        c->sum[Q_TAIL] += b->t_end - b->t_last;
        c->cnt[Q_TAIL] += 1;
    }
}

/* mean of q over the measured cells matching (field f == v) inside family
 * fam (fam < 0: every family; f < 0: the whole family); -1 if none */
static double mean_where(const eta *t, int q, int fam, int f, int v)
{
    double s = 0, k = 0;
    for (int c = 0; c < t->n_cells; c++) {
        const eta_cell *x = &t->cell[c];
        if (x->cnt[q] <= 0 || (fam >= 0 && x->f[F_FAMILY] != fam) || (f >= 0 && x->f[f] != v))
            continue;
        s += x->sum[q];
        k += x->cnt[q];
    }
    return k > 0 ? s / k : -1;
}

/* the measured mean of q in cell (fam, a, m), -1 if not measured */
static double cell_mean(const eta *t, int q, int fam, int a, int m)
{
    for (int c = 0; c < t->n_cells; c++) {
        const eta_cell *x = &t->cell[c];
        if (x->f[F_FAMILY] == fam && x->f[F_ARCH] == a && x->f[F_METHOD] == m)
            return x->cnt[q] > 0 ? x->sum[q] / x->cnt[q] : -1;
    }
    return -1;
}

/* the estimate of q for cell c (see eta.h) */
static double estimate(const eta *t, int q, int c)
{
    const eta_cell *x = &t->cell[c];
    const int fam = x->f[F_FAMILY], a = x->f[F_ARCH], m = x->f[F_METHOD];
    if (x->cnt[q] > 0) return x->sum[q] / x->cnt[q];
    /* the cost model: its work at the seconds per unit measured */
    if (q == Q_RATE && x->work > 0 && t->scale > 0) return t->scale * x->work;
    /* additive: (a, m') + (a', m) - (a', m') over measured rectangles */
    double s = 0;
    int k = 0;
    for (int c1 = 0; c1 < t->n_cells && k < 64; c1++) {        /* (a, m') */
        const eta_cell *y = &t->cell[c1];
        if (y->cnt[q] <= 0 || y->f[F_FAMILY] != fam || y->f[F_ARCH] != a || y->f[F_METHOD] == m)
            continue;
        for (int c2 = 0; c2 < t->n_cells && k < 64; c2++) {    /* (a', m) */
            const eta_cell *z = &t->cell[c2];
            if (z->cnt[q] <= 0 || z->f[F_FAMILY] != fam || z->f[F_METHOD] != m ||
                z->f[F_ARCH] == a)
                continue;
            double base = cell_mean(t, q, fam, z->f[F_ARCH], y->f[F_METHOD]);
            if (base < 0) continue;
            double ya = y->sum[q] / y->cnt[q], zm = z->sum[q] / z->cnt[q];
            double v = ya + zm - base, lo = 0.5 * (ya > zm ? ya : zm);
            s += v > lo ? v : lo;
            k++;
        }
    }
    if (k > 0) return s / k;
    double ma = mean_where(t, q, fam, F_ARCH, a), mm = mean_where(t, q, fam, F_METHOD, m);
    if (ma >= 0 && mm >= 0) return ma > mm ? ma : mm;
    if (ma >= 0) return ma;
    if (mm >= 0) return mm;
    double mf = mean_where(t, q, fam, -1, 0);
    if (mf >= 0) return mf;
    return mean_where(t, q, -1, -1, 0);
}

/* estimated seconds job b still needs at time now */
static double job_left(const eta *t, const eta_job *b, double now)
{
    const double *e = t->cell[b->cell].est;
    double left = e[Q_RATE] * (b->epochs - (b->seen > 0 ? b->seen : 0)) + e[Q_TAIL];
    if (b->state == E_PENDING) return left + e[Q_SETUP];
    if (b->seen <= 0) left += e[Q_SETUP] - (now - b->t_start);
    else left -= now - b->t_last;
    return left > 0 ? left : 0;    /* overdue: it ends any moment */
}

/* 1 if job j's dependencies let it run (or be skipped) by time tg in the
 * simulation; *dead set when a dependency failed or was skipped */
static int ready_at(const eta *t, int j, double tg, int *dead)
{
    *dead = 0;
    for (int k = 0; k < 2; k++) {
        int d = t->job[j].deps[k];
        if (d < 0 || d >= t->n) continue;
        int st = t->job[d].state;
        if (st == E_DEAD) { *dead = 1; continue; }
        if (st == E_DONE) continue;
        if (t->fin[d] < 0 || t->fin[d] > tg) return 0;   /* not simulated or later */
    }
    return 1;
}

double eta_remaining(eta *t, double now)
{
    int left = 0, any = 0;
    for (int c = 0; c < t->n_cells; c++) {
        memset(t->cell[c].sum, 0, sizeof t->cell[c].sum);
        memset(t->cell[c].cnt, 0, sizeof t->cell[c].cnt);
    }
    for (int j = 0; j < t->n; j++) {
        const eta_job *b = &t->job[j];
        if (b->state == E_PENDING || b->state == E_RUNNING) left++;
        measure(t, b);
    }
    if (left == 0) return 0;
    for (int c = 0; c < t->n_cells; c++) any |= t->cell[c].cnt[Q_RATE] > 0;
    if (!any) return -1;
    /* seconds per unit of work: the geometric mean over the measured
     * classes of rate / work, each class one sample */
    double lsum = 0;
    int nl = 0;
    for (int c = 0; c < t->n_cells; c++) {
        const eta_cell *x = &t->cell[c];
        if (x->cnt[Q_RATE] > 0 && x->work > 0 && x->sum[Q_RATE] > 0) {
            lsum += log(x->sum[Q_RATE] / x->cnt[Q_RATE] / x->work);
            nl++;
        }
    }
    t->scale = nl > 0 ? exp(lsum / nl) : 0;
    for (int c = 0; c < t->n_cells; c++)
        t->cell[c].from_work = t->cell[c].cnt[Q_RATE] <= 0 && t->cell[c].work > 0 && t->scale > 0;
    for (int c = 0; c < t->n_cells; c++)
        for (int q = 0; q < N_Q; q++) {
            double v = estimate(t, q, c);
            t->cell[c].est[q] = v > 0 ? v : 0;     /* setup and tail may be unmeasured */
        }

    /* the groups now: busy until their running job's estimated end */
    for (int g = 0; g < t->n_groups; g++) t->free_at[g] = now;
    int pending = 0;
    for (int j = 0; j < t->n; j++) {
        const eta_job *b = &t->job[j];
        t->fin[j] = -1;
        if (b->state == E_RUNNING) {
            t->fin[j] = now + job_left(t, b, now);
            if (t->fin[j] > t->free_at[b->group]) t->free_at[b->group] = t->fin[j];
        } else if (b->state == E_PENDING) {
            pending++;
        }
    }
    /* list scheduling of the pending jobs, as the scheduler picks them */
    while (pending > 0) {
        int g = 0;
        for (int k = 1; k < t->n_groups; k++)
            if (t->free_at[k] < t->free_at[g]) g = k;
        const double tg = t->free_at[g];
        int pick = -1;
        for (int j = 0; j < t->n && pick < 0; j++) {
            int dead;
            if (t->job[j].state != E_PENDING || t->fin[j] >= 0 || !ready_at(t, j, tg, &dead))
                continue;
            if (dead) {            /* skipped at once, takes no group */
                t->fin[j] = tg;
                pending--;
                j = -1;            /* a skip can make others ready: rescan */
                continue;
            }
            pick = j;
        }
        if (pick >= 0) {
            t->fin[pick] = tg + job_left(t, &t->job[pick], tg);
            t->free_at[g] = t->fin[pick];
            pending--;
            continue;
        }
        if (pending == 0) break;
        /* nothing ready at tg: this group idles until the next simulated end */
        double next = -1;
        for (int j = 0; j < t->n; j++)
            if (t->fin[j] > tg && (next < 0 || t->fin[j] < next)) next = t->fin[j];
        if (next < 0) break;       /* unreachable with an acyclic plan */
        t->free_at[g] = next;
    }
    double end = now;
    for (int g = 0; g < t->n_groups; g++)
        if (t->free_at[g] > end) end = t->free_at[g];
    return end - now;
}

void eta_log(const eta *t, FILE *f, double now)
{
    fprintf(f, "eta at %.3f: %.4g s per unit of work\n", now, t->scale);
    for (int c = 0; c < t->n_cells; c++) {
        const eta_cell *x = &t->cell[c];
        int n = 0;
        for (int j = 0; j < t->n; j++) n += t->job[j].cell == c;
        if (n == 0) continue;
        fprintf(f, "  %-28.28s %-14.14s %-28.28s jobs %2d work %9.3g  measured %4.0f epochs"
                   "  setup %7.3f rate %7.4f%s tail %7.3f\n",
                t->names[F_FAMILY][x->f[F_FAMILY]], t->names[F_ARCH][x->f[F_ARCH]],
                t->names[F_METHOD][x->f[F_METHOD]], n, x->work, x->cnt[Q_RATE],
                x->est[Q_SETUP], x->est[Q_RATE], x->from_work ? "w" : " ", x->est[Q_TAIL]);
    }
}
