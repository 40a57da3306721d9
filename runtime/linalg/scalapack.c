/* scalapack.c - BLACS grids, block-cyclic matrices and checked PBLAS and
 * ScaLAPACK calls over a job group's communicator (see scalapack.h). */
#include "agree.h"
#include "scalapack.h"
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- grid ------------------------------------------------------------------ */

int sl_grid_init(sl_grid *g, MPI_Comm comm, dett_err *e)
{
    memset(g, 0, sizeof *g);
    g->comm = comm;
    g->sys = g->ctxt = -1;
    int *coords = NULL, st = 0;
    CHECK_MPI(e, MPI_Comm_rank(comm, &g->rank));
    CHECK_MPI(e, MPI_Comm_size(comm, &g->size));
    /* as square as the size allows, the longer side over the rows (the data
     * matrices are tall): npcol is the largest divisor <= sqrt(P) */
    int P = g->size, pr = 1;    /* pr: the number of process columns */
    for (int k = 1; k * k <= P; k++)
        if (P % k == 0) pr = k;
    char order[] = "Row";
    g->sys = Csys2blacs_handle(comm);
    g->myrow = g->mycol = -1;
    if (g->sys >= 0) {
        int ctxt = g->sys;      /* in: the system handle; out: the grid */
        Cblacs_gridinit(&ctxt, order, P / pr, pr);
        g->ctxt = ctxt;
    }
    if (g->ctxt >= 0)
        Cblacs_gridinfo(g->ctxt, &g->nprow, &g->npcol, &g->myrow, &g->mycol);
    /* BLACS returns nothing: check what we got, and agree on it */
    if (g->nprow != P / pr || g->npcol != pr || g->myrow < 0 || g->myrow >= P / pr ||
        g->mycol < 0 || g->mycol >= pr)
        st = dett_fail(e, "BLACS grid %dx%d on a communicator of %d: got context %d, "
                       "shape %dx%d, coordinates (%d, %d)", P / pr, pr, P, g->ctxt,
                       g->nprow, g->npcol, g->myrow, g->mycol);
    CHECK(agree_ranked(comm, st, e));
    coords = malloc(sizeof(int) * 2 * (size_t)P);
    g->rank_of = malloc(sizeof(int) * (size_t)P);
    st = (coords && g->rank_of) ? 0 : dett_fail(e, "BLACS grid: out of memory");
    CHECK(agree_ranked(comm, st, e));
    int mine[2] = { g->myrow, g->mycol };
    CHECK_MPI(e, MPI_Allgather(mine, 2, MPI_INT, coords, 2, MPI_INT, comm));
    for (int k = 0; k < P; k++) g->rank_of[k] = -1;
    for (int r = 0; r < P; r++) {
        int k = coords[2 * r] * g->npcol + coords[2 * r + 1];
        if (g->rank_of[k] >= 0) {
            st = dett_fail(e, "BLACS grid: ranks %d and %d both at (%d, %d)",
                           g->rank_of[k], r, coords[2 * r], coords[2 * r + 1]);
            break;
        }
        g->rank_of[k] = r;
    }
    CHECK(agree_ranked(comm, st, e));
    free(coords);
    return 0;
fail:
    free(coords);
    sl_grid_free(g);
    return -1;
}

void sl_grid_free(sl_grid *g)
{
    if (g->ctxt >= 0) Cblacs_gridexit(g->ctxt);
    if (g->sys >= 0) Cfree_blacs_system_handle(g->sys);
    free(g->rank_of);
    memset(g, 0, sizeof *g);
    g->sys = g->ctxt = -1;
}

/* ---- agreement and ordered sums ---------------------------------------------- */

