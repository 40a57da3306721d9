/* rowx.c - the row exchange (see rowx.h). */
#include "rowx.h"
#include "shard.h"
#include <limits.h>
#include <stdlib.h>
#include <string.h>

void rowx_free(rowx *x)
{
    if (x->have_type) {
        int fin = 1;
        if (MPI_Finalized(&fin) == MPI_SUCCESS && !fin) MPI_Type_free(&x->rtype);
    }
    free(x->bound); free(x->sendbuf); free(x->recvbuf);
    free(x->scount); free(x->sdispl); free(x->rcount); free(x->rdispl); free(x->fill);
    free(x->where);
    memset(x, 0, sizeof *x);
}

int rowx_init(rowx *x, MPI_Comm comm, int64_t n, int M, int B, int window,
              const rowx_column *cols, int ncol, dett_err *e)
{
    memset(x, 0, sizeof *x);
    x->comm = comm;
    CHECK_MPI(e, MPI_Comm_size(comm, &x->K));
    CHECK_MPI(e, MPI_Comm_rank(comm, &x->r));
    if (M < 1 || M % x->K || B < 1 || window < 1 || n < 1 || n > INT_MAX - 2) {
        dett_fail(e, "rowx: bad sizes (n %lld, M %d, K %d, B %d, window %d): K must "
                  "divide M", (long long)n, M, x->K, B, window);
        goto fail;
    }
    if (ncol < 1 || ncol > ROWX_MAX_COLS) {
        dett_fail(e, "rowx: %d columns, expected 1..%d", ncol, ROWX_MAX_COLS);
        goto fail;
    }
    x->M = M; x->B = B; x->window = window; x->n = n; x->ncol = ncol;
    x->s0 = x->r * (M / x->K);
    x->s1 = x->s0 + M / x->K;
    x->bmax = (B + M - 1) / M;
    for (int c = 0; c < ncol; c++) {
        x->col[c] = cols[c];
        x->off[c] = x->rec;
        x->rec += cols[c].bytes;
    }
    if (x->rec == 0 || x->rec > INT_MAX) {
        dett_fail(e, "rowx: a record of %zu bytes", x->rec);
        goto fail;
    }
    const size_t nsend = (size_t)window * B;
    const size_t nrecv = (size_t)window * (size_t)(x->s1 - x->s0) * (size_t)x->bmax;
    if (nsend > INT_MAX || nrecv > INT_MAX) {
        dett_fail(e, "rowx: window %d x batch %d is too large", window, B);
        goto fail;
    }
    x->bound = malloc(sizeof(int64_t) * ((size_t)x->K + 1));
    x->sendbuf = malloc(nsend * x->rec);
    x->recvbuf = malloc(nrecv * x->rec);
    x->where = malloc(sizeof(int) * nrecv);
    x->scount = malloc(sizeof(int) * (size_t)x->K);
    x->sdispl = malloc(sizeof(int) * (size_t)x->K);
    x->rcount = malloc(sizeof(int) * (size_t)x->K);
    x->rdispl = malloc(sizeof(int) * (size_t)x->K);
    x->fill = malloc(sizeof(int) * (size_t)x->K);
    CHECK_ALLOC(e, x->bound); CHECK_ALLOC(e, x->sendbuf); CHECK_ALLOC(e, x->recvbuf);
    CHECK_ALLOC(e, x->where); CHECK_ALLOC(e, x->scount); CHECK_ALLOC(e, x->sdispl);
    CHECK_ALLOC(e, x->rcount); CHECK_ALLOC(e, x->rdispl); CHECK_ALLOC(e, x->fill);
    for (int k = 0; k <= x->K; k++) x->bound[k] = shard_home_row0(n, M, x->K, k);
    CHECK_MPI(e, MPI_Type_contiguous((int)x->rec, MPI_BYTE, &x->rtype));
    x->have_type = 1;
    CHECK_MPI(e, MPI_Type_commit(&x->rtype));
    x->t0 = x->t1 = 0;
    return 0;
fail:
    rowx_free(x);
    return -1;
}

int rowx_owner(const rowx *x, int64_t row)
{
    int lo = 0, hi = x->K;   /* bound[lo] <= row < bound[hi] */
    while (hi - lo > 1) {
        int mid = (lo + hi) / 2;
        if (row < x->bound[mid]) hi = mid;
        else lo = mid;
    }
    return lo;
}

/* copies home row `h`'s columns into one record at dst */
static void pack(const rowx *x, unsigned char *dst, int64_t h)
{
    for (int c = 0; c < x->ncol; c++)
        memcpy(dst + x->off[c], (const unsigned char *)x->col[c].home + (size_t)h * x->col[c].bytes,
               x->col[c].bytes);
}

