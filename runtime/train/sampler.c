/* sampler.c - per-epoch visit lists and their split into steps and
 * micro-shards (see sampler.h). */
#include "sampler.h"
#include "rng.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void sampler_free(sampler *sp)
{
    free(sp->mult); free(sp->members); free(sp->gstart); free(sp->gne);
    free(sp->gorder); free(sp->scratch); free(sp->visit);
    memset(sp, 0, sizeof *sp);
    sp->epoch = -1;
}

/* members[] = row indices sorted by group (ascending within a group),
 * gstart[] the group boundaries, gne[] the groups that have rows */
static int group_index(sampler *sp, const int *group, char *why)
{
    const int64_t n = sp->n;
    const int G = sp->G;
    sp->members = malloc(sizeof(int) * (size_t)n);
    sp->gstart = calloc((size_t)G + 1, sizeof(int64_t));
    sp->gne = malloc(sizeof(int) * (size_t)G);
    sp->gorder = malloc(sizeof(int) * (size_t)G);
    sp->scratch = malloc(sizeof(int) * (size_t)n);
    if (!sp->members || !sp->gstart || !sp->gne || !sp->gorder || !sp->scratch) {
        snprintf(why, 256, "out of memory (group index of %lld rows)", (long long)n);
        return -1;
    }
    for (int64_t i = 0; i < n; i++) {
        if (group[i] < 0 || group[i] >= G) {
            snprintf(why, 256, "row %lld has group %d, expected 0..%d", (long long)i,
                     group[i], G - 1);
            return -1;
        }
        sp->gstart[group[i] + 1]++;
    }
    sp->Gne = 0;
    for (int g = 0; g < G; g++) {
        if (sp->gstart[g + 1] > 0) sp->gne[sp->Gne++] = g;
        sp->gstart[g + 1] += sp->gstart[g];
    }
    int64_t *fill = malloc(sizeof(int64_t) * (size_t)G);
    if (!fill) {
        snprintf(why, 256, "out of memory (group index)");
        return -1;
    }
    memcpy(fill, sp->gstart, sizeof(int64_t) * (size_t)G);
    for (int64_t i = 0; i < n; i++) sp->members[fill[group[i]]++] = (int)i;
    free(fill);
    return 0;
}

int sampler_init(sampler *sp, const sampler_config *c, char *why)
{
    memset(sp, 0, sizeof *sp);
    sp->epoch = -1;
    sp->mode = c->mode;
    sp->n = c->n;
    sp->M = c->M;
    sp->B = c->B;
    sp->G = c->G;
    sp->seed = c->seed;
    if (c->n < 1 || c->n > INT32_MAX) {
        snprintf(why, 256, "%lld training rows: expected 1..%d", (long long)c->n, INT32_MAX);
        goto fail;
    }
    if (c->M < 1 || c->B < 1) {
        snprintf(why, 256, "micro-shards %d and batch %d must be positive", c->M, c->B);
        goto fail;
    }
    switch (c->mode) {
    case SAMPLER_ROWS:
        sp->V = 0;
        if (c->mult) {
            sp->mult = malloc(sizeof(int) * (size_t)c->n);
            if (!sp->mult) {
                snprintf(why, 256, "out of memory (multiplicities of %lld rows)", (long long)c->n);
                goto fail;
            }
            for (int64_t i = 0; i < c->n; i++) {
                if (c->mult[i] < 0) {
                    snprintf(why, 256, "row %lld has %d visits per epoch, expected >= 0",
                             (long long)i, c->mult[i]);
                    goto fail;
                }
                sp->mult[i] = c->mult[i];
                sp->V += c->mult[i];
            }
        } else {
            sp->V = c->n;
        }
        if (sp->V < 1) {
            snprintf(why, 256, "no training row is visited (every multiplicity is 0)");
            goto fail;
        }
        if (sp->V > INT32_MAX) {
            snprintf(why, 256, "%lld visits per epoch: at most %d are supported",
                     (long long)sp->V, INT32_MAX);
            goto fail;
        }
        break;
    case SAMPLER_GROUPS:
    case SAMPLER_GROUPS_EXACT:
        if (!c->group || c->G < 1 || c->G > (1 << 20)) {
            snprintf(why, 256, "group-balanced sampling needs a group per row and "
                     "1..%d groups (got %d)", 1 << 20, c->G);
            goto fail;
        }
        if (c->mult) {
            snprintf(why, 256, "group-balanced sampling draws rows itself: it cannot "
                     "also take per-row multiplicities (JTT's upsampling)");
            goto fail;
        }
        if (group_index(sp, c->group, why)) goto fail;
        sp->V = c->n;   /* len(dataset) draws, as WeightedRandomSampler */
        break;
    default:
        snprintf(why, 256, "unknown sampler mode %d", (int)c->mode);
        goto fail;
    }
    sp->steps = (sp->V + c->B - 1) / c->B;
    sp->visit = malloc(sizeof(int) * (size_t)sp->V);
    if (!sp->visit) {
        snprintf(why, 256, "out of memory (visit list of %lld rows)", (long long)sp->V);
        goto fail;
    }
    return 0;
fail:
    sampler_free(sp);
    return -1;
}

