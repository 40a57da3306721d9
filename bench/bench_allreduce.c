/* bench_allreduce.c - the deterministic tree allreduce against MPI_Allreduce
 * on the same buffers, in one run.
 *   mpirun -np 2 build/bench/bench_allreduce [reps]
 * Sizes: the demo MLP's parameter count (10-64-64-2: 4994 floats), 1M, 10M.
 * Prints the median time of each and the ratio dett / MPI_Allreduce. */
#define _POSIX_C_SOURCE 200809L
#include "allreduce.h"
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

int main(int argc, char **argv)
{
    MPI_Init(&argc, &argv);
    int rank, size, reps = argc > 1 ? atoi(argv[1]) : 30;
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    MPI_Comm_size(MPI_COMM_WORLD, &size);
    const size_t sizes[] = { 4994, 1000000, 10000000 };
    if (rank == 0)
        printf("%-12s %14s %14s %8s   (%d ranks, median of %d)\n", "floats",
               "dett (us)", "MPI (us)", "ratio", size, reps);
    for (int k = 0; k < 3; k++) {
        size_t n = sizes[k];
        float *buf = malloc(sizeof(float) * n), *ref = malloc(sizeof(float) * n);
        double *td = malloc(sizeof(double) * reps), *tm = malloc(sizeof(double) * reps);
        dar d;
        dett_err e;
        if (dar_init(&d, MPI_COMM_WORLD, n, &e)) { fprintf(stderr, "%s\n", e.msg); MPI_Abort(MPI_COMM_WORLD, 1); }
        for (size_t i = 0; i < n; i++) ref[i] = (float)((i * 7 + rank) % 13) * 0.25f;
        for (int r = -3; r < reps; r++) {     /* 3 warm-up rounds */
            double t0, t1, loc, mx;
            memcpy(buf, ref, sizeof(float) * n);
            MPI_Barrier(MPI_COMM_WORLD);
            t0 = MPI_Wtime();
            dar_allreduce(&d, buf, &e);
            t1 = MPI_Wtime();
            loc = t1 - t0;
            MPI_Allreduce(&loc, &mx, 1, MPI_DOUBLE, MPI_MAX, MPI_COMM_WORLD);
            if (r >= 0) td[r] = mx;
            memcpy(buf, ref, sizeof(float) * n);
            MPI_Barrier(MPI_COMM_WORLD);
            t0 = MPI_Wtime();
            MPI_Allreduce(MPI_IN_PLACE, buf, (int)n, MPI_FLOAT, MPI_SUM, MPI_COMM_WORLD);
            t1 = MPI_Wtime();
            loc = t1 - t0;
            MPI_Allreduce(&loc, &mx, 1, MPI_DOUBLE, MPI_MAX, MPI_COMM_WORLD);
            if (r >= 0) tm[r] = mx;
        }
        double a = median(td, reps), b = median(tm, reps);
        if (rank == 0)
            printf("%-12zu %14.1f %14.1f %8.3f\n", n, a * 1e6, b * 1e6, a / b);
        dar_free(&d);
        free(buf); free(ref); free(td); free(tm);
    }
    MPI_Finalize();
    return 0;
}
