/* allreduce.c - deterministic tree allreduce (see allreduce.h). */
#include "allreduce.h"
#include "shard.h"
#include "vec.h"
#include <limits.h>
#include <stdlib.h>
#include <string.h>

void tree_sum_f(float *v, int count, size_t m)
{
    for (int stride = 1; stride < count; stride *= 2)
        for (int i = 0; i + stride < count; i += 2 * stride) {
            vec_acc(v + (size_t)i * m, v + (size_t)(i + stride) * m, m);
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
        vec_acc(left, cur, t->n);
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

int dar_init(dar *d, MPI_Comm comm, size_t n, dar_algo algo, dett_err *e)
{
    memset(d, 0, sizeof *d);
    d->comm = comm;
    CHECK_MPI(e, MPI_Comm_rank(comm, &d->rank));
    CHECK_MPI(e, MPI_Comm_size(comm, &d->size));
    if (!shard_is_pow2(d->size))
        return dett_fail(e, "deterministic allreduce: group size %d is not a power of two",
                         d->size);
    d->n = n;
    if (n > INT_MAX) return dett_fail(e, "deterministic allreduce: %zu floats is too many", n);
    d->count = malloc(sizeof(int) * (size_t)d->size);
    d->displ = malloc(sizeof(int) * (size_t)d->size);
    CHECK_ALLOC(e, d->count);
    CHECK_ALLOC(e, d->displ);
    for (int j = 0; j < d->size; j++) {   /* chunk j: [j n / K, (j + 1) n / K) */
        d->displ[j] = (int)((size_t)j * n / (size_t)d->size);
        d->count[j] = (int)((size_t)(j + 1) * n / (size_t)d->size) - d->displ[j];
    }
    const char *env = getenv("DETT_ALLREDUCE");   /* same bits either way */
    if (algo == DAR_AUTO && env && *env) {
        if (!strcmp(env, "pairs")) algo = DAR_PAIRS;
        else if (!strcmp(env, "scatter")) algo = DAR_SCATTER;
        else return dett_fail(e, "DETT_ALLREDUCE=%s: expected pairs or scatter", env);
    }
    int a = algo != DAR_AUTO                        ? (int)algo
            : d->size == 2 && n <= DAR_PAIRS_MAX ? (int)DAR_PAIRS
                                                 : (int)DAR_SCATTER;
    /* rank 0's choice, so that an environment that differs between ranks
     * cannot make them run different collectives */
    CHECK_MPI(e, MPI_Bcast(&a, 1, MPI_INT, 0, comm));
    d->algo = (dar_algo)a;
    /* the exchange's pieces: K slots of at most seg / K + 1 floats (also
     * the sharded form's, dar_reduce_scatter) */
    size_t seg = n < DAR_SEGMENT ? n : DAR_SEGMENT;
    if (d->algo == DAR_SCATTER && n <= DAR_SMALL) seg = n * (size_t)d->size;   /* K whole partials */
    d->recv = malloc(sizeof(float) * (seg + (size_t)d->size));
    CHECK_ALLOC(e, d->recv);
    if (d->algo == DAR_PAIRS) {
        while ((1 << d->rounds) < d->size) d->rounds++;
        d->pair = malloc(sizeof(MPI_Comm) * (size_t)(d->rounds + 1));
        CHECK_ALLOC(e, d->pair);
        for (int j = 0; j < d->rounds; j++) d->pair[j] = MPI_COMM_NULL;
        for (int j = 0; j < d->rounds; j++)   /* {r, r ^ 2^j}, lower rank first */
            CHECK_MPI(e, MPI_Comm_split(comm, d->rank & ~(1 << j), d->rank, &d->pair[j]));
        return 0;
    }
    return 0;
fail:
    dar_free(d);
    return -1;
}

void dar_free(dar *d)
{
    free(d->recv);
    free(d->count);
    free(d->displ);
    d->recv = NULL;
    d->count = d->displ = NULL;
    if (d->pair)
        for (int j = 0; j < d->rounds; j++)
            if (d->pair[j] != MPI_COMM_NULL) MPI_Comm_free(&d->pair[j]);
    free(d->pair);
    d->pair = NULL;
}

/* One reduce-scatter + allgather over buf[0..n) (a segment). The
 * reduce-scatter is an all-to-all by pairwise exchange (K - 1 rounds of
 * MPI_Sendrecv with partner rank ^ step): measured here, twice as fast as
 * MPI_Alltoallv for the same bytes, and the own chunk is never copied. */
static int dar_segment(dar *d, float *buf, size_t n, dett_err *e)
{
    const int K = d->size, r = d->rank;
    int count[K], displ[K];
    float *part[K];
    for (int j = 0; j < K; j++) {      /* chunk j: [j n / K, (j + 1) n / K) */
        displ[j] = (int)((size_t)j * n / K);
        count[j] = (int)((size_t)(j + 1) * n / K) - displ[j];
    }
    const int mine = count[r];
    for (int j = 0; j < K; j++)
        part[j] = j == r ? buf + displ[r] : d->recv + (size_t)j * mine;
    for (int step = 1; step < K; step++) {
        int p = r ^ step;
        CHECK_MPI(e, MPI_Sendrecv(buf + displ[p], count[p], MPI_FLOAT, p, 0,
                                  part[p], mine, MPI_FLOAT, p, 0, d->comm,
                                  MPI_STATUS_IGNORE));
    }
    /* the balanced tree over rank index, in place in part[] */
    for (int stride = 1; stride < K; stride *= 2)
        for (int i = 0; i + stride < K; i += 2 * stride) {
            vec_acc(part[i], part[i + stride], (size_t)mine);
        }
    if (part[0] != buf + displ[r])
        memcpy(buf + displ[r], part[0], sizeof(float) * (size_t)mine);
    /* every rank's summed chunk to everyone, in place */
    CHECK_MPI(e, MPI_Allgatherv(MPI_IN_PLACE, 0, MPI_DATATYPE_NULL, buf, count, displ,
                                MPI_FLOAT, d->comm));
    return 0;
fail:
    return -1;
}

/* Segments of DAR_SEGMENT floats keep each round's data in cache; the sum of
 * every element is the same tree whatever the segmentation. */
int dar_allreduce(dar *d, float *buf, dett_err *e)
{
    if (d->size == 1) return 0;
    if (d->algo == DAR_PAIRS) {
        for (int j = 0; j < d->rounds; j++)
            CHECK_MPI(e, MPI_Allreduce(MPI_IN_PLACE, buf, (int)d->n, MPI_FLOAT, MPI_SUM,
                                       d->pair[j]));
        return 0;
    }
    if (d->n <= DAR_SMALL) {
        CHECK_MPI(e, MPI_Allgather(buf, (int)d->n, MPI_FLOAT, d->recv, (int)d->n, MPI_FLOAT,
                                   d->comm));
        tree_sum_f(d->recv, d->size, d->n);
        memcpy(buf, d->recv, sizeof(float) * d->n);
        return 0;
    }
    for (size_t off = 0; off < d->n; off += DAR_SEGMENT) {
        size_t n = d->n - off < DAR_SEGMENT ? d->n - off : DAR_SEGMENT;
        if (dar_segment(d, buf + off, n, e)) return -1;
    }
    return 0;
fail:
    return -1;
}

/* ---- the sharded form ------------------------------------------------------ */

void dar_chunk(const dar *d, int rank, size_t *lo, size_t *hi)
{
    *lo = (size_t)d->displ[rank];
    *hi = *lo + (size_t)d->count[rank];
}

/* The own chunk in pieces of at most S floats: for piece offset o (in
 * chunk coordinates), K - 1 rounds of MPI_Sendrecv with partner rank ^ step
 * send the partner's piece and receive this rank's piece of the partner's
 * partial; then the balanced tree over rank index sums the K pieces in
 * place (as dar_segment). Every rank runs the same number of pieces (the
 * largest chunk's), a piece past a chunk's end being empty. */
int dar_reduce_scatter(dar *d, float *buf, dett_err *e)
{
    const int K = d->size, r = d->rank;
    if (K == 1) return 0;
    const size_t S = DAR_SEGMENT / (size_t)K > 0 ? DAR_SEGMENT / (size_t)K : 1;
    size_t most = 0;   /* the largest chunk */
    for (int j = 0; j < K; j++)
        if ((size_t)d->count[j] > most) most = (size_t)d->count[j];
    float *part[K];
    for (size_t o = 0; o < most; o += S) {
        size_t piece[K];   /* chunk j's floats in this piece */
        for (int j = 0; j < K; j++) {
            size_t c = (size_t)d->count[j];
            piece[j] = c <= o ? 0 : c - o < S ? c - o : S;
        }
        float *own = buf + d->displ[r] + o;
        for (int j = 0; j < K; j++) part[j] = j == r ? own : d->recv + (size_t)j * piece[r];
        for (int step = 1; step < K; step++) {
            int p = r ^ step;
            CHECK_MPI(e, MPI_Sendrecv(buf + d->displ[p] + o, (int)piece[p], MPI_FLOAT, p, 1,
                                      part[p], (int)piece[r], MPI_FLOAT, p, 1, d->comm,
                                      MPI_STATUS_IGNORE));
        }
        for (int stride = 1; stride < K; stride *= 2)
            for (int i = 0; i + stride < K; i += 2 * stride)
                vec_acc(part[i], part[i + stride], piece[r]);
        if (part[0] != own) memcpy(own, part[0], sizeof(float) * piece[r]);
    }
    return 0;
fail:
    return -1;
}

int dar_allgather(dar *d, float *buf, dett_err *e)
{
    if (d->size == 1) return 0;
    CHECK_MPI(e, MPI_Allgatherv(MPI_IN_PLACE, 0, MPI_DATATYPE_NULL, buf, d->count, d->displ,
                                MPI_FLOAT, d->comm));
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
