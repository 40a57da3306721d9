/* test_sampler_mpi.c - the row exchange (runtime/train/rowx.h) under
 * mpiexec -n K: a group-sorted fake data file is read by groupdata_load
 * (each rank its home block), the sampler plans each epoch, and rowx
 * brings every rank the records its micro-shards visit. Every record must
 * be the row the plan names (X, y, a and two per-row side columns computed
 * from the row index), and a hash of every shard's records at every step
 * must equal the hash computed in one process without any exchange, so the
 * per-step row lists and bytes are the same for K = 1, 2, 4. Then the
 * issue's test through the real reader: a group-sorted and a shuffled file
 * with JTT-style upsampling give the same per-group visits, exactly
 * up x |E| for the error set.
 *
 * Usage: test_sampler_mpi TAG           (the test; TAG names the data file)
 *        test_sampler_mpi --bench [d B M n window steps]
 *            times rowx_fetch on in-memory rows (default: 784 features,
 *            batch 128, 8 micro-shards, 16384 rows, window 1, 400 steps)
 *            and prints bytes moved per step, against the deterministic
 *            gradient allreduce of MLP 784-512-512-2 (665,602 floats)
 *            timed the same way in the same run. */
#define _POSIX_C_SOURCE 200809L
#include "allreduce.h"
#include "check.h"
#include "groupdata.h"
#include "rng.h"
#include "rowx.h"
#include "sampler.h"
#include "shard.h"
#include <mpi.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

enum { D = 5, NC = 2, NA = 2, M = 8, B = 64, NTRAIN = 1003, NCOL = 5, TF = 3 };
static const int gsz[4] = { 600, 50, 40, 313 };   /* train rows per group, in file order */

static int row_group(int64_t i)
{
    int g = 0;
    for (int64_t acc = gsz[0]; i >= acc; acc += gsz[++g]) {}
    return g;
}

static float x_of(int64_t i, int j) { return (float)(i * 8 + j); }
static float w_of(int64_t i) { return 0.25f * (float)i; }
static float tf_of(int64_t i, int j) { return (float)i + 0.5f + (float)j; }
static int mult_of(int64_t i) { return i % 7 == 0 ? 5 : 1; }

/* a small split: rows of every group, X from x_of. layout 0: group i % 4
 * (val, test); 1: train sorted by group; 2: the same rows shuffled */
static int make_split(dataset_rows *r, int64_t n, int layout)
{
    int perm[NTRAIN];
    if (layout == 2) rng_permutation(perm, NTRAIN, 99, 1);
    r->row0 = 0; r->n = n; r->d = D;
    r->X = malloc(sizeof(float) * (size_t)n * D);
    r->y = malloc(sizeof(int32_t) * (size_t)n);
    r->a = malloc(sizeof(int32_t) * (size_t)n);
    if (!r->X || !r->y || !r->a) return -1;
    for (int64_t i = 0; i < n; i++) {
        int g = layout == 1 ? row_group(i) : layout == 2 ? row_group(perm[i]) : (int)(i % 4);
        r->y[i] = g / NA;
        r->a[i] = g % NA;
        for (int j = 0; j < D; j++) r->X[i * D + j] = x_of(i, j);
    }
    return 0;
}

/* the record the plan expects for global row i, in rowx's column order */
typedef struct {
    float x[D];
    int32_t y, a;
    float w, tf[TF];
} record;

static void expected_record(record *r, int64_t i)
{
    memset(r, 0, sizeof *r);
    int g = row_group(i);
    for (int j = 0; j < D; j++) r->x[j] = x_of(i, j);
    r->y = g / NA;
    r->a = g % NA;
    r->w = w_of(i);
    for (int j = 0; j < TF; j++) r->tf[j] = tf_of(i, j);
}

static uint64_t fnv(uint64_t h, const void *p, size_t n)
{
    const unsigned char *b = p;
    for (size_t k = 0; k < n; k++) h = (h ^ b[k]) * 0x100000001b3ULL;
    return h;
}

