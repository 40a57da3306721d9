/* bench_rsgemm.c - the row-stable GEMM (kernels/rsgemm.h) against OpenBLAS
 * sgemm on the dense shapes of the step benchmarks and the grid's students,
 * one core, one BLAS thread.
 *
 *   bench_rsgemm [--seconds S] [--wall] [--portable | --avx2] [--ptr | --gather]
 *                [--pool R]
 *   bench_rsgemm --pack [--wall]
 *
 * For each dense layer din -> dout at B rows it prints one line with the
 * GFLOP/s (2 B din dout flops per product) of the three products a dense
 * layer runs, each against cblas_sgemm on the same shape, transposes and
 * beta as the OpenBLAS dense layer of before issue 19:
 *   fwd   out = in W^T + b  (rsgemm: pack W^T, then rsgemm_rows)
 *   dx    din = dout W      (rsgemm: pack W, then rsgemm_rows)
 *   dw    dW += dout^T in   (rsgemm: rsgemm_wgrad_tree over 1 shard, and
 *         over 8 shards of B/8 rows: the stacked step's tree, "dw8")
 * and ratio = rsgemm rate / sgemm rate. Times: the median of repeats of the
 * process's CPU time (--wall: wall time). --portable times the fmaf path,
 * --avx2 the AVX2 path on a CPU with AVX-512F (same bits, narrower).
 * --ptr: fwd and dw read their A / in operand through row pointers to
 * shuffled rows of a pool of 2B rows (rsgemm_rows_ptr,
 * rsgemm_wgrad_tree_ptr: the training step's first layer); --gather: the
 * same rows copied into a contiguous block first (memcpy per row, timed),
 * then the contiguous calls (the step before row pointers).
 * --pool R (with --ptr or --gather): the pool holds R rows instead of 2B,
 * and each product reads the next B of its shuffled rows, so with R B din
 * floats beyond the last-level cache (e.g. --pool 400000) the rows come from
 * memory, as a training step's do from a large data set.
 * --pack: instead, the two weight packs a dense layer does each step
 * (rsgemm_pack: W^T for the forward, W for the input gradient), in
 * microseconds, median of 21 repeats, with W and the panels in cache (the
 * pack repeated), after 8 MB of other data were touched (out of L1 and L2,
 * in a last-level cache of that size or more) and after 256 MB (from
 * memory): the step packs a W that the optimiser wrote a whole parameter
 * vector ago.
 */
#define _POSIX_C_SOURCE 200809L
#include "rsgemm.h"
#include <cblas.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

void openblas_set_num_threads(int n);

static clockid_t clk = CLOCK_PROCESS_CPUTIME_ID;

static double now_s(void)
{
    struct timespec t;
    clock_gettime(clk, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

typedef struct {
    int B, din, dout, which, rs, ns;   /* which: 0 fwd, 1 dx, 2 dw */
    int rows;                          /* 0 contiguous x, 1 --ptr, 2 --gather */
    const float *const *xr;            /* --ptr, --gather: the pool's rows, shuffled */
    size_t npool, cur;                 /* their count; the next product's first */
    float *xg;                         /* --gather: where they are copied */
    rsgemm_path path;
    const float *x, *W, *bias, *dy;
    float *out, *dx, *gW, *pk;
    int off[9];
} job;

/* one product of j, by rsgemm (j->rs) or by sgemm */
static void run(job *j)
{
    const int B = j->B, di = j->din, dO = j->dout;
    const float *const *xr = j->xr + j->cur;
    if (j->rs && j->rows && j->which != 1) {   /* the next B rows of the pool */
        j->cur += (size_t)B;
        if (j->cur + (size_t)B > j->npool) j->cur = 0;
    }
    if (j->rs && j->rows == 2 && j->which != 1)   /* --gather: the copy is part of the time */
        for (int i = 0; i < B; i++) memcpy(j->xg + (size_t)i * di, xr[i], sizeof(float) * di);
    if (j->which == 0) {
        if (j->rs && j->rows == 1) {
            rsgemm_pack(j->pk, j->W, di, dO, 1, (size_t)di);
            rsgemm_rows_ptr(B, dO, di, xr, j->pk, j->bias, j->out, (size_t)dO, j->path);
        } else if (j->rs) {
            rsgemm_pack(j->pk, j->W, di, dO, 1, (size_t)di);
            rsgemm_rows(B, dO, di, j->rows ? j->xg : j->x, (size_t)di, j->pk, j->bias, j->out,
                        (size_t)dO, j->path);
        } else {
            for (int i = 0; i < B; i++) memcpy(j->out + (size_t)i * dO, j->bias, sizeof(float) * dO);
            cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, B, dO, di, 1.0f, j->x, di, j->W,
                        di, 1.0f, j->out, dO);
        }
    } else if (j->which == 1) {
        if (j->rs) {
            rsgemm_pack(j->pk, j->W, dO, di, (size_t)di, 1);
            rsgemm_rows(B, di, dO, j->dy, (size_t)dO, j->pk, NULL, j->dx, (size_t)di, j->path);
        } else {
            cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, B, di, dO, 1.0f, j->dy, dO,
                        j->W, di, 0.0f, j->dx, di);
        }
    } else {
        if (j->rs && j->rows == 1)
            rsgemm_wgrad_tree_ptr(dO, di, j->dy, (size_t)dO, xr, j->off, j->ns, j->gW,
                                  (size_t)di, j->ns == 1, j->pk, j->path);
        else if (j->rs)
            rsgemm_wgrad_tree(dO, di, j->dy, (size_t)dO, j->rows ? j->xg : j->x, (size_t)di,
                              j->off, j->ns, j->gW, (size_t)di, j->ns == 1, j->pk, j->path);
        else
            cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, dO, di, B, 1.0f, j->dy, dO, j->x,
                        di, 1.0f, j->gW, di);
    }
}