int sl_allsum(MPI_Comm comm, double *v, int n, dett_err *e)
{
    int size;
    double *all = NULL;
    CHECK_MPI(e, MPI_Comm_size(comm, &size));
    if (n <= 0) return 0;
    all = malloc(sizeof(double) * (size_t)n * (size_t)size);
    CHECK_ALLOC(e, all);
    CHECK_MPI(e, MPI_Allgather(v, n, MPI_DOUBLE, all, n, MPI_DOUBLE, comm));
    for (int j = 0; j < n; j++) {
        double s = all[j];
        for (int r = 1; r < size; r++) s += all[(size_t)r * (size_t)n + (size_t)j];
        v[j] = s;
    }
    free(all);
    return 0;
fail:
    free(all);
    return -1;
}

/* ---- row-distributed data ---------------------------------------------------- */

int sl_rowmap_init(sl_rowmap *rm, MPI_Comm comm, int64_t n_local, dett_err *e)
{
    int rank, size, st = 0;
    memset(rm, 0, sizeof *rm);
    CHECK_MPI(e, MPI_Comm_rank(comm, &rank));
    CHECK_MPI(e, MPI_Comm_size(comm, &size));
    rm->offs = malloc(sizeof(int64_t) * ((size_t)size + 1));
    st = rm->offs ? 0 : dett_fail(e, "row map: out of memory");
    if (!st && n_local < 0) st = dett_fail(e, "row map: %lld rows", (long long)n_local);
    CHECK(agree_ranked(comm, st, e));
    CHECK_MPI(e, MPI_Allgather(&n_local, 1, MPI_INT64_T, rm->offs + 1, 1, MPI_INT64_T, comm));
    rm->offs[0] = 0;
    for (int r = 0; r < size; r++) rm->offs[r + 1] += rm->offs[r];
    rm->n = rm->offs[size];
    rm->row0 = rm->offs[rank];
    rm->n_local = n_local;
    if (rm->n > INT_MAX) {
        dett_fail(e, "row map: %lld rows is more than ScaLAPACK's %d", (long long)rm->n,
                  INT_MAX);
        goto fail;
    }
    return 0;
fail:
    sl_rowmap_free(rm);
    return -1;
}

void sl_rowmap_free(sl_rowmap *rm)
{
    free(rm->offs);
    memset(rm, 0, sizeof *rm);
}

/* ---- block-cyclic matrices ---------------------------------------------------- */

int sl_mat_init(sl_mat *A, const sl_grid *g, int m, int n, int nb, dett_err *e)
{
    memset(A, 0, sizeof *A);
    if (m < 1 || n < 1 || nb < 1)
        return dett_fail(e, "block-cyclic matrix %d x %d with blocks %d", m, n, nb);
    int zero = 0, info = 0;
    A->g = g;
    A->m = m;
    A->n = n;
    A->nb = nb;
    A->lr = numroc_(&m, &nb, &g->myrow, &zero, &g->nprow);
    A->lc = numroc_(&n, &nb, &g->mycol, &zero, &g->npcol);
    A->lld = A->lr > 1 ? A->lr : 1;
    descinit_(A->desc, &m, &n, &nb, &nb, &zero, &zero, &g->ctxt, &A->lld, &info);
    if (info != 0)
        return dett_fail(e, "descinit %d x %d, blocks %d: info %d", m, n, nb, info);
    size_t cnt = (size_t)A->lld * (size_t)(A->lc > 1 ? A->lc : 1);
    A->a = calloc(cnt, sizeof(double));
    if (!A->a)
        return dett_fail(e, "block-cyclic matrix %d x %d: out of memory (%zu doubles)", m,
                         n, cnt);
    return 0;
}

void sl_mat_free(sl_mat *A)
{
    free(A->a);
    memset(A, 0, sizeof *A);
}

/* global index of local index l on process p of P, blocks nb, source 0 */
static int l2g(int l, int nb, int p, int P)
{
    return ((l / nb) * P + p) * nb + l % nb;
}
/* process holding global index i, and its local index there */
static int g2p(int64_t i, int nb, int P) { return (int)((i / nb) % P); }
static int g2l(int64_t i, int nb, int P) { return (int)((i / ((int64_t)nb * P)) * nb + i % nb); }