/* the record's bytes from rowx's fields (packed as `record` is) */
static void fetched_record(record *r, const rowx *x, int64_t t, int s, int i)
{
    memcpy(r->x, rowx_field(x, t, s, i, 0), sizeof r->x);
    memcpy(&r->y, rowx_field(x, t, s, i, 1), sizeof r->y);
    memcpy(&r->a, rowx_field(x, t, s, i, 2), sizeof r->a);
    memcpy(&r->w, rowx_field(x, t, s, i, 3), sizeof r->w);
    memcpy(r->tf, rowx_field(x, t, s, i, 4), sizeof r->tf);
}

/* one sampler configuration over two epochs: every fetched record is the
 * planned row, and the hash over (epoch, step, shard, record) equals the
 * exchange-free hash */
static void run_config(const sampler_config *c, int window, const rowx_column *cols,
                       MPI_Comm comm, const char *name)
{
    int rank;
    MPI_Comm_rank(comm, &rank);
    char why[256];
    dett_err e = { { 0 } };
    sampler sp;
    rowx rx;
    EXPECT(sampler_init(&sp, c, why) == 0, "%s: sampler: %s", name, why);
    EXPECT(rowx_init(&rx, comm, c->n, c->M, c->B, window, cols, NCOL, &e) == 0, "%s: rowx: %s",
           name, e.msg);
    uint64_t hs[M] = { 0 }, all[M], ref[M];
    int64_t bad = 0, nulls = 0;
    for (int s = 0; s < M; s++) ref[s] = hs[s] = 1469598103934665603ULL;
    for (int ep = 0; ep < 2; ep++) {
        sampler_epoch(&sp, ep);
        for (int64_t t = 0; t < sp.steps; t++) {
            if (t % window == 0)
                EXPECT(rowx_fetch(&rx, &sp, t, &e) == 0, "%s: fetch: %s", name, e.msg);
            for (int s = 0; s < M; s++) {
                const int *rows;
                int b = sampler_shard_rows(&sp, t, s, &rows);
                for (int i = 0; i < b; i++) {
                    record want, got;
                    expected_record(&want, rows[i]);
                    ref[s] = fnv(ref[s], &want, sizeof want);
                    if (s < rx.s0 || s >= rx.s1) continue;
                    if (!rowx_field(&rx, t, s, i, 0)) { nulls++; continue; }
                    fetched_record(&got, &rx, t, s, i);
                    bad += memcmp(&want, &got, sizeof want) != 0;
                    hs[s] = fnv(hs[s], &got, sizeof got);
                }
                if (s >= rx.s0 && s < rx.s1)
                    nulls += rowx_field(&rx, t, s, b, 0) != NULL;   /* beyond the shard's rows */
            }
        }
    }
    EXPECT(bad == 0 && nulls == 0, "%s rank %d: %lld records differ from the plan, %lld "
           "missing", name, rank, (long long)bad, (long long)nulls);
    EXPECT(rx.K == 1 || rowx_field(&rx, rx.t0, rx.s1 % M, 0, 0) == NULL,
           "%s: another rank's shard is not readable here", name);
    /* each shard's hash lives on its rank: gather them (shards of other
     * ranks contribute 0 to the XOR) and fold in shard order */
    for (int s = 0; s < M; s++)
        if (s < rx.s0 || s >= rx.s1) hs[s] = 0;
    MPI_Allreduce(hs, all, M, MPI_UINT64_T, MPI_BXOR, comm);
    uint64_t h = 0, hr = 0;
    for (int s = 0; s < M; s++) {
        h = fnv(h, &all[s], sizeof all[s]);
        hr = fnv(hr, &ref[s], sizeof ref[s]);
    }
    EXPECT(h == hr, "%s: exchanged hash %016llx, exchange-free %016llx", name,
           (unsigned long long)h, (unsigned long long)hr);
    if (rank == 0)
        printf("%-22s window %d: %lld steps/epoch, hash %016llx, %lld records sent to "
               "other ranks by rank 0\n", name, window, (long long)sp.steps,
               (unsigned long long)h, (long long)rx.sent_remote);
    rowx_free(&rx);
    sampler_free(&sp);
}

