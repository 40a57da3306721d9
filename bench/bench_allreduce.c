/* bench_allreduce.c - the deterministic tree allreduce against MPI_Allreduce
 * on the same buffers, in one run.
 *   mpirun -np 2 build/bench/bench_allreduce [reps [floats...]]
 * Sizes: the demo MLP's parameter count (10-64-64-2: 4994 floats), 1M, 10M,
 * or those given.
 * Prints the median time of each and the ratio dett / MPI_Allreduce, for
 * both forms of dett's allreduce: "pairs" (log2 K rounds of two-rank
 * MPI_Allreduce, the default at 2 ranks up to DAR_PAIRS_MAX floats) and
 * "scatter" (the hand-written reduce-scatter + allgather, the default
 * otherwise). The "dett" column is the default's ratio.
 * Then the update of a step, for SGD (momentum, weight decay) and AdamW on
 * the scaling benchmark's parameter count (mlp 784-512-512-2: 665602
 * floats), interleaved: the unsharded one (dar_allreduce, optim_step over
 * all parameters on every rank) and the sharded one (dar_reduce_scatter,
 * optim_step over the rank's chunk, dar_allgather; runtime/train/optshard.h),
 * the median of the slowest rank's time and their ratio. */
#define _POSIX_C_SOURCE 200809L
#include "allreduce.h"
#include "optim.h"
#include <mpi.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* median over reps of the slowest rank's time */
static double median(double *t, int n)
{
    qsort(t, (size_t)n, sizeof *t, cmp_double);
    return t[n / 2];
}

/* the two updates of n parameters (see the header comment), reps rounds
 * interleaved; prints one line on rank 0 */
static void bench_update(optim_kind kind, size_t n, int reps, int rank)
{
    dar d;
    dett_err e;
    size_t lo, hi;
    if (dar_init(&d, MPI_COMM_WORLD, n, DAR_AUTO, &e)) {
        fprintf(stderr, "%s\n", e.msg);
        MPI_Abort(MPI_COMM_WORLD, 1);
    }
    dar_chunk(&d, rank, &lo, &hi);
    optim *o[2] = { optim_new(optim_defaults(kind), n), optim_new(optim_defaults(kind), hi - lo) };
    float *p = malloc(sizeof(float) * n), *g = malloc(sizeof(float) * n);
    double *t[2] = { malloc(sizeof(double) * reps), malloc(sizeof(double) * reps) };
    for (size_t i = 0; i < n; i++) p[i] = (float)((i * 5) % 11) * 0.01f;
    for (int r = -3; r < reps; r++)
        for (int a = 0; a < 2; a++) {
            double t0, loc, mx;
            for (size_t i = 0; i < n; i++) g[i] = (float)((i * 7 + rank) % 13) * 0.25f;
            MPI_Barrier(MPI_COMM_WORLD);
            t0 = MPI_Wtime();
            if (a == 0) {
                dar_allreduce(&d, g, &e);
                optim_step(o[0], p, g);
            } else {
                dar_reduce_scatter(&d, g, &e);
                optim_step(o[1], p + lo, g + lo);
                dar_allgather(&d, p, &e);
            }
            loc = MPI_Wtime() - t0;
            MPI_Allreduce(&loc, &mx, 1, MPI_DOUBLE, MPI_MAX, MPI_COMM_WORLD);
            if (r >= 0) t[a][r] = mx;
        }
    double m0 = median(t[0], reps), m1 = median(t[1], reps);
    if (rank == 0)
        printf("%-6s %10zu %15.1f %13.1f %8.3f\n", kind == OPTIM_SGD ? "sgd" : "adamw", n,
               m0 * 1e6, m1 * 1e6, m1 / m0);
    optim_free(o[0]);
    optim_free(o[1]);
    free(p); free(g); free(t[0]); free(t[1]);
    dar_free(&d);
}

int main(int argc, char **argv)
{
    MPI_Init(&argc, &argv);
    int rank, size, reps = argc > 1 ? atoi(argv[1]) : 30;
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    MPI_Comm_size(MPI_COMM_WORLD, &size);
    size_t sizes[16] = { 4994, 1000000, 10000000 };
    int n_sizes = 3;
    if (argc > 2)
        for (n_sizes = 0; n_sizes < 16 && n_sizes + 2 < argc; n_sizes++)
            sizes[n_sizes] = (size_t)atol(argv[n_sizes + 2]);
    if (rank == 0)
        printf("%-10s %11s %11s %11s %8s %8s %8s   (%d ranks, median of %d; ratios to MPI)\n",
               "floats", "pairs (us)", "scatter", "MPI (us)", "pairs", "scatter", "dett",
               size, reps);
    for (int k = 0; k < n_sizes; k++) {
        size_t n = sizes[k];
        float *buf = malloc(sizeof(float) * n), *ref = malloc(sizeof(float) * n);
        double *t[3];
        dar d[2];
        dett_err e;
        for (int a = 0; a < 3; a++) t[a] = malloc(sizeof(double) * reps);
        for (int a = 0; a < 2; a++)
            if (dar_init(&d[a], MPI_COMM_WORLD, n, a ? DAR_SCATTER : DAR_PAIRS, &e)) {
                fprintf(stderr, "%s\n", e.msg);
                MPI_Abort(MPI_COMM_WORLD, 1);
            }
        for (size_t i = 0; i < n; i++) ref[i] = (float)((i * 7 + rank) % 13) * 0.25f;
        for (int r = -3; r < reps; r++)     /* 3 warm-up rounds; the three interleaved */
            for (int a = 0; a < 3; a++) {
                double t0, loc, mx;
                memcpy(buf, ref, sizeof(float) * n);
                MPI_Barrier(MPI_COMM_WORLD);
                t0 = MPI_Wtime();
                if (a < 2)
                    dar_allreduce(&d[a], buf, &e);
                else
                    MPI_Allreduce(MPI_IN_PLACE, buf, (int)n, MPI_FLOAT, MPI_SUM, MPI_COMM_WORLD);
                loc = MPI_Wtime() - t0;
                MPI_Allreduce(&loc, &mx, 1, MPI_DOUBLE, MPI_MAX, MPI_COMM_WORLD);
                if (r >= 0) t[a][r] = mx;
            }
        double m[3];
        for (int a = 0; a < 3; a++) m[a] = median(t[a], reps);
        if (rank == 0)
            printf("%-10zu %11.1f %11.1f %11.1f %8.3f %8.3f %8.3f\n", n, m[0] * 1e6,
                   m[1] * 1e6, m[2] * 1e6, m[0] / m[2], m[1] / m[2],
                   (size == 2 && n <= DAR_PAIRS_MAX ? m[0] : m[1]) / m[2]);
        for (int a = 0; a < 2; a++) dar_free(&d[a]);
        for (int a = 0; a < 3; a++) free(t[a]);
        free(buf);
        free(ref);
    }
    if (rank == 0)
        printf("\n%-6s %10s %15s %13s %8s   (median of %d)\n", "update", "floats",
               "unsharded (us)", "sharded (us)", "ratio", reps);
    bench_update(OPTIM_SGD, 665602, reps, rank);
    bench_update(OPTIM_ADAMW, 665602, reps, rank);
    MPI_Finalize();
    return 0;
}
