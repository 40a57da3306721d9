/* allreduce.c - deterministic tree allreduce (see allreduce.h). */
#include "allreduce.h"
#include "shard.h"
#include <stdlib.h>
#include <string.h>

void tree_sum_f(float *v, int count, size_t m)
{
    for (int stride = 1; stride < count; stride *= 2)
        for (int i = 0; i + stride < count; i += 2 * stride) {
            float *a = v + (size_t)i * m;
            const float *b = v + (size_t)(i + stride) * m;
            for (size_t j = 0; j < m; j++) a[j] += b[j];
        }
}

void tree_sum_d(double *v, int count, size_t m)
{
    for (int stride = 1; stride < count; stride *= 2)
        for (int i = 0; i + stride < count; i += 2 * stride) {
            double *a = v + (size_t)i * m;
            const double *b = v + (size_t)(i + stride) * m;
            for (size_t j = 0; j < m; j++) a[j] += b[j];
        }
}

/* ---- local subtree: a binary counter of partial sums ---------------------- */

int tree_init(tree_acc *t, size_t n, int max_pushes, dett_err *e)
{
    memset(t, 0, sizeof *t);
    t->n = n;
    t->levels = 1;
    while ((1 << (t->levels - 1)) < max_pushes) t->levels++;
    t->buf = calloc((size_t)t->levels, sizeof(float *));
    t->full = calloc((size_t)t->levels, sizeof(int));
    CHECK_ALLOC(e, t->buf);
    CHECK_ALLOC(e, t->full);
    for (int l = 0; l < t->levels; l++) {
        t->buf[l] = malloc(sizeof(float) * (n ? n : 1));
        CHECK_ALLOC(e, t->buf[l]);
    }
    t->spare = malloc(sizeof(float) * (n ? n : 1));
    CHECK_ALLOC(e, t->spare);
    return 0;
fail:
    tree_free(t);
    return -1;
}

void tree_free(tree_acc *t)
{
    if (t->buf)
        for (int l = 0; l < t->levels; l++) free(t->buf[l]);
    free(t->buf);
    free(t->full);
    free(t->spare);
    memset(t, 0, sizeof *t);
}

void tree_reset(tree_acc *t)
{
    memset(t->full, 0, sizeof(int) * (size_t)t->levels);
    t->pushed = 0;
}

float *tree_next(tree_acc *t)
{
    memset(t->spare, 0, sizeof(float) * t->n);
    return t->spare;
}

/* merge the spare buffer up the counter: equal-sized partials are summed
 * pairwise (left + right), which builds the balanced tree */
void tree_push(tree_acc *t)
{
    float *cur = t->spare;
    int l = 0;
    while (t->full[l]) {
        float *left = t->buf[l];
        for (size_t j = 0; j < t->n; j++) left[j] += cur[j];
        t->full[l] = 0;
        t->buf[l] = cur;          /* recycle the right buffer */
        cur = left;
        l++;
    }
    float *old = t->buf[l];
    t->buf[l] = cur;
    t->full[l] = 1;
    t->spare = old;
    t->pushed++;
}

float *tree_result(tree_acc *t)
{
    for (int l = t->levels - 1; l >= 0; l--)
        if (t->full[l]) return t->buf[l];
    return NULL;
}

/* ---- across ranks ---------------------------------------------------------- */

int dar_init(dar *d, MPI_Comm comm, size_t n, dett_err *e)
{
    memset(d, 0, sizeof *d);
    d->comm = comm;
    CHECK_MPI(e, MPI_Comm_rank(comm, &d->rank));
    CHECK_MPI(e, MPI_Comm_size(comm, &d->size));
    if (!shard_is_pow2(d->size))
        return dett_fail(e, "deterministic allreduce: group size %d is not a power of two",
                         d->size);
    d->n = n;
    d->chunk = (n + (size_t)d->size - 1) / (size_t)d->size;
    if (d->chunk * (size_t)d->size > (size_t)1 << 31)
        return dett_fail(e, "deterministic allreduce: %zu floats is too large", n);
    d->pad = calloc(d->chunk * d->size + 1, sizeof(float));
    d->recv = calloc(d->chunk * d->size + 1, sizeof(float));
    CHECK_ALLOC(e, d->pad);
    CHECK_ALLOC(e, d->recv);
    return 0;
fail:
    dar_free(d);
    return -1;
}

void dar_free(dar *d)
{
    free(d->pad);
    free(d->recv);
    d->pad = d->recv = NULL;
}

int dar_allreduce(dar *d, float *buf, dett_err *e)
{
    if (d->size == 1) return 0;
    const int c = (int)d->chunk;
    memcpy(d->pad, buf, sizeof(float) * d->n);
    /* reduce-scatter: chunk j of every rank's partial goes to rank j */
    CHECK_MPI(e, MPI_Alltoall(d->pad, c, MPI_FLOAT, d->recv, c, MPI_FLOAT, d->comm));
    tree_sum_f(d->recv, d->size, d->chunk);    /* ordered by rank index */
    CHECK_MPI(e, MPI_Allgather(d->recv, c, MPI_FLOAT, d->pad, c, MPI_FLOAT, d->comm));
    memcpy(buf, d->pad, sizeof(float) * d->n);
    return 0;
fail:
    return -1;
}

int dar_stats(MPI_Comm comm, const double *local, int ns, int m, double *out,
              dett_err *e)
{
    int size;
    double *all = NULL;
    CHECK_MPI(e, MPI_Comm_size(comm, &size));
    all = malloc(sizeof(double) * (size_t)ns * m * size + 1);
    CHECK_ALLOC(e, all);
    CHECK_MPI(e, MPI_Allgather(local, ns * m, MPI_DOUBLE, all, ns * m, MPI_DOUBLE, comm));
    tree_sum_d(all, ns * size, (size_t)m);
    memcpy(out, all, sizeof(double) * m);
    free(all);
    return 0;
fail:
    free(all);
    return -1;
}
