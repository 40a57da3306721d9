/* bench_dfr.c - DFR refit time (ridge and Newton logistic, C = 2) against the
 * feature dimension, n = 4096 rows split evenly over the ranks.
 *   OPENBLAS_NUM_THREADS=1 mpirun -np 1|2 build/bench/bench_dfr [reps] [d ...]
 * Default d = 256 1024 4096, reps 3 after one warm-up. Prints the median of
 * the slowest rank's wall time, the Newton steps, and the rate of the fit's
 * main products (n d^2 for the Gram, d^3/3 per Cholesky) against a dgemm
 * measured on one rank at the start, in the same environment.
 * DFR_BLOCK=nb in the environment overrides the block-cyclic block size. */
#include "dfr.h"
#include "rng.h"
#include <cblas.h>
#include <mpi.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* GFLOP/s of a 1024^3 dgemm on this rank (best of 3) */
static double dgemm_rate(void)
{
    const int m = 1024;
    double *A = malloc(sizeof(double) * m * m), *B = malloc(sizeof(double) * m * m);
    double *C = malloc(sizeof(double) * m * m), best = 1e30;
    for (int k = 0; k < m * m; k++) { A[k] = (k % 17) * 0.1; B[k] = (k % 13) * 0.2; }
    for (int r = 0; r < 3; r++) {
        double t0 = MPI_Wtime();
        cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, m, m, m, 1.0, A, m, B, m, 0.0,
                    C, m);
        double t = MPI_Wtime() - t0;
        best = t < best ? t : best;
    }
    free(A); free(B); free(C);
    return 2.0 * m * m * m / best * 1e-9;
}

int main(int argc, char **argv)
{
    MPI_Init(&argc, &argv);
    openblas_set_num_threads(1);
    int rank, size;
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    MPI_Comm_size(MPI_COMM_WORLD, &size);
    int reps = argc > 1 ? atoi(argv[1]) : 3;
    int ds[16] = { 256, 1024, 4096 }, nd = 3;
    if (argc > 2) {
        nd = 0;
        for (int a = 2; a < argc && nd < 16; a++) ds[nd++] = atoi(argv[a]);
    }
    if (reps < 1) reps = 1;
    const int64_t n = 4096;
    const int C = 2;
    double peak = 0;
    if (rank == 0) peak = dgemm_rate();
    MPI_Bcast(&peak, 1, MPI_DOUBLE, 0, MPI_COMM_WORLD);
    if (rank == 0)
        printf("n = %lld, C = %d, %d rank(s), blocks %s, median of %d after 1 warm-up; dgemm "
               "1024^3 on one rank: %.1f GFLOP/s\n%-9s %6s %10s %7s %9s\n", (long long)n, C,
               size, getenv("DFR_BLOCK") ? getenv("DFR_BLOCK") : "64", reps, peak, "solver",
               "d", "time (s)", "steps", "% dgemm");
    int64_t row0 = n * rank / size, nl = n * (rank + 1) / size - row0;
    for (int k = 0; k < nd; k++) {
        int d = ds[k];
        float *F = malloc(sizeof(float) * (size_t)nl * d);
        int32_t *y = malloc(sizeof(int32_t) * (size_t)nl);
        float *W = malloc(sizeof(float) * (size_t)C * d), b[2];
        double *t = malloc(sizeof(double) * (size_t)reps);
        /* rows keyed by the global index: the same data whatever the ranks */
        for (int64_t i = 0; i < nl; i++) {
            uint64_t gi = (uint64_t)(row0 + i);
            double s = 0;
            for (int j = 0; j < d; j++) {
                float v = rng_normal(1, 1, gi * (uint64_t)d + (uint64_t)j);
                F[(size_t)i * d + j] = v;
                if (j < 16) s += v;
            }
            y[i] = s + 2.0 * rng_normal(1, 2, gi) > 0;
        }
        for (int s = 0; s < 2; s++) {
            dfr_opts o;
            dfr_opts_default(&o);
            o.solver = s ? DFR_LOGISTIC : DFR_RIDGE;
            o.lambda = 1e-2;
            if (getenv("DFR_BLOCK")) o.block = atoi(getenv("DFR_BLOCK"));
            dfr_report rep;
            dett_err e = { "" };
            for (int r = -1; r < reps; r++) {
                MPI_Barrier(MPI_COMM_WORLD);
                double t0 = MPI_Wtime();
                if (dfr_fit(MPI_COMM_WORLD, F, y, nl, d, C, &o, W, b, &rep, &e)) {
                    fprintf(stderr, "bench_dfr: %s\n", e.msg);
                    MPI_Abort(MPI_COMM_WORLD, 1);
                }
                double loc = MPI_Wtime() - t0, mx = 0;
                MPI_Allreduce(&loc, &mx, 1, MPI_DOUBLE, MPI_MAX, MPI_COMM_WORLD);
                if (r >= 0) t[r] = mx;
            }
            qsort(t, (size_t)reps, sizeof *t, cmp_double);
            double med = t[reps / 2];
            /* main flops: ridge one Gram (n d^2) and one Cholesky (d^3 / 3);
             * binary Newton one Hessian and one Cholesky per step */
            double D = s ? d + 1 : d, steps = s ? rep.iters : 1;
            double flops = steps * ((double)n * D * D + D * D * D / 3.0);
            if (rank == 0)
                printf("%-9s %6d %10.3f %7d %8.0f%%\n", s ? "logistic" : "ridge", d, med,
                       rep.iters, 100.0 * flops / med * 1e-9 / (peak * size));
        }
        free(F); free(y); free(W); free(t);
    }
    MPI_Finalize();
    return 0;
}
