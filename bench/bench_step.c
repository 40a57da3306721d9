/* bench_step.c - one training step of dett on one core, against the BLAS
 * limit and (through bench/step.sh) against PyTorch.
 *
 *   bench_step [--case a|b|c|all] [--seconds S] [--bits] [--kernels-only] [--loop M]
 *              [--gemms] [--wall] [--im2col]
 *
 * Cases (cross-entropy, SGD lr 0.01 momentum 0.9 wd 0, 2 classes):
 *   a  MLP 20-64-64-2, batch 64
 *   b  MLP 784-512-512-2, batch 128
 *   c  CNN on 3x28x28, batch 128: conv3x3(16) relu maxpool2, conv3x3(32) relu
 *      maxpool2, global average pooling, fc 64 relu, head 2 (model_cnn)
 * For each case it prints, one key=value line each:
 *   kernels   the step as the kernels do it on one model_ws: zero the
 *             gradient, model_forward, loss_xent, model_backward, optim_step
 *   kernels_im2col  (CNN, in a build with oneDNN) the same step with the
 *             convolutions on the im2col + sgemm path
 *   blas      the same step's GEMM shapes (whole batch, same transposes and
 *             betas) timed one by one with cblas_sgemm in this run; their sum
 *             is the BLAS limit of the step. fraction = step GEMM FLOP rate /
 *             sgemm FLOP rate on those shapes = t_blas / t_step.
 *   train_job the whole distributed loop (train.c) per step, 1 rank, micro-
 *             shards M = 1 and M = 8: gather, forward, loss, backward into the
 *             gradient tree, deterministic allreduce, optimiser; timed between
 *             on_step calls, so the epoch's evaluation is excluded.
 *   train_job_pershard  the same at M = 8 on the per-shard step
 *             (DETT_STEP=pershard, runtime/train/step.h: the loop before
 *             issue 19, same bits), for comparing the two in one run.
 * Times are medians over repeats (see time_per_call) of the process's CPU
 * time (--wall: wall-clock time; see now_s).
 * --bits prints instead an FNV-1a hash of the parameters after 5 kernel
 * steps and after one short train_job (M = 1 and 8) per case, for comparing
 * runs in two environments bit for bit.
 * --kernels-only measures the kernel step alone (for profiling); --loop M
 * measures only the train_job loop at M micro-shards (for profiling); --gemms
 * prints each GEMM of the BLAS limit. --im2col runs the convolutions on the
 * im2col + sgemm path in a build with oneDNN (kernels/conv_dnnl.h); the
 * first line says which path the convolutions take ("conv=").
 * OpenBLAS runs one thread (openblas_set_num_threads(1)).
 */
#define _POSIX_C_SOURCE 200809L
#include "cnn.h"
#include "groupdata.h"
#include "loss.h"
#include "model.h"
#include "optim.h"
#include "rng.h"
#include "train.h"
#include <cblas.h>
#include <mpi.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define REPS 5

/* CPU time of this process by default, wall time with --wall: the machine
 * is shared, and CPU time leaves out the time the scheduler gives to other
 * processes (one thread, no I/O: on an idle machine the two agree) */
static clockid_t bench_clock = CLOCK_PROCESS_CPUTIME_ID;

