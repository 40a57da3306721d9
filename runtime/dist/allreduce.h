/* allreduce.h - the deterministic gradient allreduce of a job group.
 *
 * The sum of the M micro-shard gradients is a balanced binary tree over the
 * shard index: ((g0 + g1) + (g2 + g3)) + ... Each rank owns an aligned
 * subtree (its M/K consecutive shards), so:
 *   1. tree_push() adds this rank's shard gradients one by one into a
 *      binary-counter stack, which yields exactly the subtree's sum;
 *   2. dar_allreduce() finishes the tree across ranks: each rank's partial
 *      is cut into K chunks, an all-to-all (pairwise MPI_Sendrecv rounds)
 *      sends chunk j of every partial to rank j (a reduce-scatter), rank j
 *      sums its K chunks by the same balanced tree over rank index, and
 *      MPI_Allgatherv returns the total to every rank.
 * Float addition is commutative, so only the tree's shape matters and the
 * bits are the same for K = 1, 2, 4, ... Traffic per rank is 2 (K-1)/K of
 * the buffer, as for a ring allreduce. Large buffers go in segments of
 * DAR_SEGMENT floats so that each round's data stays in cache. Small
 * buffers (at most DAR_SMALL floats), latency-bound, take one MPI_Allgather
 * of the whole partials instead and sum the same tree locally.
 *
 * The pair form (DAR_PAIRS) builds the same tree from MPI_Allreduce itself:
 * round j sums over the two-rank communicator {r, r ^ 2^j}, each element
 * being one addition of the two aligned half-blocks' sums. A sum of two
 * values is the same bits in either order, so whatever algorithm MPI uses
 * inside, the result is the tree's. It is the default for K = 2 up to
 * DAR_PAIRS_MAX floats (one MPI_Allreduce: the library's tuned code at no
 * cost in determinism). Above that size Open MPI 4.1's own allreduce was
 * measured 1.5x slower than the reduce-scatter here (bench_allreduce, 10M
 * and 16M floats); for K > 2 the pair rounds' log2(K) full-buffer
 * exchanges move more bytes than the reduce-scatter, which stays the
 * default there.
 */
#ifndef DETT_ALLREDUCE_H
#define DETT_ALLREDUCE_H
#include "err.h"
#include <mpi.h>
#include <stddef.h>

/* binary-counter accumulator for the local subtree; owns its buffers */
typedef struct {
    size_t n;
    int levels;
    float **buf;     /* buf[l]: a partial sum of 2^l shards, or free */
    int *full;
    float *spare;    /* where the caller writes the next shard's gradient */
    int pushed;
} tree_acc;

/* room for 2^(levels-1) pushes of n floats; 0 ok, -1 out of memory */
int tree_init(tree_acc *t, size_t n, int max_pushes, dett_err *e);
void tree_free(tree_acc *t);
/* zeroed buffer for the next shard's gradient (owned by t) */
float *tree_next(tree_acc *t);
/* adds the buffer from tree_next() to the tree */
void tree_push(tree_acc *t);
/* the sum of everything pushed (a power-of-two count) since tree_reset:
 * owned by t, valid until the next tree_next() */
float *tree_result(tree_acc *t);
void tree_reset(tree_acc *t);

/* sums float buffers of n elements across comm by the balanced tree.
 * Collective over comm; comm's size must be a power of two. */
#define DAR_SEGMENT ((size_t)1 << 18)   /* floats per round (1 MB) */
#define DAR_SMALL 32768                  /* up to this, one MPI_Allgather of the partials */
#define DAR_PAIRS_MAX ((size_t)1 << 23)  /* K = 2: pairs up to this many floats */

typedef enum { DAR_AUTO, DAR_SCATTER, DAR_PAIRS } dar_algo;

typedef struct {
    MPI_Comm comm;
    int rank, size;
    size_t n;
    dar_algo algo;       /* DAR_SCATTER or DAR_PAIRS, chosen at init */
    float *recv;         /* chunk `rank` of every partial for one segment (or
                            piece: dar_reduce_scatter), or every whole partial
                            for small buffers (DAR_SCATTER) */
    MPI_Comm *pair;      /* DAR_PAIRS: log2(size) two-rank communicators */
    int rounds;
    int *count, *displ;  /* [size] the sharded form's chunks of the whole buffer */
} dar;

/* Collective over comm. algo DAR_AUTO picks DAR_PAIRS for 2 ranks and at
 * most DAR_PAIRS_MAX floats, DAR_SCATTER otherwise, unless the environment
 * sets DETT_ALLREDUCE=pairs or scatter (another value is an error); rank
 * 0's choice is used by all. Both give the same bits. dar_free releases. */
int dar_init(dar *d, MPI_Comm comm, size_t n, dar_algo algo, dett_err *e);
void dar_free(dar *d);
/* buf[0..n): in, this rank's partial; out, the group's total */
int dar_allreduce(dar *d, float *buf, dett_err *e);

/* The sharded form (a sharded optimiser step, ZeRO-1 style): rank j owns
 * the contiguous chunk [j n / K, (j + 1) n / K) of the buffer (sizes differ
 * by at most one). dar_reduce_scatter leaves in buf's own chunk the group's
 * total of that chunk, each element summed by the same balanced tree over
 * rank index as dar_allreduce (bit-identical to it whatever d->algo: it is
 * always the pairwise exchange, in pieces of DAR_SEGMENT / K floats per
 * peer; Open MPI 4.1's MPI_Reduce_scatter, which at 2 ranks would give the
 * same bits, took 11 ms against 1.4-2.0 ms for 665,602 floats,
 * bench_allreduce); the rest of buf is left as it was. dar_allgather then copies every
 * rank's chunk of buf to every rank. Both collective over the group; at
 * K = 1 both do nothing. Reduce-scatter, a step on the own chunk, allgather
 * moves the same bytes as dar_allreduce and does 1/K of the step's work. */
void dar_chunk(const dar *d, int rank, size_t *lo, size_t *hi);
int dar_reduce_scatter(dar *d, float *buf, dett_err *e);
int dar_allgather(dar *d, float *buf, dett_err *e);

/* the same sum for a few doubles per shard (loss sums, group counts):
 * local[ns * m] holds this rank's ns shards' vectors of m doubles; all
 * ranks' vectors are gathered and summed by the tree over shards.
 * out[m] is the total on every rank. Collective. */
int dar_stats(MPI_Comm comm, const double *local, int ns, int m, double *out,
              dett_err *e);

/* in-place balanced-tree sum of count (a power of two) vectors of m values
 * laid out consecutively in v; the result is left in v[0..m) */
void tree_sum_f(float *v, int count, size_t m);
void tree_sum_d(double *v, int count, size_t m);

#endif