/* GFLOP/s of j: median over repeats of about seconds / 7 each */
static double gflops(job *j, double seconds)
{
    run(j);
    double t0 = now_s();
    long n = 0;
    do { run(j); n++; } while (now_s() - t0 < 0.02);
    double per = (now_s() - t0) / (double)n;
    long k = (long)(seconds / 7.0 / per);
    if (k < 1) k = 1;
    double t[7];
    for (int r = 0; r < 7; r++) {
        t0 = now_s();
        for (long i = 0; i < k; i++) run(j);
        t[r] = (now_s() - t0) / (double)k;
    }
    qsort(t, 7, sizeof t[0], cmp_double);
    return 2.0 * j->B * (double)j->din * j->dout / t[3] * 1e-9;
}

static float *rnd(size_t n, unsigned seed)
{
    float *v = malloc(sizeof(float) * (n ? n : 1));
    if (!v) { fprintf(stderr, "bench_rsgemm: out of memory\n"); exit(1); }
    for (size_t i = 0; i < n; i++) {
        seed = seed * 1103515245u + 12345u;
        v[i] = (float)((seed >> 8) & 0xffff) / 32768.0f - 1.0f;
    }
    return v;
}

/* touches n bytes of other data (a cache sweep) */
static void sweep(unsigned char *buf, size_t n)
{
    for (size_t i = 0; i < n; i += 64) buf[i]++;
}

/* --pack: the forward's and the input gradient's weight packs of each
 * (b) and grid layer, in cache, beyond L2 and from memory */
static int bench_pack(void)
{
    static const int shapes[][2] = { { 784, 512 }, { 512, 512 }, { 588, 256 }, { 256, 256 },
                                     { 588, 64 } };   /* din, dout */
    static const size_t sweeps[3] = { 0, (size_t)8 << 20, (size_t)256 << 20 };
    unsigned char *buf = calloc(sweeps[2], 1);
    if (!buf) { fprintf(stderr, "bench_rsgemm: out of memory\n"); return 1; }
    printf("rsgemm_pack, us (median of 21): W^T for the forward, W for the input gradient\n");
    printf("%-12s %-26s %-26s\n", "W dout x din", "fwd: cached / 8 MB / 256 MB",
           "dx: cached / 8 MB / 256 MB");
    for (size_t s = 0; s < sizeof shapes / sizeof shapes[0]; s++) {
        const int di = shapes[s][0], dO = shapes[s][1];
        float *W = rnd((size_t)di * dO, 2);
        size_t n = rsgemm_pack_floats(di, dO), n2 = rsgemm_pack_floats(dO, di);
        float *pk = rnd(n > n2 ? n : n2, 8);
        char col[2][32];
        for (int w = 0; w < 2; w++) {
            double med[3];
            for (int c = 0; c < 3; c++) {
                double t[21];
                for (int r = 0; r < 21; r++) {
                    sweep(buf, sweeps[c]);
                    double t0 = now_s();
                    if (w == 0) rsgemm_pack(pk, W, di, dO, 1, (size_t)di);
                    else rsgemm_pack(pk, W, dO, di, (size_t)di, 1);
                    t[r] = now_s() - t0;
                }
                qsort(t, 21, sizeof t[0], cmp_double);
                med[c] = 1e6 * t[10];
            }
            snprintf(col[w], sizeof col[w], "%6.1f / %6.1f / %6.1f", med[0], med[1], med[2]);
        }
        char name[32];
        snprintf(name, sizeof name, "%d x %d", dO, di);
        printf("%-12s %-26s %-26s\n", name, col[0], col[1]);
        free(W); free(pk);
    }
    free(buf);
    return 0;
}