static double now_s(void)
{
    struct timespec t;
    clock_gettime(bench_clock, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* seconds per call of f(ctx): the median over repeats of up to MAX_RUN
 * calls each, at least REPS repeats and about `seconds` in all. reset(ctx),
 * if not NULL, runs before every repeat, untimed: a training step restarts
 * from the same parameters and zero momentum, so every repeat times the
 * first MAX_RUN steps of one run (thousands of steps on one batch would
 * leave decaying momenta of dead units in the subnormal range, each
 * costing a microcode assist, in dett and PyTorch alike). */
#define MAX_RUN 200
#define MAX_REPS 1000
static double time_per_call(void (*f)(void *), void (*reset)(void *), void *ctx,
                            double seconds)
{
    if (reset) reset(ctx);
    f(ctx); f(ctx);                             /* warm-up */
    if (reset) reset(ctx);
    double t0 = now_s();
    long n = 0;
    do { f(ctx); n++; } while (now_s() - t0 < 0.05 && n < MAX_RUN);
    double per = (now_s() - t0) / (double)n;
    long k = (long)(seconds / REPS / per);
    if (k < 1) k = 1;
    if (k > MAX_RUN) k = MAX_RUN;
    long reps = (long)(seconds / (per * (double)k));
    if (reps < REPS) reps = REPS;
    if (reps > MAX_REPS) reps = MAX_REPS;
    double *t = malloc(sizeof(double) * (size_t)reps), med;
    if (!t) return -1.0;
    for (long r = 0; r < reps; r++) {
        if (reset) reset(ctx);
        t0 = now_s();
        for (long i = 0; i < k; i++) f(ctx);
        t[r] = (now_s() - t0) / (double)k;
    }
    qsort(t, (size_t)reps, sizeof t[0], cmp_double);
    med = t[reps / 2];
    free(t);
    return med;
}

/* ---- the cases ----------------------------------------------------------- */

typedef struct {
    const char *name, *desc;
    int B, C, H, W;        /* batch; input [C, H, W] (H = W = 1 for an MLP) */
    int cnn;
} bench_case;

static const bench_case CASES[] = {
    { "a", "mlp 20-64-64-2", 64, 20, 1, 1, 0 },
    { "b", "mlp 784-512-512-2", 128, 784, 1, 1, 0 },
    { "c", "cnn 3x28x28 conv16-pool-conv32-pool-gap-fc64-2", 128, 3, 28, 28, 1 },
};

/* --im2col: the convolutions on the im2col + sgemm path even when the
 * build has oneDNN (layer_conv_set_dnnl) */
static int force_im2col = 0;

static model *case_model(const bench_case *bc)
{
    model *m;
    if (bc->cnn) {
        const int ch[2] = { 16, 32 };
        m = model_cnn(bc->C, bc->H, bc->W, ch, 2, 3, 2, 1, 64, 2);
    } else if (bc->C == 20) {
        const int w[2] = { 64, 64 };
        m = model_mlp(20, w, 2, 2);
    } else {
        const int w[2] = { 512, 512 };
        m = model_mlp(784, w, 2, 2);
    }
    if (m) model_init(m, 7, 0);
    for (int i = 0; m && force_im2col && i < m->n_layers; i++)
        layer_conv_set_dnnl(m->layers[i], 0);
    return m;
}

static optim_cfg case_optim(void)
{
    optim_cfg c = optim_defaults(OPTIM_SGD);
    c.lr = 0.01f;
    c.momentum = 0.9f;
    c.wd = 0.0f;
    return c;
}

/* x[n, d] ~ U(-1, 1), y[n] in {0, 1} */
static void fill_data(float *x, int *y, int64_t n, int d, uint64_t seed)
{
    for (int64_t i = 0; i < n * d; i++)
        x[i] = 2.0f * rng_uniform(seed, 1, (uint64_t)i) - 1.0f;
    for (int64_t i = 0; i < n; i++)
        y[i] = rng_uniform(seed, 2, (uint64_t)i) < 0.5f ? 0 : 1;
}

/* ---- the kernel step ----------------------------------------------------- */

typedef struct {
    model *m;
    model_ws *ws;
    optim *opt;
    float *g, *dz, *loss, *x;
    float *p0;          /* initial parameters */
    int *y, B;
} kstep;

/* back to the initial parameters and zero momentum */
static void kernel_reset(void *p)
{
    kstep *k = p;
    memcpy(k->m->params, k->p0, sizeof(float) * k->m->n_params);
    memset(k->opt->m, 0, sizeof(float) * k->opt->n);
}

static void kernel_step(void *p)
{
    kstep *k = p;
    model *m = k->m;
    memset(k->g, 0, sizeof(float) * m->n_params);
    const float *z = model_forward(m, k->ws, k->x, k->B);
    loss_xent(k->dz, k->loss, z, k->y, NULL, k->B, m->n_classes, 1.0f / (float)k->B);
    model_backward(m, k->ws, k->g, k->dz, NULL, k->B, NULL);
    optim_step(k->opt, m->params, k->g);
}

static int kstep_init(kstep *k, const bench_case *bc, float *x, int *y)
{
    memset(k, 0, sizeof *k);
    k->m = case_model(bc);
    if (!k->m) return -1;
    k->B = bc->B;
    k->x = x; k->y = y;
    k->ws = model_ws_new(k->m, bc->B);
    k->opt = optim_new(case_optim(), k->m->n_trainable);
    k->g = calloc(k->m->n_params, sizeof(float));
    k->dz = malloc(sizeof(float) * (size_t)bc->B * k->m->n_classes);
    k->loss = malloc(sizeof(float) * (size_t)bc->B);
    k->p0 = malloc(sizeof(float) * k->m->n_params);
    if (k->p0) memcpy(k->p0, k->m->params, sizeof(float) * k->m->n_params);
    return k->ws && k->opt && k->g && k->dz && k->loss && k->p0 ? 0 : -1;
}

static void kstep_free(kstep *k)
{
    model_ws_free(k->ws);
    optim_free(k->opt);
    model_free(k->m);
    free(k->g); free(k->dz); free(k->loss); free(k->p0);
}

/* ---- the BLAS limit ------------------------------------------------------ */

typedef struct {
    enum CBLAS_TRANSPOSE ta, tb;
    int M, N, K;
    float beta;
    float *A, *Bm, *Cm;
} gemm_shape;

static void gemm_call(void *p)
{
    gemm_shape *s = p;
    int lda = s->ta == CblasNoTrans ? s->K : s->M;
    int ldb = s->tb == CblasNoTrans ? s->N : s->K;
    cblas_sgemm(CblasRowMajor, s->ta, s->tb, s->M, s->N, s->K, 1.0f, s->A, lda,
                s->Bm, ldb, s->beta, s->Cm, s->N);
}

#define MAX_GEMMS 32

/* the GEMMs of one step of m on a batch of B, as the kernels do them but on
 * the whole batch at once (a convolution's im2col spans all B samples):
 *   dense: fwd  out[B, dout] = in[B, din] W[dout, din]^T      (beta 1)
 *          dW   gW[dout, din] += dout[B, dout]^T in[B, din]     (beta 1)
 *          din  din[B, din] = dout[B, dout] W[dout, din]        (beta 0, not layer 0)
 *   conv:  fwd  y[OC, BP] = Wt[OC, R] col[R, BP]               (beta 0)
 *          dW   gW[OC, R] += dy[OC, BP] col[R, BP]^T             (beta 1)
 *          dcol col[R, BP] = Wt[OC, R]^T dy[OC, BP]              (beta 0, not layer 0)
 * Returns the count; flops gets 2 M N K summed. */
static int step_gemms(gemm_shape *gs, double *flops, const model *m, int B)
{
    int n = 0;
    *flops = 0.0;
    for (int i = 0; i < m->n_layers; i++) {
        const layer *l = m->layers[i];
        int M[3], N[3], K[3];
        enum CBLAS_TRANSPOSE ta[3], tb[3];
        float beta[3] = { 1.0f, 1.0f, 0.0f };
        if (l->kind == LAYER_DENSE) {
            M[0] = B;       N[0] = l->dout; K[0] = l->din; ta[0] = CblasNoTrans; tb[0] = CblasTrans;
            M[1] = l->dout; N[1] = l->din;  K[1] = B;      ta[1] = CblasTrans;   tb[1] = CblasNoTrans;
            M[2] = B;       N[2] = l->din;  K[2] = l->dout; ta[2] = CblasNoTrans; tb[2] = CblasNoTrans;
        } else if (l->kind == LAYER_CONV) {
            int R = l->C * l->k * l->k, BP = B * l->OH * l->OW;
            beta[0] = 0.0f;
            M[0] = l->OC; N[0] = BP; K[0] = R;  ta[0] = CblasNoTrans; tb[0] = CblasNoTrans;
            M[1] = l->OC; N[1] = R;  K[1] = BP; ta[1] = CblasNoTrans; tb[1] = CblasTrans;
            M[2] = R;     N[2] = BP; K[2] = l->OC; ta[2] = CblasTrans; tb[2] = CblasNoTrans;
        } else {
            continue;
        }
        for (int j = 0; j < 3 && n < MAX_GEMMS; j++) {
            if (j == 2 && i == 0) continue;     /* no input gradient for layer 0 */
            gs[n] = (gemm_shape){ ta[j], tb[j], M[j], N[j], K[j], beta[j], NULL, NULL, NULL };
            *flops += 2.0 * M[j] * N[j] * K[j];
            n++;
        }
    }
    return n;
}

/* seconds of the step's GEMMs, each timed alone (printed if verbose);
 * < 0 on failure */
static double blas_limit(const model *m, int B, double seconds, double *flops,
                         int verbose)
{
    gemm_shape gs[MAX_GEMMS];
    int n = step_gemms(gs, flops, m, B);
    size_t most = 1;
    for (int i = 0; i < n; i++) {
        size_t a = (size_t)gs[i].M * gs[i].K, b = (size_t)gs[i].K * gs[i].N,
               c = (size_t)gs[i].M * gs[i].N;
        if (a > most) most = a;
        if (b > most) most = b;
        if (c > most) most = c;
    }
    float *A = malloc(sizeof(float) * most), *Bm = malloc(sizeof(float) * most),
          *Cm = calloc(most, sizeof(float));
    if (!A || !Bm || !Cm) { free(A); free(Bm); free(Cm); return -1.0; }
    for (size_t i = 0; i < most; i++) {
        A[i] = 2.0f * rng_uniform(11, 1, i) - 1.0f;
        Bm[i] = 2.0f * rng_uniform(11, 2, i) - 1.0f;
    }
    double t = 0.0;
    for (int i = 0; i < n; i++) {
        gs[i].A = A; gs[i].Bm = Bm; gs[i].Cm = Cm;
        memset(Cm, 0, sizeof(float) * most);
        double ti = time_per_call(gemm_call, NULL, &gs[i], seconds / n);
        if (verbose)
            printf("  gemm %c%c M=%d N=%d K=%d beta=%g: %.4f ms, %.2f GFLOP/s\n",
                   gs[i].ta == CblasNoTrans ? 'N' : 'T', gs[i].tb == CblasNoTrans ? 'N' : 'T',
                   gs[i].M, gs[i].N, gs[i].K, gs[i].beta, 1e3 * ti,
                   2.0 * gs[i].M * gs[i].N * gs[i].K / ti * 1e-9);
        t += ti;
    }
    free(A); free(Bm); free(Cm);
    return t;
}

/* ---- the train_job path ---------------------------------------------------- */

typedef struct {
    int steps, warm;
    double t_warm, t_last;
} step_clock;

static void on_step(void *ctx)
{
    step_clock *c = ctx;
    c->steps++;
    double t = now_s();
    if (c->steps == c->warm) c->t_warm = t;
    c->t_last = t;
}

/* a one-rank groupdata of n train rows (x, y copied) and 256 val/test rows */
static int make_groupdata(groupdata *gd, const bench_case *bc, const float *x,
                          const int *y, int64_t n, int M)
{
    const int d = bc->C * bc->H * bc->W;
    char why[256];
    memset(gd, 0, sizeof *gd);
    snprintf(gd->path, sizeof gd->path, "(bench %s)", bc->name);
    gd->M = M; gd->K = 1; gd->r = 0;
    dataset_info *in = &gd->info;
    in->n_classes = 2; in->n_attrs = 1; in->n_groups = 2;
    in->x_rank = bc->cnn ? 3 : 1;
    if (bc->cnn) { in->x_shape[0] = bc->C; in->x_shape[1] = bc->H; in->x_shape[2] = bc->W; }
    else in->x_shape[0] = d;
    in->d = d;
    in->n[SPLIT_TRAIN] = n;
    in->n[SPLIT_VAL] = in->n[SPLIT_TEST] = EVAL_BLOCK;
    for (int64_t i = 0; i < n; i++) in->group_count[SPLIT_TRAIN][y[i]]++;
    for (int s = SPLIT_VAL; s <= SPLIT_TEST; s++)
        for (int64_t i = 0; i < EVAL_BLOCK; i++) in->group_count[s][y[i]]++;
    if (shard_plan_make(&gd->plan, n, M, 1, 0, bc->B, why)) {
        fprintf(stderr, "bench_step: %s\n", why);
        return -1;
    }
    for (int s = 0; s < N_SPLITS; s++) {
        int64_t rows = s == SPLIT_TRAIN ? n : EVAL_BLOCK;
        dataset_rows *r = s == SPLIT_TRAIN ? &gd->train : &gd->eval[s];
        r->row0 = 0; r->n = rows; r->d = d;
        r->X = malloc(sizeof(float) * (size_t)(rows * d));
        r->y = malloc(sizeof(int32_t) * (size_t)rows);
        r->a = calloc((size_t)rows, sizeof(int32_t));
        if (!r->X || !r->y || !r->a) return -1;
        memcpy(r->X, x, sizeof(float) * (size_t)(rows * d));
        for (int64_t i = 0; i < rows; i++) r->y[i] = y[i];
    }
    return 0;
}

/* seconds per step of train_job (ERM, one epoch of n rows, M micro-shards);
 * if params is not NULL the final parameters are copied there. < 0 on failure */
static double train_job_step(const bench_case *bc, const float *x, const int *y,
                             int64_t n, int M, float *params)
{
    groupdata gd;
    dett_err e;
    if (make_groupdata(&gd, bc, x, y, n, M)) { groupdata_free(&gd); return -1.0; }
    job_spec job;
    memset(&job, 0, sizeof job);
    snprintf(job.id, sizeof job.id, "bench-%s-M%d", bc->name, M);
    job.kind = JOB_TRAIN;
    job.method.kind = METHOD_ERM;
    job.optim = case_optim();
    job.epochs = 1;
    job.batch = bc->B;
    job.seed = 5;
    job.teacher = job.ident = -1;
    step_clock clk = { 0, 3, 0.0, 0.0 };
    train_inputs in;
    memset(&in, 0, sizeof in);
    in.on_step = on_step;
    in.hook_ctx = &clk;
    model *m = case_model(bc);
    train_result res;
    double t = -1.0;
    if (m && train_job(MPI_COMM_WORLD, &job, &gd, &in, m, &res, &e) == 0) {
        if (!res.failed && clk.steps > clk.warm)
            t = (clk.t_last - clk.t_warm) / (double)(clk.steps - clk.warm);
        else if (!res.failed && params)
            t = 0.0;
        if (params) memcpy(params, m->params, sizeof(float) * m->n_params);
        train_result_free(&res);
    } else {
        fprintf(stderr, "bench_step: train_job: %s\n", m ? e.msg : "no model");
    }
    model_free(m);
    groupdata_free(&gd);
    return t;
}

/* ---- main ------------------------------------------------------------------ */

static uint64_t fnv1a(const float *p, size_t n)
{
    uint64_t h = 1469598103934665603ULL;
    const unsigned char *b = (const unsigned char *)p;
    for (size_t i = 0; i < n * sizeof(float); i++) { h ^= b[i]; h *= 1099511628211ULL; }
    return h;
}

static int run_case(const bench_case *bc, double seconds, int bits, int konly,
                    int loop_m, int verbose)
{
    const int d = bc->C * bc->H * bc->W;
    /* enough rows for about `seconds` of train_job steps, at least 40 steps */
    int64_t steps = bits ? 8 : (bc->cnn ? 40 : bc->C == 20 ? 4000 : 200);
    const int64_t n = steps * bc->B;
    float *x = malloc(sizeof(float) * (size_t)(n * d));
    int *y = malloc(sizeof(int) * (size_t)n);
    kstep k;
    int rc = -1;
    if (!x || !y) goto out;
    fill_data(x, y, n, d, 3);
    if (loop_m > 0) {   /* the loop alone */
        double t = train_job_step(bc, x, y, n, loop_m, NULL);
        if (t >= 0) {
            printf("case=%s what=train_job M=%d ms_per_step=%.4f samples_per_s=%.0f\n",
                   bc->name, loop_m, 1e3 * t, bc->B / t);
            rc = 0;
        }
        goto out;
    }
    if (kstep_init(&k, bc, x, y)) { kstep_free(&k); goto out; }
    if (bits) {
        for (int i = 0; i < 5; i++) kernel_step(&k);
        printf("case=%s what=kernels hash=%016llx\n", bc->name,
               (unsigned long long)fnv1a(k.m->params, k.m->n_params));
        float *p = malloc(sizeof(float) * k.m->n_params);
        for (int M = 1; p && M <= 8; M *= 8) {
            if (train_job_step(bc, x, y, n, M, p) < 0) { free(p); kstep_free(&k); goto out; }
            printf("case=%s what=train_job M=%d hash=%016llx\n", bc->name, M,
                   (unsigned long long)fnv1a(p, k.m->n_params));
        }
        setenv("DETT_STEP", "pershard", 1);   /* the per-shard step: the same bits */
        if (p && train_job_step(bc, x, y, n, 8, p) >= 0)
            printf("case=%s what=train_job_pershard M=8 hash=%016llx\n", bc->name,
                   (unsigned long long)fnv1a(p, k.m->n_params));
        unsetenv("DETT_STEP");
        free(p);
        kstep_free(&k);
        rc = 0;
        goto out;
    }
    double ts = time_per_call(kernel_step, kernel_reset, &k, seconds);
    printf("case=%s what=kernels desc=\"%s\" batch=%d ms_per_step=%.4f samples_per_s=%.0f\n",
           bc->name, bc->desc, bc->B, 1e3 * ts, bc->B / ts);
    if (bc->cnn && !force_im2col && k.m->layers[0]->dnnl) {
        /* the same step with the convolutions on the im2col path */
        kstep k2;
        force_im2col = 1;
        int bad = kstep_init(&k2, bc, x, y);
        force_im2col = 0;
        if (!bad) {
            double t2 = time_per_call(kernel_step, kernel_reset, &k2, seconds);
            printf("case=%s what=kernels_im2col ms_per_step=%.4f samples_per_s=%.0f\n",
                   bc->name, 1e3 * t2, bc->B / t2);
        }
        kstep_free(&k2);
    }
    if (konly) { kstep_free(&k); rc = 0; goto out; }
    double flops, tb = blas_limit(k.m, bc->B, seconds, &flops, verbose);
    if (tb > 0)
        printf("case=%s what=blas gemm_mflop_per_step=%.1f sgemm_ms=%.4f sgemm_gflops=%.2f "
               "step_gemm_gflops=%.2f fraction=%.3f\n", bc->name, flops * 1e-6, 1e3 * tb,
               flops / tb * 1e-9, flops / ts * 1e-9, tb / ts);
    kstep_free(&k);
    for (int M = 1; M <= 8; M *= 8) {
        double t = train_job_step(bc, x, y, n, M, NULL);
        if (t < 0) goto out;
        printf("case=%s what=train_job M=%d ms_per_step=%.4f samples_per_s=%.0f\n",
               bc->name, M, 1e3 * t, bc->B / t);
    }
    {   /* M = 8 on the per-shard step (runtime/train/step.h; the loop before
         * issue 19, the same bits) */
        const char *old = getenv("DETT_STEP");
        setenv("DETT_STEP", "pershard", 1);
        double t = train_job_step(bc, x, y, n, 8, NULL);
        if (old) setenv("DETT_STEP", old, 1);
        else unsetenv("DETT_STEP");
        if (t < 0) goto out;
        printf("case=%s what=train_job_pershard M=8 ms_per_step=%.4f samples_per_s=%.0f\n",
               bc->name, 1e3 * t, bc->B / t);
    }
    rc = 0;
out:
    if (rc) fprintf(stderr, "bench_step: case %s failed\n", bc->name);
    free(x); free(y);
    return rc;
}

int main(int argc, char **argv)
{
    const char *which = "all";
    double seconds = 2.0;
    int bits = 0, konly = 0, verbose = 0, loop_m = 0;
    MPI_Init(&argc, &argv);
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--case") && i + 1 < argc) which = argv[++i];
        else if (!strcmp(argv[i], "--seconds") && i + 1 < argc) seconds = atof(argv[++i]);
        else if (!strcmp(argv[i], "--bits")) bits = 1;
        else if (!strcmp(argv[i], "--kernels-only")) konly = 1;
        else if (!strcmp(argv[i], "--loop") && i + 1 < argc) loop_m = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--gemms")) verbose = 1;
        else if (!strcmp(argv[i], "--wall")) bench_clock = CLOCK_MONOTONIC;
        else if (!strcmp(argv[i], "--im2col")) force_im2col = 1;
        else {
            fprintf(stderr, "usage: bench_step [--case a|b|c|all] [--seconds S] [--bits] [--kernels-only] [--loop M] [--gemms] [--wall] [--im2col]\n");
            MPI_Finalize();
            return 2;
        }
    }
    openblas_set_num_threads(1);
    layer *probe = layer_conv(1, 4, 4, 1, 3, 1, 1);
    int dnnl = probe && !force_im2col && probe->dnnl;
    layer_free(probe);
    printf("openblas core=%s threads=%d clock=%s conv=%s\n", openblas_get_corename(),
           openblas_get_num_threads(), bench_clock == CLOCK_MONOTONIC ? "wall" : "cpu",
           dnnl ? "onednn" : "im2col");
    int rc = 0;
    for (size_t c = 0; c < sizeof CASES / sizeof CASES[0]; c++)
        if (!strcmp(which, "all") || !strcmp(which, CASES[c].name))
            rc |= run_case(&CASES[c], seconds, bits, konly, loop_m, verbose);
    MPI_Finalize();
    return rc ? 1 : 0;
}