/* rank 0 writes a fake file whose train rows have the given layout */
static int write_fake(const char *path, int layout, dett_err *e)
{
    int rank, wrc;
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    dataset_info info = { 0 };
    dataset_rows sp[N_SPLITS] = { { 0 } };
    info.n_classes = NC; info.n_attrs = NA; info.x_rank = 1; info.x_shape[0] = D;
    snprintf(info.name, sizeof info.name, "sampler-fake");
    snprintf(info.source, sizeof info.source, "test_sampler_mpi");
    snprintf(info.license, sizeof info.license, "none");
    wrc = make_split(&sp[SPLIT_TRAIN], NTRAIN, layout) || make_split(&sp[SPLIT_VAL], 16, 0) ||
          make_split(&sp[SPLIT_TEST], 16, 0);
    if (rank == 0 && !wrc) wrc = dataset_write(path, &info, sp, e);
    MPI_Bcast(&wrc, 1, MPI_INT, 0, MPI_COMM_WORLD);
    for (int s = 0; s < N_SPLITS; s++) dataset_rows_free(&sp[s]);
    return wrc;
}

/* JTT-style upsampling (groups 1 and 2 are the error set, up = 6) of the
 * file at path, through groupdata_load, the sampler and rowx: per-group
 * visits of one epoch counted from the (y, a) each shard receives, summed
 * over ranks */
static void file_group_visits(const char *path, int64_t visits[4])
{
    dett_err e = { { 0 } };
    char why[256];
    groupdata gd;
    rowx rx;
    sampler sp;
    int64_t loc[4] = { 0 };
    EXPECT(groupdata_load(&gd, path, MPI_COMM_WORLD, M, B, &e) == 0, "load: %s", e.msg);
    const int64_t nh = gd.train.n;
    int *mh = malloc(sizeof(int) * (size_t)(nh + 1)), *mult = malloc(sizeof(int) * NTRAIN);
    for (int64_t i = 0; i < nh; i++) {
        int g = gd.train.y[i] * NA + gd.train.a[i];
        mh[i] = g == 1 || g == 2 ? 6 : 1;
    }
    rowx_column cols[2] = { { gd.train.y, sizeof(int32_t) }, { gd.train.a, sizeof(int32_t) } };
    EXPECT(rowx_init(&rx, MPI_COMM_WORLD, NTRAIN, M, B, 4, cols, 2, &e) == 0, "init: %s", e.msg);
    EXPECT(rowx_allgather_int(&rx, mh, mult, &e) == 0, "allgather: %s", e.msg);
    sampler_config c = { .mode = SAMPLER_ROWS, .n = NTRAIN, .M = M, .B = B, .seed = 3, .mult = mult };
    EXPECT(sampler_init(&sp, &c, why) == 0, "sampler: %s", why);
    sampler_epoch(&sp, 0);
    for (int64_t t = 0; t < sp.steps; t++) {
        if (t % rx.window == 0) EXPECT(rowx_fetch(&rx, &sp, t, &e) == 0, "fetch: %s", e.msg);
        for (int s = rx.s0; s < rx.s1; s++)
            for (int i = 0; i < sampler_shard_rows(&sp, t, s, NULL); i++) {
                int32_t y, a;
                memcpy(&y, rowx_field(&rx, t, s, i, 0), sizeof y);
                memcpy(&a, rowx_field(&rx, t, s, i, 1), sizeof a);
                loc[y * NA + a]++;
            }
    }
    MPI_Allreduce(loc, visits, 4, MPI_INT64_T, MPI_SUM, MPI_COMM_WORLD);
    sampler_free(&sp);
    rowx_free(&rx);
    free(mh); free(mult);
    groupdata_free(&gd);
}

/* the test through the real reader: a group-sorted and a shuffled
 * file give the same per-group visits, and the error set's share is
 * up |E| / (up |E| + n - |E|) */
