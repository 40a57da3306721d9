/* test_sampler.c - the epoch sampler (runtime/train/sampler.h) in one
 * process: exact visit counts (uniform, JTT's upsampling), group-balanced
 * draws, independence from the file's row order, from M and from B, the
 * step and shard split with its short last step, and refusals. */
#include "check.h"
#include "rng.h"
#include "sampler.h"
#include <math.h>
#include <stdlib.h>
#include <string.h>

enum { G = 4 };

/* n rows with group sizes gsz[], either sorted by group or shuffled;
 * err[i] = 1 marks JTT's error set: every row of groups 1 and 2 and every
 * 16th row of groups 0 and 3 (by rank within the group, so the set's per-group
 * make-up is the same in both orders) */
typedef struct {
    int n;
    int *group, *err;
} toy;

static void toy_make(toy *t, const int gsz[G], int shuffled, uint64_t seed)
{
    t->n = 0;
    for (int g = 0; g < G; g++) t->n += gsz[g];
    t->group = malloc(sizeof(int) * (size_t)t->n);
    t->err = malloc(sizeof(int) * (size_t)t->n);
    int *perm = malloc(sizeof(int) * (size_t)t->n);
    if (shuffled) rng_permutation(perm, t->n, seed, 77);
    else for (int i = 0; i < t->n; i++) perm[i] = i;
    int k = 0;
    for (int g = 0; g < G; g++)
        for (int j = 0; j < gsz[g]; j++, k++) {
            t->group[perm[k]] = g;
            t->err[perm[k]] = (g == 1 || g == 2) || j % 16 == 0;
        }
    free(perm);
}

static void toy_free(toy *t) { free(t->group); free(t->err); }

/* visits per row and per group over one epoch, read through the step and
 * shard split (so the split is checked to cover the list exactly once) */
static int64_t epoch_counts(const sampler *sp, const int *group, int64_t *per_row,
                            int64_t per_group[G])
{
    int64_t total = 0, pos = 0;
    if (per_row) memset(per_row, 0, sizeof(int64_t) * (size_t)sp->n);
    if (per_group) memset(per_group, 0, sizeof(int64_t) * G);
    for (int64_t t = 0; t < sp->steps; t++) {
        int bt = 0;
        for (int s = 0; s < sp->M; s++) {
            const int *rows;
            int b = sampler_shard_rows(sp, t, s, &rows);
            EXPECT(rows == sp->visit + pos, "step %lld shard %d starts at its slice", (long long)t, s);
            pos += b;
            bt += b;
            for (int i = 0; i < b; i++) {
                if (per_row) per_row[rows[i]]++;
                if (per_group) per_group[group[rows[i]]]++;
            }
        }
        EXPECT(bt == sampler_step_rows(sp, t), "step %lld: shards hold %d of %d rows",
               (long long)t, bt, sampler_step_rows(sp, t));
        total += bt;
    }
    return total;
}

