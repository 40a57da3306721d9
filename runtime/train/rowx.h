/* rowx.h - the row exchange: brings each rank the training rows its
 * micro-shards visit, from the ranks that hold them.
 *
 * Every rank of a job group holds a fixed block of the training rows, its
 * *home rows* [shard_home_row0(n, M, K, r), shard_home_row0(n, M, K, r + 1)),
 * which is exactly the block groupdata_load reads today (memory per rank
 * stays n / K rows). The sampler (sampler.h) says which global rows each
 * micro-shard visits at each step; every rank computes the same plan, so
 * every rank knows, without asking, which of its home rows every other rank
 * needs and in which order. rowx_fetch therefore costs one MPI_Alltoallv per
 * window of steps and no index exchange: rank o sends rank k, for each step
 * of the window, each of k's shards in order, each of the shard's rows in
 * order, the records of the rows that are o's home rows; rank k reads them
 * back in the same order. A rank's own home rows are not exchanged:
 * rowx_field points into the caller's columns for them (one copy fewer per
 * row; with one rank per group nothing is copied before the gather). A record is the concatenation of the columns
 * (X, y, a, sample weight, teacher outputs: whatever per-row arrays the
 * caller registers, each indexed by home row). Rows repeated in a step are
 * sent once per visit. No arithmetic happens on the data, so the bytes a
 * shard sees are the same for every K.
 *
 * Memory: the home columns (the caller's) plus send and receive buffers of
 * window x B and window x (M / K) x ceil(B / M) records.
 * Traffic per step: each rank receives about B / K records, (K - 1) / K of
 * them from other ranks (docs/sampling.md has the figures).
 */
#ifndef DETT_ROWX_H
#define DETT_ROWX_H
#include "err.h"
#include "sampler.h"
#include <mpi.h>
#include <stddef.h>
#include <stdint.h>

#define ROWX_MAX_COLS 8

/* one per-row array of the home rows: home[i * bytes .. (i + 1) * bytes) is
 * home row i's data (not owned; must outlive the rowx) */
typedef struct {
    const void *home;
    size_t bytes;
} rowx_column;

typedef struct {
    MPI_Comm comm;               /* not owned */
    int K, r, M, B, window;
    int s0, s1;                  /* this rank's micro-shards [s0, s1) */
    int bmax;                    /* ceil(B / M): most rows of a shard in a step */
    int64_t n;
    int64_t *bound;              /* [K + 1] rank k's home rows [bound[k], bound[k + 1]) */
    int ncol;
    rowx_column col[ROWX_MAX_COLS];
    size_t off[ROWX_MAX_COLS];   /* column c's offset in a record */
    size_t rec;                  /* bytes per record */
    MPI_Datatype rtype;          /* rec contiguous bytes */
    int have_type;
    unsigned char *sendbuf;      /* [window * B] records */
    unsigned char *recvbuf;      /* [window * (s1 - s0) * bmax] records */
    int *scount, *sdispl, *rcount, *rdispl, *fill;   /* [K], in records */
    int *where;                  /* [window][s1 - s0][bmax] record index in recvbuf */
    int64_t t0, t1;              /* steps held: [t0, t1) */
    int64_t sent_remote;         /* records sent to other ranks so far (for measurements) */
} rowx;

/* sets up the exchange for n training rows in M micro-shards, global batch
 * B, `window` steps per fetch (>= 1), over comm (its size K must divide M).
 * Not collective. Returns 0, or -1 with e set (bad sizes, no memory). */
int rowx_init(rowx *x, MPI_Comm comm, int64_t n, int M, int B, int window,
              const rowx_column *cols, int ncol, dett_err *e);
/* collective over comm: fetches the records of steps [t0, min(t0 + window,
 * sp->steps)) of sp's current epoch for this rank's shards. Every rank must
 * pass the same sampler state (same config and epoch) and t0. Returns 0,
 * or -1 with e set (MPI failure, sampler sizes differ from rowx_init's). */
int rowx_fetch(rowx *x, const sampler *sp, int64_t t0, dett_err *e);
/* column col of the record of the i-th row of shard s (one of this rank's)
 * at step t (one of the fetched steps); points into x's buffer (or, for a
 * home row of this rank, into the caller's column), valid until the next
 * rowx_fetch; NULL if (t, s, i, col) is out of range (i must be
 * below sampler_shard_rows(sp, t, s, NULL)) */
const void *rowx_field(const rowx *x, int64_t t, int s, int i, int col);
/* collective over comm: global[n] <- every rank's home[] values (int32 per
 * row), e.g. JTT's multiplicities or the group ids for the sampler */
int rowx_allgather_int(const rowx *x, const int *home, int *global, dett_err *e);
/* the rank holding global row `row` */
int rowx_owner(const rowx *x, int64_t row);
void rowx_free(rowx *x);     /* accepts a zeroed or failed rowx */

#endif