static void test_file_layouts(const char *tag)
{
    int rank;
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    char ps[160], pu[160];
    dett_err e = { { 0 } };
    int64_t vs[4], vu[4];
    snprintf(ps, sizeof ps, "test_sampler_mpi_%s_sorted.h5", tag);
    snprintf(pu, sizeof pu, "test_sampler_mpi_%s_shuffled.h5", tag);
    EXPECT(write_fake(ps, 1, &e) == 0 && write_fake(pu, 2, &e) == 0, "write: %s", e.msg);
    file_group_visits(ps, vs);
    file_group_visits(pu, vu);
    const int64_t nE = gsz[1] + gsz[2];
    const int64_t want[4] = { gsz[0], 6 * gsz[1], 6 * gsz[2], gsz[3] };
    EXPECT(memcmp(vs, want, sizeof want) == 0 && memcmp(vu, want, sizeof want) == 0,
           "per-group visits sorted %lld %lld %lld %lld, shuffled %lld %lld %lld %lld, "
           "expected %lld %lld %lld %lld", (long long)vs[0], (long long)vs[1], (long long)vs[2],
           (long long)vs[3], (long long)vu[0], (long long)vu[1], (long long)vu[2],
           (long long)vu[3], (long long)want[0], (long long)want[1], (long long)want[2],
           (long long)want[3]);
    if (rank == 0)
        printf("file layouts: error-set share %.4f sorted, %.4f shuffled, formula %.4f\n",
               (double)(vs[1] + vs[2]) / (double)(vs[0] + vs[1] + vs[2] + vs[3]),
               (double)(vu[1] + vu[2]) / (double)(vu[0] + vu[1] + vu[2] + vu[3]),
               (double)(6 * nE) / (double)(6 * nE + NTRAIN - nE));
    if (rank == 0) { remove(ps); remove(pu); }
}