int sl_row_l2g(const sl_mat *A, int li) { return l2g(li, A->nb, A->g->myrow, A->g->nprow); }
int sl_col_l2g(const sl_mat *A, int lj) { return l2g(lj, A->nb, A->g->mycol, A->g->npcol); }

/* The exchange behind both scatters. Element (i, j) of the row-distributed
 * [n, m] matrix goes to process (prow(i), pcol(j)), or, when replicate is
 * set, to every process of row prow(i). Sender and receiver walk the rows in
 * increasing order, and within a row the columns in increasing order, so a
 * message needs no indices. The receiver writes into A's local block
 * (replicate == 0: out is A->a, column-major, filled in tiles of rows) or
 * into out [A->lr, m] row-major (replicate == 1). */
static int exchange_rows(const sl_mat *A, const sl_rowmap *rm, const double *src, int lds,
                         int m, int replicate, double *out, dett_err *e)
{
    const sl_grid *g = A->g;
    int P = g->size, nb = A->nb, st = 0, zero = 0;
    int *scnt = calloc((size_t)P, sizeof(int)), *sdsp = calloc((size_t)P, sizeof(int));
    int *rcnt = calloc((size_t)P, sizeof(int)), *rdsp = calloc((size_t)P, sizeof(int));
    int *cur = calloc((size_t)P, sizeof(int));
    int64_t *c64 = calloc((size_t)P, sizeof(int64_t));
    int *ncol = calloc((size_t)g->npcol, sizeof(int));           /* columns per process column */
    int *lcol = malloc(sizeof(int) * (size_t)(m > 0 ? m : 1));   /* my columns' local index */
    int *li = malloc(sizeof(int) * (size_t)(A->lr > 0 ? A->lr : 1));
    const double **rp = malloc(sizeof(double *) * (size_t)(A->lr > 0 ? A->lr : 1));
    double *sbuf = NULL, *rbuf = NULL;
    int64_t tot = 0, rtot = 0;
    if (!scnt || !sdsp || !rcnt || !rdsp || !cur || !c64 || !ncol || !lcol || !li || !rp)
        st = dett_fail(e, "scatter rows: out of memory");
    CHECK(agree_ranked(g->comm, st, e));
    for (int c = 0; c < g->npcol; c++) ncol[c] = numroc_(&m, &nb, &c, &zero, &g->npcol);
    int mine = replicate ? m : ncol[g->mycol];                   /* values per row I get */
    /* counts (in int64 first: Alltoallv counts are int) */
    for (int64_t i = 0; i < rm->n_local; i++) {
        int pr = g2p(rm->row0 + i, nb, g->nprow);
        for (int c = 0; c < g->npcol; c++)
            c64[g->rank_of[pr * g->npcol + c]] += replicate ? m : ncol[c];
    }
    for (int r = 0; r < P; r++) {
        sdsp[r] = (int)(tot < INT_MAX ? tot : 0);
        scnt[r] = (int)(c64[r] < INT_MAX ? c64[r] : 0);
        tot += c64[r];
    }
    if (tot > INT_MAX)
        st = dett_fail(e, "scatter rows: more than %d values to send from one rank", INT_MAX);
    CHECK(agree_ranked(g->comm, st, e));
    CHECK_MPI(e, MPI_Alltoall(scnt, 1, MPI_INT, rcnt, 1, MPI_INT, g->comm));
    for (int r = 0; r < P; r++) {
        rdsp[r] = (int)(rtot < INT_MAX ? rtot : 0);
        rtot += rcnt[r];
    }
    if (rtot > INT_MAX)
        st = dett_fail(e, "scatter rows: more than %d values to receive", INT_MAX);
    sbuf = malloc(sizeof(double) * (size_t)(tot > 0 ? tot : 1));
    rbuf = malloc(sizeof(double) * (size_t)(rtot > 0 ? rtot : 1));
    if (!st && (!sbuf || !rbuf)) st = dett_fail(e, "scatter rows: out of memory");
    CHECK(agree_ranked(g->comm, st, e));
    /* pack: a row's column blocks go to the process columns in turn */
    for (int64_t i = 0; i < rm->n_local; i++) {
        int pr = g2p(rm->row0 + i, nb, g->nprow);
        const double *row = src + (size_t)i * (size_t)lds;
        if (replicate) {
            for (int c = 0; c < g->npcol; c++) {
                int r = g->rank_of[pr * g->npcol + c];
                memcpy(sbuf + sdsp[r] + cur[r], row, sizeof(double) * (size_t)m);
                cur[r] += m;
            }
        } else {
            for (int j0 = 0; j0 < m; j0 += nb) {
                int r = g->rank_of[pr * g->npcol + g2p(j0, nb, g->npcol)];
                int len = m - j0 < nb ? m - j0 : nb;
                memcpy(sbuf + sdsp[r] + cur[r], row + j0, sizeof(double) * (size_t)len);
                cur[r] += len;
            }
        }
    }
    CHECK_MPI(e, MPI_Alltoallv(sbuf, scnt, sdsp, MPI_DOUBLE, rbuf, rcnt, rdsp, MPI_DOUBLE,
                               g->comm));
    /* unpack: each of my local rows comes from one source, as `mine` values */
    int nr = 0;
    for (int s = 0; s < P; s++) {
        const double *p = rbuf + rdsp[s];
        if (rcnt[s] == 0) continue;
        for (int64_t gi = rm->offs[s]; gi < rm->offs[s + 1]; gi++) {
            if (g2p(gi, nb, g->nprow) != g->myrow) continue;
            li[nr] = g2l(gi, nb, g->nprow);
            rp[nr++] = p;
            p += mine;
        }
    }
    if (replicate) {
        for (int k = 0; k < nr; k++)
            memcpy(out + (size_t)li[k] * (size_t)m, rp[k], sizeof(double) * (size_t)m);
    } else {
        /* my columns are the j with pcol(j) == mycol, in increasing order */
        int t = 0;
        for (int j = 0; j < m; j++)
            if (g2p(j, nb, g->npcol) == g->mycol) lcol[t++] = g2l(j, nb, g->npcol);
        for (int k0 = 0; k0 < nr; k0 += 64) {              /* tiles of 64 rows */
            int k1 = k0 + 64 < nr ? k0 + 64 : nr;
            for (int u = 0; u < mine; u++) {
                double *col = out + (size_t)lcol[u] * (size_t)A->lld;
                for (int k = k0; k < k1; k++) col[li[k]] = rp[k][u];
            }
        }
    }
    free(scnt); free(sdsp); free(rcnt); free(rdsp); free(cur); free(c64); free(ncol);
    free(lcol); free(li); free(rp); free(sbuf); free(rbuf);
    return 0;
fail:
    free(scnt); free(sdsp); free(rcnt); free(rdsp); free(cur); free(c64); free(ncol);
    free(lcol); free(li); free(rp); free(sbuf); free(rbuf);
    return -1;
}

