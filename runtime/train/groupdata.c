/* groupdata.c - load one rank's share of a dataset (see groupdata.h). */
#include "groupdata.h"
#include <stdio.h>
#include <string.h>

void eval_share(int64_t n, int K, int r, int64_t *row0, int64_t *rows)
{
    int64_t blocks = (n + EVAL_BLOCK - 1) / EVAL_BLOCK;
    int64_t b0 = blocks * r / K, b1 = blocks * (r + 1) / K;
    int64_t lo = b0 * EVAL_BLOCK, hi = b1 * EVAL_BLOCK;
    if (hi > n) hi = n;
    if (lo > n) lo = n;
    *row0 = lo;
    *rows = hi - lo;
}

int groupdata_load(groupdata *g, const char *path, MPI_Comm comm, int M, int B,
                   dett_err *e)
{
    int K, r;
    char why[256];
    memset(g, 0, sizeof *g);
    snprintf(g->path, sizeof g->path, "%s", path);
    CHECK_MPI(e, MPI_Comm_size(comm, &K));
    CHECK_MPI(e, MPI_Comm_rank(comm, &r));
    CHECK(dataset_open(path, comm, &g->info, e));
    g->M = M; g->K = K; g->r = r;
    if (shard_plan_make(&g->plan, g->info.n[SPLIT_TRAIN], M, K, r, B, why)) {
        dett_fail(e, "%s: %s", path, why);
        goto fail;
    }
    int64_t lo = shard_row0(&g->plan, g->plan.s0), hi = shard_row0(&g->plan, g->plan.s1);
    CHECK(dataset_read(path, comm, SPLIT_TRAIN, lo, hi - lo, &g->train, e));
    for (int s = SPLIT_VAL; s <= SPLIT_TEST; s++) {
        int64_t r0, n;
        eval_share(g->info.n[s], K, r, &r0, &n);
        CHECK(dataset_read(path, comm, s, r0, n, &g->eval[s], e));
    }
    return 0;
fail:
    groupdata_free(g);
    return -1;
}

int groupdata_plan(groupdata *g, int B, dett_err *e)
{
    char why[256];
    if (shard_plan_make(&g->plan, g->info.n[SPLIT_TRAIN], g->M, g->K, g->r, B, why))
        return dett_fail(e, "%s: %s", g->path, why);
    return 0;
}

void groupdata_free(groupdata *g)
{
    dataset_rows_free(&g->train);
    for (int s = 0; s < N_SPLITS; s++) dataset_rows_free(&g->eval[s]);
}
