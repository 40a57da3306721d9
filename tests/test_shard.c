/* test_shard.c - micro-shard arithmetic and the local summation tree, in one
 * process with explicit (rank, size). */
#include "allreduce.h"
#include "check.h"
#include "rng.h"
#include "shard.h"
#include <mpi.h>
#include <stdlib.h>
#include <string.h>

static void test_plans(void)
{
    char why[256];
    shard_plan p;
    /* every row belongs to exactly one shard; ranks own aligned blocks */
    EXPECT(shard_plan_make(&p, 1003, 8, 4, 2, 64, why) == 0, "plan: %s", why);
    EXPECT(p.s0 == 4 && p.s1 == 6, "rank 2 of 4 owns shards [4, 6), got [%d, %d)", p.s0, p.s1);
    int64_t total = 0;
    for (int s = 0; s < 8; s++) total += shard_rows(&p, s);
    EXPECT(total == 1003 && shard_row0(&p, 0) == 0, "shards cover the rows");
    int bsum = 0;
    for (int s = 0; s < 8; s++) bsum += shard_batch_rows(&p, s);
    EXPECT(bsum == 64, "batch rows sum to B, got %d", bsum);
    /* the plan's steps do not depend on K or r */
    shard_plan q;
    shard_plan_make(&q, 1003, 8, 1, 0, 64, why);
    EXPECT(q.steps == p.steps && q.steps == 125 / 8, "steps %lld vs %lld", (long long)q.steps, (long long)p.steps);
    /* refusals, each with a reason */
    EXPECT(shard_plan_make(&p, 1000, 6, 2, 0, 64, why) && strstr(why, "power of two"), "M=6: %s", why);
    EXPECT(shard_plan_make(&p, 1000, 8, 3, 0, 64, why) && strstr(why, "power of two"), "K=3: %s", why);
    EXPECT(shard_plan_make(&p, 1000, 2, 4, 0, 64, why) && strstr(why, "smaller than the ranks"), "M<K: %s", why);
    EXPECT(shard_plan_make(&p, 1000, 8, 2, 0, 4, why) && strstr(why, "smaller than the 8"), "B<M: %s", why);
    EXPECT(shard_plan_make(&p, 100, 8, 2, 0, 800, why) && strstr(why, "larger than"), "B>n: %s", why);
}

/* the binary-counter accumulator equals the balanced tree, bit for bit, and
 * a rank-split (subtrees, then a tree over ranks) equals it too */
static void test_tree(void)
{
    enum { M = 16, N = 1000 };
    float *g = malloc(sizeof(float) * M * N), *ref = malloc(sizeof(float) * M * N);
    for (size_t i = 0; i < (size_t)M * N; i++) g[i] = rng_normal(3, 0, i) * (1 + (i % 7) * 1e3f);
    memcpy(ref, g, sizeof(float) * M * N);
    tree_sum_f(ref, M, N);
    for (int K = 1; K <= M; K *= 2) {
        float *parts = malloc(sizeof(float) * K * N);
        for (int r = 0; r < K; r++) {
            tree_acc t;
            tree_init(&t, N, M / K, NULL);
            for (int s = r * (M / K); s < (r + 1) * (M / K); s++) {
                memcpy(tree_next(&t), g + (size_t)s * N, sizeof(float) * N);
                tree_push(&t);
            }
            memcpy(parts + (size_t)r * N, tree_result(&t), sizeof(float) * N);
            tree_free(&t);
        }
        tree_sum_f(parts, K, N);
        EXPECT(!memcmp(parts, ref, sizeof(float) * N), "K = %d: subtree sums differ from the tree", K);
        free(parts);
    }
    /* and a left fold is NOT the same bits (the test would notice a fold) */
    float fold[N];
    memcpy(fold, g, sizeof fold);
    for (int s = 1; s < M; s++)
        for (int j = 0; j < N; j++) fold[j] += g[(size_t)s * N + j];
    EXPECT(memcmp(fold, ref, sizeof fold) != 0, "data too easy: fold equals tree");
    free(g);
    free(ref);
}

int main(int argc, char **argv)
{
    MPI_Init(&argc, &argv);
    test_plans();
    test_tree();
    int rc = TEST_END();
    MPI_Finalize();
    return rc;
}