int sl_scatter_rows(sl_mat *A, const sl_rowmap *rm, const double *src, int lds, dett_err *e)
{
    int st = 0;
    if (A->m != rm->n || lds < A->n)
        st = dett_fail(e, "scatter rows: %lld rows of %d (ld %d) into a %d x %d matrix",
                       (long long)rm->n, A->n, lds, A->m, A->n);
    CHECK(agree_ranked(A->g->comm, st, e));
    return exchange_rows(A, rm, src, lds, A->n, 0, A->a, e);
fail:
    return -1;
}

int sl_scatter_rowvals(double *out, const sl_mat *A, const sl_rowmap *rm, const double *src,
                       int m, dett_err *e)
{
    int st = 0;
    if (A->m != rm->n || m < 1)
        st = dett_fail(e, "scatter row values: %lld rows x %d for a matrix of %d rows",
                       (long long)rm->n, m, A->m);
    CHECK(agree_ranked(A->g->comm, st, e));
    return exchange_rows(A, rm, src, m, m, 1, out, e);
fail:
    return -1;
}

int sl_mat_gather(double *full, const sl_mat *A, dett_err *e)
{
    size_t cnt = (size_t)A->m * (size_t)A->n;
    if (cnt > INT_MAX) return dett_fail(e, "gather: %zu values in one allreduce", cnt);
    memset(full, 0, sizeof(double) * cnt);
    for (int lj = 0; lj < A->lc; lj++) {
        int j = sl_col_l2g(A, lj);
        for (int li = 0; li < A->lr; li++)
            full[(size_t)j * (size_t)A->m + (size_t)sl_row_l2g(A, li)] =
                A->a[(size_t)lj * (size_t)A->lld + (size_t)li];
    }
    CHECK_MPI(e, MPI_Allreduce(MPI_IN_PLACE, full, (int)cnt, MPI_DOUBLE, MPI_SUM, A->g->comm));
    return 0;
fail:
    return -1;
}