static int test_main(const char *tag)
{
    int rank, K;
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    MPI_Comm_size(MPI_COMM_WORLD, &K);
    char path[128];
    snprintf(path, sizeof path, "test_sampler_mpi_%s.h5", tag);
    dett_err e = { { 0 } };

    /* the file: train rows sorted by group */
    EXPECT(write_fake(path, 1, &e) == 0, "write: %s", e.msg);

    groupdata gd;
    EXPECT(groupdata_load(&gd, path, MPI_COMM_WORLD, M, B, &e) == 0, "load: %s", e.msg);
    const int64_t lo = shard_home_row0(NTRAIN, M, K, rank), hi = shard_home_row0(NTRAIN, M, K, rank + 1);
    EXPECT(gd.train.row0 == lo && gd.train.n == hi - lo,
           "rank %d: groupdata holds rows [%lld, +%lld), rowx's home block is [%lld, %lld)",
           rank, (long long)gd.train.row0, (long long)gd.train.n, (long long)lo, (long long)hi);

    /* side columns per home row, as jobrun's sample weights and teacher features */
    const int64_t nh = gd.train.n;
    float *w = malloc(sizeof(float) * (size_t)(nh + 1));
    float *tf = malloc(sizeof(float) * (size_t)(nh + 1) * TF);
    int *mh = malloc(sizeof(int) * (size_t)(nh + 1)), *gh = malloc(sizeof(int) * (size_t)(nh + 1));
    int *mult = malloc(sizeof(int) * NTRAIN), *grp = malloc(sizeof(int) * NTRAIN);
    for (int64_t i = 0; i < nh; i++) {
        w[i] = w_of(lo + i);
        for (int j = 0; j < TF; j++) tf[i * TF + j] = tf_of(lo + i, j);
        mh[i] = mult_of(lo + i);
        gh[i] = gd.train.y[i] * NA + gd.train.a[i];
    }
    rowx_column cols[NCOL] = {
        { gd.train.X, sizeof(float) * D }, { gd.train.y, sizeof(int32_t) },
        { gd.train.a, sizeof(int32_t) }, { w, sizeof(float) }, { tf, sizeof(float) * TF },
    };

    /* the sampler's global inputs from the home rows */
    rowx rx;
    EXPECT(rowx_init(&rx, MPI_COMM_WORLD, NTRAIN, M, B, 1, cols, NCOL, &e) == 0, "init: %s", e.msg);
    EXPECT(rowx_allgather_int(&rx, mh, mult, &e) == 0, "allgather: %s", e.msg);
    EXPECT(rowx_allgather_int(&rx, gh, grp, &e) == 0, "allgather: %s", e.msg);
    int badg = 0;
    for (int64_t i = 0; i < NTRAIN; i++) badg += mult[i] != mult_of(i) || grp[i] != row_group(i);
    EXPECT(badg == 0, "allgather: %d rows wrong", badg);
    int badown = 0;
    for (int64_t i = 0; i < NTRAIN; i++) {
        int k = rowx_owner(&rx, i);
        badown += !(shard_home_row0(NTRAIN, M, K, k) <= i && i < shard_home_row0(NTRAIN, M, K, k + 1));
    }
    EXPECT(badown == 0, "rowx_owner: %d rows outside their owner's home block", badown);

    /* a sampler that does not match the exchange is refused on every rank */
    sampler bad;
    char why[256];
    sampler_config cb = { .mode = SAMPLER_ROWS, .n = NTRAIN - 1, .M = M, .B = B, .seed = 1 };
    sampler_init(&bad, &cb, why);
    sampler_epoch(&bad, 0);
    EXPECT(rowx_fetch(&rx, &bad, 0, &e) == -1 && strstr(e.msg, "does not match"),
           "mismatch refused: %s", e.msg);
    sampler_free(&bad);
    rowx_free(&rx);

    sampler_config rows = { .mode = SAMPLER_ROWS, .n = NTRAIN, .M = M, .B = B, .seed = 7,
                            .mult = mult };
    sampler_config groups = { .mode = SAMPLER_GROUPS, .n = NTRAIN, .M = M, .B = B, .seed = 7,
                              .group = grp, .G = NC * NA };
    sampler_config exact = groups;
    exact.mode = SAMPLER_GROUPS_EXACT;
    for (int window = 1; window <= 3; window += 2) {
        run_config(&rows, window, cols, MPI_COMM_WORLD, "rows (upsampled)");
        run_config(&groups, window, cols, MPI_COMM_WORLD, "groups (iid)");
        run_config(&exact, window, cols, MPI_COMM_WORLD, "groups (exact)");
    }
    free(w); free(tf); free(mh); free(gh); free(mult); free(grp);
    groupdata_free(&gd);
    if (rank == 0) remove(path);
    test_file_layouts(tag);
    int fails = test_failures_, any = 0;
    MPI_Allreduce(&fails, &any, 1, MPI_INT, MPI_SUM, MPI_COMM_WORLD);
    if (rank == 0) printf("all ranks: %d failed checks\n", any);
    return any != 0;
}