int main(int argc, char **argv)
{
    double secs = 1.0;
    rsgemm_path path = RSGEMM_AUTO;
    int rows = 0;
    long pool_rows = 0;   /* 0: 2B */
    int pack = 0;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--seconds") && i + 1 < argc) secs = atof(argv[++i]);
        else if (!strcmp(argv[i], "--wall")) clk = CLOCK_MONOTONIC;
        else if (!strcmp(argv[i], "--portable")) path = RSGEMM_PORTABLE;
        else if (!strcmp(argv[i], "--avx2")) path = RSGEMM_AVX2;
        else if (!strcmp(argv[i], "--ptr")) rows = 1;
        else if (!strcmp(argv[i], "--gather")) rows = 2;
        else if (!strcmp(argv[i], "--pool") && i + 1 < argc) pool_rows = atol(argv[++i]);
        else if (!strcmp(argv[i], "--pack")) pack = 1;
        else {
            fprintf(stderr, "usage: bench_rsgemm [--seconds S] [--wall] [--portable | --avx2] "
                            "[--ptr | --gather] [--pool R] | --pack [--wall]\n");
            return 2;
        }
    }
    if (pack) return bench_pack();
    openblas_set_num_threads(1);
    static const int shapes[][3] = {   /* B, din, dout */
        { 64, 20, 64 }, { 64, 64, 64 }, { 64, 64, 2 },           /* (a) */
        { 128, 784, 512 }, { 128, 512, 512 }, { 128, 512, 2 },   /* (b) */
        { 128, 588, 16 }, { 128, 588, 64 }, { 128, 588, 256 },   /* grid students, teacher */
    };
    static const char *simd[] = { "portable", "avx2+fma", "avx-512f" };
    const int lvl = path == RSGEMM_PORTABLE ? 0
                    : path == RSGEMM_AVX2 && rsgemm_have_simd() ? 1 : rsgemm_have_simd();
    static const char *how[] = { "contiguous", "row pointers", "gather + contiguous" };
    printf("rsgemm path=%s, fwd and dw on %s", simd[lvl], how[rows]);
    if (rows && pool_rows > 0) printf(" (a pool of %ld rows)", pool_rows);
    printf("; GFLOP/s rsgemm / sgemm (ratio)\n");
    printf("%-16s %-22s %-22s %-22s %-22s\n", "B x din -> dout", "fwd", "dx", "dw", "dw8 (8-shard tree)");
    for (size_t s = 0; s < sizeof shapes / sizeof shapes[0]; s++) {
        job j = { .B = shapes[s][0], .din = shapes[s][1], .dout = shapes[s][2], .path = path,
                  .rows = rows };
        const size_t B = (size_t)j.B, di = (size_t)j.din, dO = (size_t)j.dout;
        float *x = rnd(B * di, 1), *W = rnd(di * dO, 2), *bias = rnd(dO, 3), *dy = rnd(B * dO, 4);
        const size_t R = rows && pool_rows > (long)B ? (size_t)pool_rows : 2 * B;
        float *pool = rnd(R * di, 9), *xg = rnd(B * di, 10);
        const float **xr = malloc(sizeof(float *) * R);
        if (!xr) { fprintf(stderr, "bench_rsgemm: out of memory\n"); return 1; }
        const size_t step = R % 7919 ? 7919 : 7907;   /* a prime not dividing R: shuffled */
        for (size_t i = 0; i < R; i++) xr[i] = pool + (i * step % R) * di;
        j.xr = xr;
        j.npool = R;
        j.xg = xg;
        j.x = x; j.W = W; j.bias = bias; j.dy = dy;
        j.out = rnd(B * dO, 5); j.dx = rnd(B * di, 6); j.gW = rnd(di * dO, 7);
        size_t p1 = rsgemm_pack_floats(j.din, j.dout), p2 = rsgemm_pack_floats(j.dout, j.din);
        size_t p3 = rsgemm_wgrad_ws_floats(j.B, j.din);
        if (p2 > p1) p1 = p2;
        j.pk = rnd(p3 > p1 ? p3 : p1, 8);
        char col[4][32];
        double sg = 0.0;
        for (int w = 0; w < 4; w++) {
            j.which = w < 3 ? w : 2;
            j.ns = w == 3 ? 8 : 1;
            for (int i = 0; i <= j.ns; i++) j.off[i] = (int)(B * (size_t)i / (size_t)j.ns);
            if (w < 3) { j.rs = 0; sg = gflops(&j, secs); }
            j.rs = 1;
            double rs = gflops(&j, secs);
            snprintf(col[w], sizeof col[w], "%6.1f/%5.1f (%.2f)", rs, sg, rs / sg);
        }
        char name[32];
        snprintf(name, sizeof name, "%zu x %zu -> %zu", B, di, dO);
        printf("%-16s %-22s %-22s %-22s %-22s\n", name, col[0], col[1], col[2], col[3]);
        fflush(stdout);
        free(x); free(W); free(bias); free(dy); free(j.out); free(j.dx); free(j.gW); free(j.pk);
        free(pool); free(xg); free(xr);
    }
    return 0;
}