/* uniform: every row once per epoch; ceil(V / B) steps, the last short */
static void test_uniform(void)
{
    char why[256];
    sampler sp;
    const int n = 1003;
    sampler_config c = { .mode = SAMPLER_ROWS, .n = n, .M = 8, .B = 64, .seed = 5 };
    EXPECT(sampler_init(&sp, &c, why) == 0, "init: %s", why);
    EXPECT(sp.V == n && sp.steps == 16, "V %lld steps %lld", (long long)sp.V, (long long)sp.steps);
    EXPECT(sampler_step_rows(&sp, 14) == 64 && sampler_step_rows(&sp, 15) == 1003 - 15 * 64,
           "last step has the remaining %d rows", sampler_step_rows(&sp, 15));
    EXPECT(sampler_step_rows(&sp, 16) == 0 && sampler_step_rows(&sp, -1) == 0, "out of range");
    EXPECT(sampler_max_shard_rows(&sp) == 8, "max shard rows");
    int64_t *cnt = malloc(sizeof(int64_t) * n);
    for (int ep = 0; ep < 3; ep++) {
        EXPECT(sampler_epoch(&sp, ep) == 0, "epoch");
        int64_t tot = epoch_counts(&sp, NULL, cnt, NULL);
        int bad = 0;
        for (int i = 0; i < n; i++) bad += cnt[i] != 1;
        EXPECT(tot == n && bad == 0, "epoch %d: %lld visits, %d rows not visited once", ep,
               (long long)tot, bad);
    }
    /* a short last step smaller than M: the first B_t shards get one row each */
    sampler sq;
    sampler_config c2 = { .mode = SAMPLER_ROWS, .n = 67, .M = 8, .B = 64, .seed = 5 };
    EXPECT(sampler_init(&sq, &c2, why) == 0, "init: %s", why);
    sampler_epoch(&sq, 0);
    EXPECT(sq.steps == 2 && sampler_step_rows(&sq, 1) == 3, "67 rows, B 64: 2 steps, last 3");
    EXPECT(sampler_shard_rows(&sq, 1, 2, NULL) == 1 && sampler_shard_rows(&sq, 1, 3, NULL) == 0,
           "shards 0-2 get a row, 3-7 none");
    sampler_free(&sq);
    free(cnt);
    sampler_free(&sp);
}

/* JTT: error rows up times, the others once; the minority share follows
 * up |E| / (up |E| + n - |E|) exactly, whatever the row order */
static void test_jtt(void)
{
    static const int gsz[G] = { 3000, 150, 110, 740 };
    const int up = 20;
    char why[256];
    int64_t grp_sorted[G], grp_shuf[G];
    for (int shuffled = 0; shuffled < 2; shuffled++) {
        toy t;
        toy_make(&t, gsz, shuffled, 9);
        int *mult = malloc(sizeof(int) * (size_t)t.n);
        int64_t nE = 0, *cnt = malloc(sizeof(int64_t) * (size_t)t.n);
        for (int i = 0; i < t.n; i++) {
            mult[i] = t.err[i] ? up : 1;
            nE += t.err[i];
        }
        sampler sp;
        sampler_config c = { .mode = SAMPLER_ROWS, .n = t.n, .M = 8, .B = 128, .seed = 3,
                             .mult = mult };
        EXPECT(sampler_init(&sp, &c, why) == 0, "init: %s", why);
        const int64_t V = up * nE + t.n - nE;
        EXPECT(sp.V == V && sp.steps == (V + 127) / 128, "V %lld", (long long)sp.V);
        for (int ep = 0; ep < 2; ep++) {
            sampler_epoch(&sp, ep);
            int64_t *pg = shuffled ? grp_shuf : grp_sorted;
            int64_t tot = epoch_counts(&sp, t.group, cnt, pg);
            int64_t evis = 0;
            int bad = 0;
            for (int i = 0; i < t.n; i++) {
                bad += cnt[i] != mult[i];
                if (t.err[i]) evis += cnt[i];
            }
            EXPECT(tot == V && bad == 0, "every row visited its multiplicity (%d off)", bad);
            EXPECT(evis == up * nE, "error-set visits %lld, expected up |E| = %lld",
                   (long long)evis, (long long)(up * nE));
            double share = (double)evis / (double)tot;
            double formula = (double)(up * nE) / (double)(up * nE + t.n - nE);
            EXPECT(fabs(share - formula) < 1e-15, "share %.6f vs formula %.6f", share, formula);
            /* every micro-shard sees the error set in about the same share,
             * even in the group-sorted file (rows do not reach shards by
             * file blocks): within 6 binomial sigmas over the epoch */
            for (int s = 0; s < sp.M; s++) {
                int64_t vs = 0, es = 0;
                for (int64_t st = 0; st < sp.steps; st++) {
                    const int *rows;
                    int b = sampler_shard_rows(&sp, st, s, &rows);
                    for (int i = 0; i < b; i++) es += t.err[rows[i]];
                    vs += b;
                }
                double sh = (double)es / (double)vs;
                double sd = sqrt(formula * (1 - formula) / (double)vs);
                EXPECT(fabs(sh - formula) < 6 * sd, "order %d shard %d: error share %.4f vs %.4f",
                       shuffled, s, sh, formula);
            }
            /* and every batch is a random draw: the mean absolute deviation
             * of a full batch's error share from the formula is about 0.8
             * binomial sigmas (a file-ordered walk gives batches of one kind) */
            double dev = 0.0;
            for (int64_t st = 0; st + 1 < sp.steps; st++) {
                int64_t es = 0;
                for (int s = 0; s < sp.M; s++) {
                    const int *rows;
                    int b = sampler_shard_rows(&sp, st, s, &rows);
                    for (int i = 0; i < b; i++) es += t.err[rows[i]];
                }
                dev += fabs((double)es / sp.B - formula);
            }
            dev /= (double)(sp.steps - 1);
            double bsd = sqrt(formula * (1 - formula) / sp.B);
            EXPECT(dev < 1.5 * bsd, "order %d: batches' error share deviates %.4f on average "
                   "(binomial sigma %.4f)", shuffled, dev, bsd);
        }
        sampler_free(&sp);
        free(mult); free(cnt);
        toy_free(&t);
    }
    EXPECT(memcmp(grp_sorted, grp_shuf, sizeof grp_sorted) == 0,
           "group-sorted and shuffled files give the same per-group visits "
           "(%lld %lld %lld %lld vs %lld %lld %lld %lld)",
           (long long)grp_sorted[0], (long long)grp_sorted[1], (long long)grp_sorted[2],
           (long long)grp_sorted[3], (long long)grp_shuf[0], (long long)grp_shuf[1],
           (long long)grp_shuf[2], (long long)grp_shuf[3]);
}