void sl_mat_from_full(sl_mat *A, const double *full)
{
    for (int lj = 0; lj < A->lc; lj++) {
        int j = sl_col_l2g(A, lj);
        for (int li = 0; li < A->lr; li++)
            A->a[(size_t)lj * (size_t)A->lld + (size_t)li] =
                full[(size_t)j * (size_t)A->m + (size_t)sl_row_l2g(A, li)];
    }
}

void sl_mat_add(sl_mat *A, int i, int j, double v)
{
    const sl_grid *g = A->g;
    if (g2p(i, A->nb, g->nprow) != g->myrow || g2p(j, A->nb, g->npcol) != g->mycol) return;
    A->a[(size_t)g2l(j, A->nb, g->npcol) * (size_t)A->lld + (size_t)g2l(i, A->nb, g->nprow)] += v;
}

void sl_mat_add_diag(sl_mat *A, int i0, int i1, double v)
{
    for (int i = i0; i < i1; i++) sl_mat_add(A, i, i, v);
}

/* ---- checked PBLAS / ScaLAPACK calls ------------------------------------------- */

int sl_syrk_t(sl_mat *C, int ic, const sl_mat *A, int ja, int k, double alpha, double beta,
              dett_err *e)
{
    if (k < 1 || ja < 0 || ja + k > A->n || ic < 0 || ic + k > C->m || ic + k > C->n ||
        A->nb != C->nb || A->g != C->g)
        return dett_fail(e, "syrk: %d columns from %d of a %d x %d matrix into %d of %d x %d",
                         k, ja, A->m, A->n, ic, C->m, C->n);
    int one = 1, ia1 = ja + 1, ic1 = ic + 1;
    pdsyrk_("U", "T", &k, &A->m, &alpha, A->a, &one, &ia1, A->desc, &beta, C->a, &ic1, &ic1,
            C->desc);
    return 0;
}

int sl_gemm_tn(sl_mat *C, int ic, int jc, const sl_mat *A, int ja, int p, const sl_mat *B,
               int jb, int q, double alpha, double beta, dett_err *e)
{
    if (p < 1 || q < 1 || A->m != B->m || ja < 0 || ja + p > A->n || jb < 0 ||
        jb + q > B->n || ic < 0 || ic + p > C->m || jc < 0 || jc + q > C->n ||
        A->nb != B->nb || A->nb != C->nb || A->g != B->g || A->g != C->g)
        return dett_fail(e, "gemm: A(:, %d:%d) of %d x %d, B(:, %d:%d) of %d x %d into "
                         "C(%d, %d) of %d x %d", ja, ja + p, A->m, A->n, jb, jb + q, B->m,
                         B->n, ic, jc, C->m, C->n);
    int one = 1, ja1 = ja + 1, jb1 = jb + 1, ic1 = ic + 1, jc1 = jc + 1;
    pdgemm_("T", "N", &p, &q, &A->m, &alpha, A->a, &one, &ja1, A->desc, B->a, &one, &jb1,
            B->desc, &beta, C->a, &ic1, &jc1, C->desc);
    return 0;
}

