/* sampler.h - which training rows each micro-shard visits at each step of an
 * epoch (pure computation: no MPI, no files, no globals).
 *
 * An epoch is a *visit list* of V global row indices, a pure function of
 * (seed, epoch, n, the per-row multiplicities or groups); it never depends
 * on the file's row order beyond row identity, on M, B, K or the rank:
 *
 *   SAMPLER_ROWS         row i appears mult[i] times (1 = uniform; JTT's
 *                        upsampling: `up` for error-set rows, 1 otherwise),
 *                        V = sum mult, then the list is shuffled by a
 *                        seeded Fisher-Yates. Every row is visited exactly
 *                        mult[i] times per epoch.
 *   SAMPLER_GROUPS       group_DRO's --reweight_groups (a
 *                        WeightedRandomSampler with weight n / n_g per row,
 *                        replacement = True, len(dataset) draws): V = n
 *                        independent draws, each picks a group uniformly
 *                        among the G' groups with training rows, then a row
 *                        uniformly within it (both WITH replacement). Group
 *                        counts are multinomial(n, 1/G'), rows of a group
 *                        are visited a Poisson-like number of times.
 *   SAMPLER_GROUPS_EXACT the same target, stratified: group g gets exactly
 *                        q_g = floor(n / G') visits, plus one for the
 *                        n mod G' groups that come first in a seeded
 *                        permutation of the nonempty groups; within g every
 *                        row is visited floor(q_g / n_g) times and a seeded
 *                        choice of (q_g mod n_g) rows once more; the list is
 *                        then shuffled as in SAMPLER_ROWS.
 *
 * Steps: steps = ceil(V / B). Step t covers visit positions [t B, t B + B_t)
 * with B_t = min(B, V - t B): every step has B rows but the last, which has
 * the remaining V - (steps - 1) B (PyTorch's DataLoader with drop_last =
 * False, as group_DRO's and JTT's code run). Within a step micro-shard s
 * takes a contiguous slice of b_s(t) = B_t / M + (s < B_t % M) visits, the
 * slices in shard order; in a short last step with B_t < M the shards
 * s >= B_t get no rows. A micro-shard's rows are thus a seeded random draw
 * of the whole training set, whatever the file's order, and no epoch is
 * cut short by the smallest shard. The concatenation of all shards' rows
 * over all steps is the visit list itself, for any M and B.
 *
 * RNG streams: rng_stream2(epoch, SAMPLER_STREAM_* tag) with the job seed;
 * the tags are far above any micro-shard index, so these draws never reuse
 * the streams of rng_stream2(epoch, shard) the old per-shard permutations
 * used.
 *
 * ---------------------------------------------------------------------
 * Integration into runtime/train/train.c (NOT done here; line numbers are
 * those of commit 28bb99c). The per-shard base/order/perm arrays and the
 * "fewest full batches any shard gives" minimum go; rows come from the
 * sampler and reach this rank through rowx (rowx.h):
 *
 *  1. Inputs. The job gets `sampler_mode sampler` (DSL `sampler = "rows" |
 *     "groups" | "groups-exact"`, default "rows"; a method-table key).
 *     jobrun.c prepare_inputs keeps computing sample_rep, sample_w,
 *     t_logits and t_feats per home row as today; train_job turns them
 *     into the sampler's *global* inputs with rowx_allgather_int():
 *     mult[n] from in->sample_rep (or NULL = 1 each), or group[n] =
 *     y * A + a from gd->train for the group modes.
 *  2. Setup, train.c 59-104 (shard_work_init) and 285-297: drop nv, base,
 *     order, perm and the MPI_Allreduce(MPI_MIN) of steps; call
 *     sampler_init(&sp, &cfg, why) with cfg = { job->sampler, n =
 *     gd->info.n[SPLIT_TRAIN], M = p->M, B = p->B, seed = job->seed, mult,
 *     group, G = gd->info.n_groups }, and rowx_init(&rx, comm, n, p->M,
 *     p->B, window, cols, ncol, e) with the columns gd->train.X (d floats),
 *     gd->train.y, gd->train.a (int32), and when non-NULL in->sample_w (1
 *     float), in->t_logits (C floats), in->t_feats (F floats), all indexed
 *     by home row as today (home rows = this rank's shard block: groupdata
 *     is unchanged). Per-shard buffers are sized for
 *     sampler_max_shard_rows(&sp) = ceil(B / M) rows; window = 8 steps is
 *     a good default (docs/sampling.md).
 *  3. Per epoch, train.c 314-318 (the rng_permutation loop): becomes
 *     sampler_epoch(&sp, ep); `steps` is sp.steps (train.c 289 and 319).
 *  4. Per step, before the forward loop (train.c 320): if (step % window
 *     == 0) rowx_fetch(&rx, &sp, step, e) (collective); each shard sets
 *     w->b = sampler_shard_rows(&sp, step, p->s0 + s, NULL) and
 *     shard_gather (train.c 105-123) memcpy's row i's x, y, a, w, tz, tf
 *     from rowx_field(&rx, step, p->s0 + s, i, col) instead of
 *     gd->train / in->...[r] (grp = y * A + a as now; s->idx goes).
 *  5. A shard with w->b == 0 (only in a short last step with B_t < M)
 *     skips forward, loss and backward but still calls tree_next();
 *     tree_push() (tree_next's buffer is zeroed: the tree keeps its shape
 *     and adds exact zeros); its stats stay 0.
 *  6. Normalisation: method_gradients (train.c 348) and the objective sum
 *     (train.c 351) use the step's B_t = sampler_step_rows(&sp, step)
 *     instead of p->B (PyTorch's mean over the partial batch); group DRO's
 *     per-group means need no change.
 *  7. Free sp and rx on both exits. shard.c's plan check "a shard smaller
 *     than its per-step rows" and plan.steps become unused by training and
 *     can be relaxed later (groupdata_load still calls shard_plan_make).
 * Nothing else in jobrun.c changes: forward_local, write_error_set and
 * results_read_error_set stay per home row.
 *
 * One-time change of bits: every job's batches change (rows now come from
 * a global seeded shuffle, JTT visits exactly up x |E| error rows, epochs
 * are ceil(V / B) steps with a partial last step), so every trained
 * parameter and metric changes once relative to earlier dett versions.
 * Bit-identity across K = 1, 2, 4 and reruns holds as before: the rows and
 * their order in each shard's slice depend only on (seed, epoch, n, mult or
 * groups, B, M), and rowx only moves bytes.
 * ---------------------------------------------------------------------
 */
