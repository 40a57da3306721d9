/* test_allreduce_mpi.c - the deterministic allreduce under mpiexec -n K:
 * the result is bit-identical to the serial balanced tree over all micro-
 * shards, for several buffer sizes (odd sizes exercise the padding), with
 * both forms (reduce-scatter, pairs of MPI_Allreduce). */
#include "allreduce.h"
#include "check.h"
#include "rng.h"
#include <mpi.h>
#include <stdlib.h>
#include <string.h>

int main(int argc, char **argv)
{
    MPI_Init(&argc, &argv);
    int r, K;
    MPI_Comm_rank(MPI_COMM_WORLD, &r);
    MPI_Comm_size(MPI_COMM_WORLD, &K);
    const int M = 8;
    const size_t sizes[] = { 1, 7, 1000, DAR_SMALL + 1, 3 * DAR_SEGMENT + 5 };
    for (int k = 0; k < 10; k++) {
        const dar_algo algo = k < 5 ? DAR_SCATTER : DAR_PAIRS;
        size_t n = sizes[k % 5];
        /* every rank can compute every shard's vector: the reference */
        float *all = malloc(sizeof(float) * M * n);
        for (size_t i = 0; i < M * n; i++) all[i] = rng_normal(k, 1, i) * (1 + (i % 5) * 100.0f);
        float *ref = malloc(sizeof(float) * M * n);
        memcpy(ref, all, sizeof(float) * M * n);
        tree_sum_f(ref, M, n);
        /* this rank's subtree, then the group allreduce */
        tree_acc t;
        dar d;
        dett_err e;
        EXPECT(tree_init(&t, n, M / K, &e) == 0, "tree_init");
        EXPECT(dar_init(&d, MPI_COMM_WORLD, n, algo, &e) == 0, "dar_init");
        for (int s = r * (M / K); s < (r + 1) * (M / K); s++) {
            memcpy(tree_next(&t), all + (size_t)s * n, sizeof(float) * n);
            tree_push(&t);
        }
        float *buf = tree_result(&t);
        EXPECT(dar_allreduce(&d, buf, &e) == 0, "dar_allreduce");
        EXPECT(!memcmp(buf, ref, sizeof(float) * n), "n = %zu, K = %d, %s: not the tree's bits", n, K,
               algo == DAR_PAIRS ? "pairs" : "scatter");
        /* the statistics path agrees too */
        double loc[M], out[1], refd = 0;
        for (int s = 0; s < M / K; s++) loc[s] = all[(size_t)(r * (M / K) + s) * n];
        double v[M];
        for (int s = 0; s < M; s++) v[s] = all[(size_t)s * n];
        tree_sum_d(v, M, 1);
        refd = v[0];
        EXPECT(dar_stats(MPI_COMM_WORLD, loc, M / K, 1, out, &e) == 0 && out[0] == refd,
               "dar_stats %g vs %g", out[0], refd);
        tree_free(&t);
        dar_free(&d);
        free(all);
        free(ref);
    }
    int fails = TEST_END(), any;
    MPI_Allreduce(&fails, &any, 1, MPI_INT, MPI_MAX, MPI_COMM_WORLD);
    MPI_Finalize();
    return any;
}