/* group-balanced: each nonempty group about 1 / G' of the n visits (iid,
 * within 5 sigmas of the multinomial) or exactly floor/ceil (stratified);
 * per-group counts the same for sorted and shuffled files; an empty group
 * is never drawn */
static void test_groups(void)
{
    static const int gsz[G] = { 3600, 0, 60, 340 };   /* group 1 empty */
    char why[256];
    for (int mode = SAMPLER_GROUPS; mode <= SAMPLER_GROUPS_EXACT; mode++) {
        int64_t pg[2][G];
        for (int shuffled = 0; shuffled < 2; shuffled++) {
            toy t;
            toy_make(&t, gsz, shuffled, 21);
            sampler sp;
            sampler_config c = { .mode = (sampler_mode)mode, .n = t.n, .M = 4, .B = 100,
                                 .seed = 8, .group = t.group, .G = G };
            EXPECT(sampler_init(&sp, &c, why) == 0, "init: %s", why);
            EXPECT(sp.V == t.n && sp.Gne == 3, "V = n draws, 3 nonempty groups");
            int64_t *cnt = malloc(sizeof(int64_t) * (size_t)t.n);
            sampler_epoch(&sp, 1);
            int64_t tot = epoch_counts(&sp, t.group, cnt, pg[shuffled]);
            EXPECT(tot == t.n, "n visits");
            EXPECT(pg[shuffled][1] == 0, "the empty group is never drawn");
            const double p = 1.0 / 3.0, sd = sqrt(t.n * p * (1 - p));
            for (int g = 0; g < G; g++) {
                if (!gsz[g]) continue;
                if (mode == SAMPLER_GROUPS) {
                    EXPECT(fabs((double)pg[shuffled][g] - t.n * p) < 5 * sd,
                           "iid: group %d has %lld visits, expected %.0f +- %.0f", g,
                           (long long)pg[shuffled][g], t.n * p, sd);
                } else {
                    EXPECT(pg[shuffled][g] == t.n / 3 || pg[shuffled][g] == t.n / 3 + 1,
                           "exact: group %d has %lld visits", g, (long long)pg[shuffled][g]);
                    /* within a group, rows visited floor or ceil of q / n_g */
                    int64_t q = pg[shuffled][g], lo = q / gsz[g], bad = 0;
                    for (int i = 0; i < t.n; i++)
                        if (t.group[i] == g) bad += cnt[i] != lo && cnt[i] != lo + (q % gsz[g] != 0);
                    EXPECT(bad == 0, "exact: group %d has %lld rows off floor/ceil", g, (long long)bad);
                }
            }
            free(cnt);
            sampler_free(&sp);
            toy_free(&t);
        }
        EXPECT(memcmp(pg[0], pg[1], sizeof pg[0]) == 0,
               "mode %d: sorted and shuffled files give the same group counts", mode);
    }
}