/* in-place Fisher-Yates of a[0..n) keyed by (seed, stream): the same
 * sequence of swaps as rng_permutation */
static void shuffle(int *a, int64_t n, uint64_t seed, uint64_t stream)
{
    for (int64_t i = n - 1; i > 0; i--) {
        int64_t j = rng_below(seed, stream, (uint64_t)i, (uint32_t)(i + 1));
        int t = a[i]; a[i] = a[j]; a[j] = t;
    }
}

/* SAMPLER_GROUPS: V independent draws, group uniform over the nonempty
 * groups, then row uniform within the group */
static void draw_groups_iid(sampler *sp, int epoch)
{
    const uint64_t sg = rng_stream2((uint64_t)epoch, SAMPLER_STREAM_GROUP);
    const uint64_t sr = rng_stream2((uint64_t)epoch, SAMPLER_STREAM_ROW);
    for (int64_t k = 0; k < sp->V; k++) {
        int g = sp->gne[rng_below(sp->seed, sg, (uint64_t)k, (uint32_t)sp->Gne)];
        int64_t ng = sp->gstart[g + 1] - sp->gstart[g];
        sp->visit[k] = sp->members[sp->gstart[g] + rng_below(sp->seed, sr, (uint64_t)k, (uint32_t)ng)];
    }
}

/* SAMPLER_GROUPS_EXACT: group quotas floor(V / G') (+1 for the first V mod
 * G' groups of a seeded permutation), within a group floor(q / n_g) visits
 * per row plus one for q mod n_g distinct rows chosen by a partial
 * Fisher-Yates of the group's rows (in sp->scratch); the caller shuffles */
static void draw_groups_exact(sampler *sp, int epoch)
{
    const uint64_t se = rng_stream2((uint64_t)epoch, SAMPLER_STREAM_EXTRA);
    const int Gne = sp->Gne;
    int64_t k = 0;
    rng_permutation(sp->gorder, Gne, sp->seed, se);   /* who gets the remainder */
    for (int p = 0; p < Gne; p++) {
        const int g = sp->gne[sp->gorder[p]];
        const int64_t q = sp->V / Gne + (p < sp->V % Gne ? 1 : 0);
        const int64_t g0 = sp->gstart[g], ng = sp->gstart[g + 1] - g0;
        const int *mem = sp->members + g0;
        for (int64_t f = 0; f < q / ng; f++)
            for (int64_t i = 0; i < ng; i++) sp->visit[k++] = mem[i];
        const int64_t rem = q % ng;
        const uint64_t sgr = rng_stream2(se, (uint64_t)g + 1);
        int *sc = sp->scratch;
        memcpy(sc, mem, sizeof(int) * (size_t)ng);
        for (int64_t i = 0; i < rem; i++) {
            int64_t j = i + rng_below(sp->seed, sgr, (uint64_t)i, (uint32_t)(ng - i));
            int t = sc[i]; sc[i] = sc[j]; sc[j] = t;
            sp->visit[k++] = sc[i];
        }
    }
}

int sampler_epoch(sampler *sp, int epoch)
{
    if (epoch < 0) return -1;
    sp->epoch = epoch;
    const uint64_t ss = rng_stream2((uint64_t)epoch, SAMPLER_STREAM_SHUFFLE);
    switch (sp->mode) {
    case SAMPLER_ROWS: {
        int64_t k = 0;
        for (int64_t i = 0; i < sp->n; i++)
            for (int c = 0; c < (sp->mult ? sp->mult[i] : 1); c++) sp->visit[k++] = (int)i;
        shuffle(sp->visit, sp->V, sp->seed, ss);
        break;
    }
    case SAMPLER_GROUPS:
        draw_groups_iid(sp, epoch);
        break;
    case SAMPLER_GROUPS_EXACT:
        draw_groups_exact(sp, epoch);
        shuffle(sp->visit, sp->V, sp->seed, ss);
        break;
    }
    return 0;
}

int sampler_step_rows(const sampler *sp, int64_t t)
{
    if (t < 0 || t >= sp->steps) return 0;
    int64_t left = sp->V - t * sp->B;
    return (int)(left < sp->B ? left : sp->B);
}

int sampler_shard_rows(const sampler *sp, int64_t t, int s, const int **rows)
{
    const int Bt = sampler_step_rows(sp, t);
    if (s < 0 || s >= sp->M) return 0;
    const int q = Bt / sp->M, rm = Bt % sp->M;
    const int b = q + (s < rm ? 1 : 0);
    const int64_t off = (int64_t)s * q + (s < rm ? s : rm);
    if (rows) *rows = sp->visit + t * sp->B + off;
    return b;
}

int sampler_max_shard_rows(const sampler *sp)
{
    return (sp->B + sp->M - 1) / sp->M;
}
