/* groupdata.h - the rows of one dataset that one rank of a job group holds.
 *
 * Train: this rank's micro-shards (one contiguous row range, see shard.h).
 * Val and test: this rank's share of fixed 256-row evaluation blocks
 * (block b goes to rank b * K / n_blocks), so every row is evaluated in the
 * same block whatever K is and metrics are bit-identical across K.
 * Loaded collectively over the group's communicator; freed with
 * groupdata_free.
 */
#ifndef DETT_GROUPDATA_H
#define DETT_GROUPDATA_H
#include "dataset.h"
#include "shard.h"

#define EVAL_BLOCK 256

typedef struct {
    char path[512];
    int M, K, r;                /* micro-shards; group size and rank */
    dataset_info info;
    shard_plan plan;            /* for the train split */
    dataset_rows train;         /* rows [shard_row0(s0), shard_row0(s1)) */
    dataset_rows eval[N_SPLITS];/* val and test shares (eval[SPLIT_TRAIN] unused) */
} groupdata;

/* collective over comm: validate the file and read this rank's rows of the
 * M micro-shards (and its evaluation blocks); the plan is made for batch B
 * (groupdata_plan changes it later without rereading). */
int groupdata_load(groupdata *g, const char *path, MPI_Comm comm, int M, int B,
                   dett_err *e);
/* re-plans the steps for global batch B (same shards, same rows held) */
int groupdata_plan(groupdata *g, int B, dett_err *e);
void groupdata_free(groupdata *g);
/* this rank's share of the evaluation blocks of a split with n rows */
void eval_share(int64_t n, int K, int r, int64_t *row0, int64_t *rows);

#endif