#ifndef DETT_SAMPLER_H
#define DETT_SAMPLER_H
#include <stdint.h>

typedef enum { SAMPLER_ROWS, SAMPLER_GROUPS, SAMPLER_GROUPS_EXACT } sampler_mode;

#define SAMPLER_STREAM_SHUFFLE 0x53414d5000000001ULL   /* visit list shuffle */
#define SAMPLER_STREAM_GROUP 0x53414d5000000002ULL     /* groups: group of draw k */
#define SAMPLER_STREAM_ROW 0x53414d5000000003ULL       /* groups: row of draw k */
#define SAMPLER_STREAM_EXTRA 0x53414d5000000004ULL     /* exact: who gets the remainder */

typedef struct {
    sampler_mode mode;
    int64_t n;           /* training rows, 1 .. INT32_MAX */
    int M;               /* micro-shards, >= 1 */
    int B;               /* global batch, >= 1 */
    uint64_t seed;       /* the job's seed */
    const int *mult;     /* SAMPLER_ROWS: [n] visits per epoch (>= 0), NULL = 1 each */
    const int *group;    /* SAMPLER_GROUPS*: [n] group of each row, 0 .. G-1 */
    int G;               /* SAMPLER_GROUPS*: number of group ids */
} sampler_config;

typedef struct {
    sampler_mode mode;
    int64_t n, V, steps; /* rows, visits per epoch, steps per epoch */
    int M, B, G, Gne;    /* ..., groups with rows (G') */
    uint64_t seed;
    int epoch;           /* the epoch of `visit`, -1 before sampler_epoch */
    int *mult;           /* ROWS: [n] copy, or NULL (all 1) */
    int *members;        /* GROUPS*: [n] rows sorted by group, stable */
    int64_t *gstart;     /* GROUPS*: [G + 1] members of g: [gstart[g], gstart[g+1]) */
    int *gne;            /* GROUPS*: [Gne] the nonempty groups, ascending */
    int *gorder;         /* GROUPS*: [G] work space (this epoch's group order) */
    int *scratch;        /* GROUPS*: [n] work space */
    int *visit;          /* [V] this epoch's visiting order (global rows) */
} sampler;

/* checks cfg and sets up sp (copies what it needs; cfg's arrays may be
 * freed afterwards). Returns 0, or -1 with a one-line reason in why[256]
 * (a negative multiplicity, a group id out of range, no visits at all,
 * more than INT32_MAX visits, multiplicities given to a group mode, ...). sp is then empty: sampler_free is safe. */
int sampler_init(sampler *sp, const sampler_config *cfg, char *why);
/* builds epoch `epoch`'s visit list (deterministic from seed and epoch);
 * returns 0, or -1 if epoch < 0 */
int sampler_epoch(sampler *sp, int epoch);
/* B_t: rows of step t (B, or fewer in the last step); 0 if t is out of range */
int sampler_step_rows(const sampler *sp, int64_t t);
/* b_s(t), the rows micro-shard s visits at step t; *rows (if rows is
 * non-NULL) points into sp->visit, valid until the next sampler_epoch */
int sampler_shard_rows(const sampler *sp, int64_t t, int s, const int **rows);
/* the most rows any shard gets in any step: ceil(B / M) */
int sampler_max_shard_rows(const sampler *sp);
void sampler_free(sampler *sp);   /* frees the arrays; accepts an empty sampler */

#endif