/* the visit list is a pure function of (seed, epoch, rows): the same for
 * any M and B, different for another epoch or seed */
static void test_determinism(void)
{
    char why[256];
    const int n = 777;
    int *mult = malloc(sizeof(int) * n);
    for (int i = 0; i < n; i++) mult[i] = i % 5 == 0 ? 3 : 1;
    sampler a, b;
    sampler_config ca = { .mode = SAMPLER_ROWS, .n = n, .M = 1, .B = 50, .seed = 4, .mult = mult };
    sampler_config cb = { .mode = SAMPLER_ROWS, .n = n, .M = 16, .B = 128, .seed = 4, .mult = mult };
    EXPECT(sampler_init(&a, &ca, why) == 0 && sampler_init(&b, &cb, why) == 0, "init");
    sampler_epoch(&a, 2);
    sampler_epoch(&b, 2);
    EXPECT(a.V == b.V && memcmp(a.visit, b.visit, sizeof(int) * (size_t)a.V) == 0,
           "visit list independent of M and B");
    int *keep = malloc(sizeof(int) * (size_t)a.V);
    memcpy(keep, a.visit, sizeof(int) * (size_t)a.V);
    sampler_epoch(&a, 3);
    EXPECT(memcmp(keep, a.visit, sizeof(int) * (size_t)a.V) != 0, "another epoch, another order");
    sampler_epoch(&a, 2);
    EXPECT(memcmp(keep, a.visit, sizeof(int) * (size_t)a.V) == 0, "epoch 2 again: same order");
    sampler_free(&b);
    cb.seed = 5;
    sampler_init(&b, &cb, why);
    sampler_epoch(&b, 2);
    EXPECT(memcmp(keep, b.visit, sizeof(int) * (size_t)a.V) != 0, "another seed, another order");
    free(keep); free(mult);
    sampler_free(&a); sampler_free(&b);
}

static void test_refusals(void)
{
    char why[256];
    sampler sp;
    int mult[3] = { 1, -1, 1 }, zero[3] = { 0, 0, 0 }, grp[3] = { 0, 2, 1 };
    sampler_config c = { .mode = SAMPLER_ROWS, .n = 3, .M = 1, .B = 2, .mult = mult };
    EXPECT(sampler_init(&sp, &c, why) && strstr(why, "row 1 has -1"), "negative: %s", why);
    c.mult = zero;
    EXPECT(sampler_init(&sp, &c, why) && strstr(why, "no training row"), "zero: %s", why);
    c = (sampler_config){ .mode = SAMPLER_GROUPS, .n = 3, .M = 1, .B = 2, .group = grp, .G = 2 };
    EXPECT(sampler_init(&sp, &c, why) && strstr(why, "group 2, expected 0..1"), "group: %s", why);
    c.group = NULL;
    EXPECT(sampler_init(&sp, &c, why) && strstr(why, "needs a group"), "no groups: %s", why);
    int okgrp[3] = { 0, 1, 1 };
    c.group = okgrp;
    c.mult = mult;
    EXPECT(sampler_init(&sp, &c, why) && strstr(why, "cannot also take"), "groups + mult: %s", why);
    c = (sampler_config){ .mode = SAMPLER_ROWS, .n = 0, .M = 1, .B = 2 };
    EXPECT(sampler_init(&sp, &c, why) && strstr(why, "0 training rows"), "n = 0: %s", why);
    sampler_free(&sp);   /* safe on a refused sampler */
}

int main(void)
{
    test_uniform();
    test_jtt();
    test_groups();
    test_determinism();
    test_refusals();
    return TEST_END();
}