static double cpu_seconds(void)
{
    struct timespec t;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

static double load_average(void)
{
    double l = -1.0;
    FILE *f = fopen("/proc/loadavg", "r");
    if (f) {
        if (fscanf(f, "%lf", &l) != 1) l = -1.0;
        fclose(f);
    }
    return l;
}

/* times rowx_fetch for a model-sized row on in-memory home rows */
static int bench_main(int argc, char **argv)
{
    int rank, K;
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    MPI_Comm_size(MPI_COMM_WORLD, &K);
    int d = argc > 2 ? atoi(argv[2]) : 784, b = argc > 3 ? atoi(argv[3]) : 128;
    int m = argc > 4 ? atoi(argv[4]) : 8;
    int64_t n = argc > 5 ? atoll(argv[5]) : 16384;
    int window = argc > 6 ? atoi(argv[6]) : 1, steps = argc > 7 ? atoi(argv[7]) : 400;
    const int64_t lo = shard_home_row0(n, m, K, rank), nh = shard_home_row0(n, m, K, rank + 1) - lo;
    float *X = malloc(sizeof(float) * (size_t)(nh + 1) * d), *w = malloc(sizeof(float) * (size_t)(nh + 1));
    int32_t *y = calloc((size_t)nh + 1, sizeof(int32_t)), *a = calloc((size_t)nh + 1, sizeof(int32_t));
    if (!X || !w || !y || !a) return 1;
    for (int64_t i = 0; i < nh * d; i++) X[i] = (float)(i % 1000);
    for (int64_t i = 0; i < nh; i++) w[i] = 1.0f;
    rowx_column cols[4] = { { X, sizeof(float) * (size_t)d }, { y, 4 }, { a, 4 }, { w, 4 } };
    dett_err e = { { 0 } };
    char why[256];
    sampler sp;
    rowx rx;
    sampler_config c = { .mode = SAMPLER_ROWS, .n = n, .M = m, .B = b, .seed = 1 };
    if (sampler_init(&sp, &c, why) || rowx_init(&rx, MPI_COMM_WORLD, n, m, b, window, cols, 4, &e)) {
        fprintf(stderr, "bench: %s %s\n", why, e.msg);
        return 1;
    }
    int ep = 0, done = 0;
    double tsum = 0.0, csum = 0.0;
    sampler_epoch(&sp, ep);
    for (int64_t t = 0; done < steps; t += window) {
        if (t >= sp.steps) { sampler_epoch(&sp, ++ep); t = 0; }
        MPI_Barrier(MPI_COMM_WORLD);
        double t0 = MPI_Wtime(), c0 = cpu_seconds();
        if (rowx_fetch(&rx, &sp, t, &e)) { fprintf(stderr, "bench: %s\n", e.msg); return 1; }
        tsum += MPI_Wtime() - t0;
        csum += cpu_seconds() - c0;
        done += (int)(rx.t1 - rx.t0);
    }
    /* the reference: one gradient allreduce per step of the (b) model */
    enum { NPAR = 665602 };
    dar red = { 0 };
    float *g = calloc(NPAR, sizeof(float));
    double asum = 0.0;
    const int areps = steps < 100 ? steps : 100;
    if (!g || dar_init(&red, MPI_COMM_WORLD, NPAR, DAR_AUTO, &e)) return 1;
    for (int k = 0; k < areps; k++) {
        MPI_Barrier(MPI_COMM_WORLD);
        double t0 = MPI_Wtime();
        if (dar_allreduce(&red, g, &e)) { fprintf(stderr, "bench: %s\n", e.msg); return 1; }
        asum += MPI_Wtime() - t0;
    }
    dar_free(&red);
    free(g);
    double tmax = 0.0, cmax = 0.0, amax = 0.0;
    int64_t sent = 0;
    MPI_Reduce(&tsum, &tmax, 1, MPI_DOUBLE, MPI_MAX, 0, MPI_COMM_WORLD);
    MPI_Reduce(&csum, &cmax, 1, MPI_DOUBLE, MPI_MAX, 0, MPI_COMM_WORLD);
    MPI_Reduce(&asum, &amax, 1, MPI_DOUBLE, MPI_MAX, 0, MPI_COMM_WORLD);
    MPI_Reduce(&rx.sent_remote, &sent, 1, MPI_INT64_T, MPI_SUM, 0, MPI_COMM_WORLD);
    if (rank == 0)
        printf("rowx K=%d d=%d B=%d M=%d n=%lld window=%d: record %zu bytes; per step "
               "%.1f records cross ranks in all (%.1f KB), %.1f KB received per rank; "
               "%.0f us wall (%.0f us CPU) per step; gradient allreduce %.0f us wall "
               "(load %.1f)\n",
               K, d, b, m, (long long)n, window, rx.rec, (double)sent / done,
               (double)sent / done * rx.rec / 1024.0, (double)sent / done / K * rx.rec / 1024.0,
               1e6 * tmax / done, 1e6 * cmax / done, 1e6 * amax / areps, load_average());
    rowx_free(&rx);
    sampler_free(&sp);
    free(X); free(w); free(y); free(a);
    return 0;
}

int main(int argc, char **argv)
{
    MPI_Init(&argc, &argv);
    int rc = argc > 1 && strcmp(argv[1], "--bench") == 0 ? bench_main(argc, argv)
                                                          : test_main(argc > 1 ? argv[1] : "x");
    MPI_Finalize();
    return rc;
}