int sl_sym_norm1(double *norm, const sl_mat *A, int k, dett_err *e)
{
    double *cs = calloc((size_t)k, sizeof(double));
    CHECK_ALLOC(e, cs);
    for (int lj = 0; lj < A->lc; lj++) {
        int j = sl_col_l2g(A, lj);
        if (j >= k) continue;
        for (int li = 0; li < A->lr; li++) {
            int i = sl_row_l2g(A, li);
            if (i > j) continue;
            double v = fabs(A->a[(size_t)lj * (size_t)A->lld + (size_t)li]);
            cs[j] += v;
            if (i < j) cs[i] += v;
        }
    }
    CHECK(sl_allsum(A->g->comm, cs, k, e));
    *norm = 0;
    for (int j = 0; j < k; j++)
        if (cs[j] > *norm || cs[j] != cs[j]) *norm = cs[j];
    free(cs);
    return 0;
fail:
    free(cs);
    return -1;
}

int sl_posv(sl_mat *A, int k, sl_mat *B, int *info, dett_err *e)
{
    if (k < 1 || k > A->m || k > A->n || k > B->m || A->nb != B->nb || A->g != B->g)
        return dett_fail(e, "posv: order %d, A %d x %d, B %d x %d", k, A->m, A->n, B->m,
                         B->n);
    int one = 1, lo[2], hi[2];
    *info = 0;
    pdposv_("U", &k, &B->n, A->a, &one, &one, A->desc, B->a, &one, &one, B->desc, info, 1);
    lo[0] = *info; lo[1] = -*info;
    CHECK_MPI(e, MPI_Allreduce(lo, hi, 2, MPI_INT, MPI_MAX, A->g->comm));
    if (hi[1] > 0)
        return dett_fail(e, "pdposv: argument %d is illegal", hi[1]);
    *info = hi[0];
    return 0;
fail:
    return -1;
}

int sl_pocon(double *rcond, const sl_mat *A, int k, double anorm, dett_err *e)
{
    int one = 1, info = 0, lwork = -1, liwork = -1, iq = 0;
    double wq = 0, *work = NULL;
    int *iwork = NULL;
    pdpocon_("U", &k, A->a, &one, &one, A->desc, &anorm, rcond, &wq, &lwork, &iq, &liwork,
             &info, 1);
    if (info != 0) {
        dett_fail(e, "pdpocon workspace query: info %d", info);
        goto fail;
    }
    lwork = (int)wq + 1;
    liwork = iq > 1 ? iq : 1;
    work = malloc(sizeof(double) * (size_t)lwork);
    iwork = malloc(sizeof(int) * (size_t)liwork);
    CHECK_ALLOC(e, work);
    CHECK_ALLOC(e, iwork);
    pdpocon_("U", &k, A->a, &one, &one, A->desc, &anorm, rcond, work, &lwork, iwork, &liwork,
             &info, 1);
    if (info != 0) {
        dett_fail(e, "pdpocon: info %d", info);
        goto fail;
    }
    /* one decision on every rank: the smallest estimate */
    CHECK_MPI(e, MPI_Allreduce(MPI_IN_PLACE, rcond, 1, MPI_DOUBLE, MPI_MIN, A->g->comm));
    free(work);
    free(iwork);
    return 0;
fail:
    free(work);
    free(iwork);
    return -1;
}
