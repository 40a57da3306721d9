/* eta.c - remaining time of a grid from measured epoch times (see eta.h). */
#include "eta.h"
#include <stdlib.h>
#include <string.h>

enum { E_PENDING, E_RUNNING, E_DONE, E_DEAD };   /* dead: failed or skipped */

typedef struct {
    int epochs, deps[2], cls[ETA_LEVELS];   /* cls: class id per level, -1 none */
    int state, group, epochs_seen;
    double t_start, t_last;     /* start, last finished epoch (or start) */
    double t_end;               /* done: end */
} eta_job;

struct eta {
    int n, n_groups;
    eta_job *job;
    char **keys[ETA_LEVELS];    /* [level][class id]: distinct keys */
    int n_keys[ETA_LEVELS];
    double *sum_t, *sum_e;      /* per (level, class): scratch of eta_remaining */
    double *fin, *free_at;      /* scratch: simulated end per job, per group */
};

eta *eta_new(int n, int n_groups)
{
    eta *t = calloc(1, sizeof *t);
    if (!t) return NULL;
    t->n = n;
    t->n_groups = n_groups > 0 ? n_groups : 1;
    t->job = calloc((size_t)n + 1, sizeof *t->job);
    for (int l = 0; l < ETA_LEVELS; l++) t->keys[l] = calloc((size_t)n + 1, sizeof(char *));
    t->sum_t = calloc((size_t)(n + 1) * ETA_LEVELS, sizeof(double));
    t->sum_e = calloc((size_t)(n + 1) * ETA_LEVELS, sizeof(double));
    t->fin = calloc((size_t)n + 1, sizeof(double));
    t->free_at = calloc((size_t)t->n_groups, sizeof(double));
    int ok = t->job && t->sum_t && t->sum_e && t->fin && t->free_at;
    for (int l = 0; l < ETA_LEVELS; l++) ok = ok && t->keys[l];
    if (!ok) {
        eta_free(t);
        return NULL;
    }
    for (int j = 0; j < n; j++) {
        eta_job *b = &t->job[j];
        b->epochs = 1;
        b->deps[0] = b->deps[1] = -1;
        for (int l = 0; l < ETA_LEVELS; l++) b->cls[l] = -1;
    }
    return t;
}

void eta_free(eta *t)
{
    if (!t) return;
    for (int l = 0; l < ETA_LEVELS; l++) {
        for (int k = 0; t->keys[l] && k < t->n_keys[l]; k++) free(t->keys[l][k]);
        free(t->keys[l]);
    }
    free(t->job);
    free(t->sum_t);
    free(t->sum_e);
    free(t->fin);
    free(t->free_at);
    free(t);
}

/* the class id of key at level l (a new one if unseen), -1 on no memory */
static int class_of(eta *t, int l, const char *key)
{
    for (int k = 0; k < t->n_keys[l]; k++)
        if (!strcmp(t->keys[l][k], key)) return k;
    if (t->n_keys[l] >= t->n + 1) return -1;
    size_t len = strlen(key) + 1;
    char *c = malloc(len);
    if (!c) return -1;
    memcpy(c, key, len);
    t->keys[l][t->n_keys[l]] = c;
    return t->n_keys[l]++;
}

int eta_set_job(eta *t, int j, int epochs, int dep0, int dep1, const char *const *keys,
                int done)
{
    if (j < 0 || j >= t->n) return -1;
    eta_job *b = &t->job[j];
    b->epochs = epochs > 0 ? epochs : 1;
    b->deps[0] = dep0;
    b->deps[1] = dep1;
    for (int l = 0; l < ETA_LEVELS; l++) {
        b->cls[l] = -1;
        if (keys && keys[l] && keys[l][0] && (b->cls[l] = class_of(t, l, keys[l])) < 0)
            return -1;
    }
    b->state = done ? E_DONE : E_PENDING;
    b->epochs_seen = 0;   /* a job done before this run is not measured */
    return 0;
}

void eta_start(eta *t, int j, int g, double now)
{
    if (j < 0 || j >= t->n) return;
    eta_job *b = &t->job[j];
    b->state = E_RUNNING;
    b->group = g >= 0 && g < t->n_groups ? g : 0;
    b->t_start = b->t_last = now;
    b->epochs_seen = 0;
}

void eta_epoch(eta *t, int j, int epochs, double now)
{
    if (j < 0 || j >= t->n || t->job[j].state != E_RUNNING) return;
    eta_job *b = &t->job[j];
    if (epochs > b->epochs_seen) {
        b->epochs_seen = epochs;
        b->t_last = now;
    }
}

void eta_end(eta *t, int j, int ok, int epochs_run, double now)
{
    if (j < 0 || j >= t->n) return;
    eta_job *b = &t->job[j];
    int was_running = b->state == E_RUNNING;
    b->state = ok ? E_DONE : E_DEAD;
    if (ok && was_running && epochs_run > 0) {   /* measured */
        b->epochs_seen = epochs_run;
        b->t_last = b->t_end = now;
    } else {
        b->epochs_seen = 0;
    }
}

/* the measured time and epochs of job b, 0 if none */
static int measured(const eta_job *b, double *sec, double *ep)
{
    if ((b->state != E_RUNNING && b->state != E_DONE) || b->epochs_seen <= 0) return 0;
    *sec = b->t_last - b->t_start;
    *ep = b->epochs_seen;
    return 1;
}

/* seconds per epoch for job b from the class sums (most specific measured
 * level first), else the overall rate */
static double rate(const eta *t, const eta_job *b, double all)
{
    for (int l = 0; l < ETA_LEVELS; l++) {
        int c = b->cls[l];
        if (c < 0) continue;
        size_t k = (size_t)l * (size_t)(t->n + 1) + (size_t)c;
        if (t->sum_e[k] > 0) return t->sum_t[k] / t->sum_e[k];
    }
    return all;
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
    const size_t L = (size_t)(t->n + 1);
    memset(t->sum_t, 0, sizeof(double) * L * ETA_LEVELS);
    memset(t->sum_e, 0, sizeof(double) * L * ETA_LEVELS);
    double all_t = 0, all_e = 0;
    int left = 0;
    for (int j = 0; j < t->n; j++) {
        const eta_job *b = &t->job[j];
        double sec, ep;
        if (b->state == E_PENDING || b->state == E_RUNNING) left++;
        if (!measured(b, &sec, &ep)) continue;
        all_t += sec;
        all_e += ep;
        for (int l = 0; l < ETA_LEVELS; l++)
            if (b->cls[l] >= 0) {
                t->sum_t[(size_t)l * L + (size_t)b->cls[l]] += sec;
                t->sum_e[(size_t)l * L + (size_t)b->cls[l]] += ep;
            }
    }
    if (left == 0) return 0;
    if (all_e <= 0) return -1;
    const double all = all_t / all_e;

    /* the groups' state now: busy until their running job's estimated end */
    for (int g = 0; g < t->n_groups; g++) t->free_at[g] = now;
    int pending = 0;
    for (int j = 0; j < t->n; j++) {
        const eta_job *b = &t->job[j];
        t->fin[j] = -1;
        if (b->state == E_RUNNING) {
            double r = rate(t, b, all);
            double rem = r * (b->epochs - b->epochs_seen) - (now - b->t_last);
            if (rem < 0) rem = 0;     /* overdue: it ends any moment */
            t->fin[j] = now + rem;
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
            t->fin[pick] = tg + rate(t, &t->job[pick], all) * t->job[pick].epochs;
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
    for (int j = 0; j < t->n; j++)
        if (t->fin[j] > end) end = t->fin[j];
    return end - now;
}