int rowx_fetch(rowx *x, const sampler *sp, int64_t t0, dett_err *e)
{
    if (sp->n != x->n || sp->M != x->M || sp->B > x->B || sp->epoch < 0 ||
        t0 < 0 || t0 >= sp->steps) {
        return dett_fail(e, "rowx: the sampler (n %lld, M %d, B %d, epoch %d, step %lld of "
                         "%lld) does not match the exchange (n %lld, M %d, B <= %d)",
                         (long long)sp->n, sp->M, sp->B, sp->epoch, (long long)t0,
                         (long long)sp->steps, (long long)x->n, x->M, x->B);
    }
    const int64_t t1 = t0 + x->window < sp->steps ? t0 + x->window : sp->steps;
    const int64_t lo = x->bound[x->r], hi = x->bound[x->r + 1];
    const int per = x->M / x->K, ns = x->s1 - x->s0;

    /* send: for each destination, its shards' rows (in step, shard, row
     * order) that are home rows here */
    int k_sent = 0;
    for (int k = 0; k < x->K; k++) {
        x->sdispl[k] = k_sent;
        /* a rank's own rows are read in place (rowx_field), not sent */
        for (int64_t t = t0; t < t1 && k != x->r; t++)
            for (int s = k * per; s < (k + 1) * per; s++) {
                const int *rows;
                const int b = sampler_shard_rows(sp, t, s, &rows);
                for (int i = 0; i < b; i++)
                    if (rows[i] >= lo && rows[i] < hi)
                        pack(x, x->sendbuf + (size_t)k_sent++ * x->rec, rows[i] - lo);
            }
        x->scount[k] = k_sent - x->sdispl[k];
        if (k != x->r) x->sent_remote += x->scount[k];
    }
    /* receive: the same order seen from here, bucketed by home rank */
    memset(x->rcount, 0, sizeof(int) * (size_t)x->K);
    for (int64_t t = t0; t < t1; t++)
        for (int s = x->s0; s < x->s1; s++) {
            const int *rows;
            const int b = sampler_shard_rows(sp, t, s, &rows);
            for (int i = 0; i < b; i++) x->rcount[rowx_owner(x, rows[i])]++;
        }
    x->rcount[x->r] = 0;
    for (int k = 0, acc = 0; k < x->K; k++) {
        x->rdispl[k] = acc;
        x->fill[k] = acc;
        acc += x->rcount[k];
    }
    for (size_t k = 0; k < (size_t)(t1 - t0) * ns * x->bmax; k++) x->where[k] = -1;
    for (int64_t t = t0; t < t1; t++)
        for (int s = x->s0; s < x->s1; s++) {
            const int *rows;
            const int b = sampler_shard_rows(sp, t, s, &rows);
            int *wh = x->where + ((size_t)(t - t0) * ns + (size_t)(s - x->s0)) * x->bmax;
            for (int i = 0; i < b; i++) {
                const int o = rowx_owner(x, rows[i]);
                /* a home row: -2 - its home index (rowx_field reads it in place) */
                wh[i] = o == x->r ? (int)(-2 - (rows[i] - lo)) : x->fill[o]++;
            }
        }
    CHECK_MPI(e, MPI_Alltoallv(x->sendbuf, x->scount, x->sdispl, x->rtype, x->recvbuf,
                               x->rcount, x->rdispl, x->rtype, x->comm));
    x->t0 = t0;
    x->t1 = t1;
    return 0;
fail:
    return -1;
}

const void *rowx_field(const rowx *x, int64_t t, int s, int i, int col)
{
    if (t < x->t0 || t >= x->t1 || s < x->s0 || s >= x->s1 || i < 0 || i >= x->bmax ||
        col < 0 || col >= x->ncol)
        return NULL;
    const size_t slot = ((size_t)(t - x->t0) * (size_t)(x->s1 - x->s0) + (size_t)(s - x->s0))
                        * (size_t)x->bmax + (size_t)i;
    const int w = x->where[slot];
    if (w == -1) return NULL;   /* i is beyond the shard's rows at t */
    if (w < -1)                 /* one of this rank's home rows, in place */
        return (const unsigned char *)x->col[col].home + (size_t)(-2 - w) * x->col[col].bytes;
    return x->recvbuf + (size_t)w * x->rec + x->off[col];
}

int rowx_allgather_int(const rowx *x, const int *home, int *global, dett_err *e)
{
    int *cnt = malloc(sizeof(int) * (size_t)x->K), *dsp = malloc(sizeof(int) * (size_t)x->K);
    CHECK_ALLOC(e, cnt);
    CHECK_ALLOC(e, dsp);
    for (int k = 0; k < x->K; k++) {
        dsp[k] = (int)x->bound[k];
        cnt[k] = (int)(x->bound[k + 1] - x->bound[k]);
    }
    CHECK_MPI(e, MPI_Allgatherv(home, cnt[x->r], MPI_INT, global, cnt, dsp, MPI_INT, x->comm));
    free(cnt); free(dsp);
    return 0;
fail:
    free(cnt); free(dsp);
    return -1;
}
