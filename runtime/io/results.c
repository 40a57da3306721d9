/* results.c - the parallel HDF5 results file of `dett run` (see results.h).
 *
 * Sections: helpers (error silencing, agreement, attributes, datasets) ->
 * checking an existing file (rank 0, serial) -> creating the layout and
 * growing the store (rank 0, serial; a new store in "<path>.tmp", renamed
 * when complete) -> opening every handle (collective) -> the set-up on
 * rank 0 -> the public API.
 *
 * Collective discipline: every metadata change happens on rank 0 alone,
 * through a serial (sec2) handle that is closed before anyone opens the
 * file with MPI-IO (setup_serial), so a failed write there returns to dett
 * on rank 0 and never leaves another rank inside one of parallel HDF5's
 * collectives; the ranks then agree on its status (agree()). After that
 * every rank makes the same metadata reads (opening the handles) in the
 * same order, again followed by an agreement. Raw-data writes after
 * results_open are independent (H5FD_MPIO_INDEPENDENT) and touch only
 * datasets allocated at creation (contiguous, H5D_ALLOC_TIME_EARLY), so they
 * never change metadata: the file on disk is consistent at every moment of
 * the run, which is what resume after a kill relies on.
 */
#define _POSIX_C_SOURCE 200809L
#include "agree.h"
#include "h5attr.h"
#include "method.h"
#include "iofail.h"
#include "reserve.h"
#include "results.h"
#include <errno.h>
#include <limits.h>
#include <hdf5.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

_Static_assert((int)N_SELECTS == (int)RF_N_SEL && (int)SELECT_VAL_WORST_CLASS == (int)RF_SEL_VAL_WORST_CLASS,
               "selected[] holds one entry per select_kind, in order");

#ifndef DETT_VERSION
#define DETT_VERSION "unknown"
#endif
#ifndef DETT_GIT_COMMIT
#define DETT_GIT_COMMIT "unknown"
#endif

#define RESULTS_PATH 1200   /* room for "/jobs/<id>/<name>", "<path>.tmp" */

/* open handles of one job (all stay open from results_open to close) */
typedef struct {
    hid_t train_loss, acc, worst, avg, mean, selected, params;
    hid_t diag_cka, diag_mse;   /* diagnostics/cka, feature_mse, or -1 */
    hid_t dfr_scores, dfr_choice;   /* dfr/scores, dfr/choice, or -1 */
    hid_t dfr_acc, dfr_worst, dfr_avg, dfr_mean;   /* the refit's: dfr/acc .. mean, or -1 */
    hid_t error_groups;         /* ident jobs: error_groups [G], or -1 */
    hid_t ck_f32, ck_f64, ck_mark;   /* /checkpoints/<hash>, or -1 */
    int64_t n32, n64;                /* checkpoint sizes (0: none) */
    int diag;          /* 1: the job has /jobs/<id>/diagnostics */
    int dfr;           /* 1: the job has /jobs/<id>/dfr */
    int E, G;          /* epochs and groups of the layout (before the 0 -> 1 rule) */
    size_t P;          /* parameters */
    job_kind kind;
    int art;           /* index into results.art, -1 for students */
    int row;           /* its row of /jobs/table */
    int isnew;         /* 1: this run added it to the store */
    char id[16], hash[65];
} res_job;

/* /artifacts/<hash>: shared by all jobs of that hash */
typedef struct {
    hid_t params, error_set;   /* error_set: ident artifacts only, else -1 */
    size_t P;
    int64_t n_train;
    int owner;                 /* lowest job index with this hash */
} res_art;

struct results {
    hid_t file, table, row_type, dxpl;   /* row_type: memory type of results_row */
    int n_jobs, n_art, n_rows;           /* n_rows: of the table (the whole store) */
    MPI_Comm comm;                       /* the open's (the caller's, not owned) */
    res_job *job;
    res_art *art;
    char *path;
    /* an I/O failure after results_open (iofail.h): live is set once the
     * layout is open; io_kind IOFAIL_* latches the first failure, after
     * which nothing more is written; dev/ino identify the open file */
    int live, io_kind, io_errno, have_ino;
    dev_t dev;
    ino_t ino;
};

/* ---- helpers ------------------------------------------------------------ */

/* HDF5's automatic error printing, saved by quiet_on and restored by quiet_off:
 * our messages replace its stack dumps. */
typedef struct {
    H5E_auto2_t fn;
    void *data;
} h5_quiet;

static int quiet_on(h5_quiet *q, dett_err *e)
{
    CHECK_H5(e, H5Eget_auto2(H5E_DEFAULT, &q->fn, &q->data), "H5Eget_auto2 failed");
    CHECK_H5(e, H5Eset_auto2(H5E_DEFAULT, NULL, NULL), "H5Eset_auto2 failed");
    return 0;
fail:
    return -1;
}

/* restores printing; returns rc, or -1 if the restore itself failed */
static int quiet_off(const h5_quiet *q, int rc, dett_err *e)
{
    if (H5Eset_auto2(H5E_DEFAULT, q->fn, q->data) < 0 && rc == 0)
        rc = dett_fail(e, "H5Eset_auto2 failed (restoring HDF5 error printing)");
    return rc;
}

/* Closes HDF5 id with its close function fn (ids < 0 are skipped). A failed
 * close turns a success in *rc into a failure naming `what`; on a path that
 * has already failed the first message stands. Cleanup always goes on. */
static void h5_close(hid_t id, herr_t (*fn)(hid_t), int *rc, dett_err *e, const char *what)
{
    if (id >= 0 && fn(id) < 0 && *rc == 0) *rc = dett_fail(e, "%s: close failed", what);
}

/* a stored dimension: HDF5 datasets here are never empty, n == 0 is stored as 1 */
static hsize_t dim1(int64_t n) { return n > 0 ? (hsize_t)n : 1; }

static const char *kind_name(job_kind k)
{
    return k == JOB_TRAIN ? RF_KIND_TRAIN : k == JOB_IDENT ? RF_KIND_IDENT : RF_KIND_STUDENT;
}

/* a fixed-length C string type of n bytes (n >= 1) with the given padding */
static hid_t str_type(size_t n, H5T_str_t pad)
{
    hid_t t = H5Tcopy(H5T_C_S1);
    if (t < 0) return -1;
    if (H5Tset_size(t, n) < 0 || H5Tset_strpad(t, pad) < 0) {
        int rc = -1;
        h5_close(t, H5Tclose, &rc, NULL, "string type");
        return -1;
    }
    return t;
}

/* The row type: in memory (native, offsets of results_row) if file == 0,
 * else packed with little-endian standard types (the file's type). */
static hid_t row_type_new(int file)
{
    hid_t t = -1, s16 = -1, s8 = -1, s65 = -1, s256 = -1;
    hid_t i32 = file ? H5T_STD_I32LE : H5T_NATIVE_INT32;
    hid_t f64 = file ? H5T_IEEE_F64LE : H5T_NATIVE_DOUBLE;
    int rc = -1;
    if ((s16 = str_type(RF_ID_LEN, H5T_STR_NULLPAD)) < 0 ||
        (s8 = str_type(RF_KIND_LEN, H5T_STR_NULLPAD)) < 0 ||
        (s65 = str_type(RF_HASH_LEN, H5T_STR_NULLPAD)) < 0 ||
        (s256 = str_type(RF_ERROR_LEN, H5T_STR_NULLPAD)) < 0)
        goto out;
    if ((t = H5Tcreate(H5T_COMPOUND, sizeof(results_row))) < 0) goto out;
    if (H5Tinsert(t, RF_F_ID, offsetof(results_row, id), s16) < 0 ||
        H5Tinsert(t, RF_F_KIND, offsetof(results_row, kind), s8) < 0 ||
        H5Tinsert(t, RF_F_HASH, offsetof(results_row, hash), s65) < 0 ||
        H5Tinsert(t, RF_F_STATUS, offsetof(results_row, status), i32) < 0 ||
        H5Tinsert(t, RF_F_ERROR, offsetof(results_row, error), s256) < 0 ||
        H5Tinsert(t, RF_F_WALL_SECONDS, offsetof(results_row, wall_seconds), f64) < 0 ||
        H5Tinsert(t, RF_F_RANKS, offsetof(results_row, ranks), i32) < 0 ||
        H5Tinsert(t, RF_F_EPOCHS_RUN, offsetof(results_row, epochs_run), i32) < 0)
        goto out;
    if (file && H5Tpack(t) < 0) goto out;
    rc = 0;
out:
    h5_close(s16, H5Tclose, &rc, NULL, "string type");
    h5_close(s8, H5Tclose, &rc, NULL, "string type");
    h5_close(s65, H5Tclose, &rc, NULL, "string type");
    h5_close(s256, H5Tclose, &rc, NULL, "string type");
    if (rc != 0) {
        h5_close(t, H5Tclose, &rc, NULL, "row type");
        t = -1;
    }
    return t;
}

hid_t results_layer_type(int file)
{
    hid_t t = -1, s = -1;
    hid_t i32 = file ? H5T_STD_I32LE : H5T_NATIVE_INT32;
    hid_t i64 = file ? H5T_STD_I64LE : H5T_NATIVE_INT64;
    int rc = -1;
    if ((s = str_type(RF_LAYER_KIND_LEN, H5T_STR_NULLPAD)) < 0) goto out;
    if ((t = H5Tcreate(H5T_COMPOUND, sizeof(results_layer))) < 0) goto out;
#define INS_(name, field, type)                                                     \
    if (H5Tinsert(t, name, offsetof(results_layer, field), type) < 0) goto out
    INS_(RF_L_KIND, kind, s);
    INS_(RF_L_OFFSET, offset, i64);
    INS_(RF_L_N_PARAMS, n_params, i64);
    INS_(RF_L_IN_DIM, in_dim, i32);
    INS_(RF_L_OUT_DIM, out_dim, i32);
    INS_(RF_L_C, C, i32);
    INS_(RF_L_H, H, i32);
    INS_(RF_L_W, W, i32);
    INS_(RF_L_OC, OC, i32);
    INS_(RF_L_OH, OH, i32);
    INS_(RF_L_OW, OW, i32);
    INS_(RF_L_K, k, i32);
    INS_(RF_L_STRIDE, stride, i32);
    INS_(RF_L_PAD, pad, i32);
    INS_(RF_L_FROZEN, frozen, i32);
#undef INS_
    if (file && H5Tpack(t) < 0) goto out;
    rc = 0;
out:
    h5_close(s, H5Tclose, &rc, NULL, "string type");
    if (rc != 0) {
        h5_close(t, H5Tclose, &rc, NULL, "layer type");
        t = -1;
    }
    return t;
}

int results_describe_model(results_jobinfo *ji, const model *m, int x_rank,
                           const int *x_shape, dett_err *e)
{
    static const char *const kinds[] = RF_LAYER_KINDS;
    if (m->n_layers > RESULTS_MAX_LAYERS)
        return dett_fail(e, "a model of %d layers (results files describe at most %d)",
                         m->n_layers, RESULTS_MAX_LAYERS);
    if (x_rank < 1 || x_rank > 3) return dett_fail(e, "input rank %d (expected 1..3)", x_rank);
    ji->n_layers = m->n_layers;
    for (int i = 0; i < m->n_layers; i++) {
        const layer *l = m->layers[i];
        results_layer *o = &ji->layers[i];
        memset(o, 0, sizeof *o);
        int k = l->kind >= LAYER_DENSE && l->kind <= LAYER_GAP ? (int)l->kind : 0;
        snprintf(o->kind, sizeof o->kind, "%s", kinds[k]);
        o->offset = (int64_t)l->off;
        o->n_params = (int64_t)l->n_params;
        o->in_dim = l->in_dim, o->out_dim = l->out_dim;
        o->C = l->C, o->H = l->H, o->W = l->W, o->OC = l->OC, o->OH = l->OH, o->OW = l->OW;
        o->k = l->k, o->stride = l->stride, o->pad = l->pad, o->frozen = l->frozen;
    }
    ji->x_rank = x_rank;
    for (int i = 0; i < x_rank; i++) ji->x_shape[i] = x_shape[i];
    ji->n_classes = m->n_classes;
    return 0;
}

/* Serial (rank 0's handle): params' @layers (the job's model) */
static int layers_put(hid_t g, const results_jobinfo *in, const char *where, dett_err *e)
{
    hid_t d = -1, ft = -1, mt = -1, sp = -1, a = -1;
    hsize_t n = (hsize_t)in->n_layers;
    int rc = -1;
    CHECK_H5(e, d = H5Dopen2(g, RF_D_PARAMS, H5P_DEFAULT), "%s/" RF_D_PARAMS ": cannot open",
             where);
    CHECK_H5(e, ft = results_layer_type(1), "%s: cannot make the layer type", where);
    CHECK_H5(e, mt = results_layer_type(0), "%s: cannot make the layer type", where);
    CHECK_H5(e, sp = H5Screate_simple(1, &n, NULL), "%s: H5Screate_simple", where);
    CHECK_H5(e, a = H5Acreate2(d, RF_X_LAYERS, ft, sp, H5P_DEFAULT, H5P_DEFAULT),
             "%s/" RF_D_PARAMS ": cannot create @" RF_X_LAYERS, where);
    CHECK_H5(e, H5Awrite(a, mt, in->layers), "%s/" RF_D_PARAMS ": cannot write @" RF_X_LAYERS,
             where);
    rc = 0;
fail:
    h5_close(a, H5Aclose, &rc, e, where);
    h5_close(sp, H5Sclose, &rc, e, where);
    h5_close(mt, H5Tclose, &rc, e, where);
    h5_close(ft, H5Tclose, &rc, e, where);
    h5_close(d, H5Dclose, &rc, e, where);
    return rc;
}

/* copies a C string into a fixed field: NUL-terminated, zero-padded, truncated */
static void field_set(char *dst, size_t cap, const char *src)
{
    size_t n = strnlen(src, cap - 1);
    memcpy(dst, src, n);
    memset(dst + n, 0, cap - n);
}

/* a row as stored: every string terminated and zero-padded */
static void row_clean(results_row *dst, const results_row *src)
{
    *dst = *src;
    field_set(dst->id, sizeof dst->id, src->id);
    field_set(dst->kind, sizeof dst->kind, src->kind);
    field_set(dst->hash, sizeof dst->hash, src->hash);
    field_set(dst->error, sizeof dst->error, src->error);
}

/* Serial (rank 0's handle; H5Dcreate writes the fill values at allocation):
 * a contiguous dataset, allocated at creation and filled with *fill (of
 * memory type mtype), then closed. */
static int dset_make(hid_t loc, const char *name, hid_t ftype, hid_t mtype, const void *fill,
                     int rank, const hsize_t *dims, const char *where, dett_err *e)
{
    hid_t sp = -1, dcpl = -1, d = -1;
    int rc = -1;
    CHECK_H5(e, sp = H5Screate_simple(rank, dims, NULL), "%s/%s: H5Screate_simple", where, name);
    CHECK_H5(e, dcpl = H5Pcreate(H5P_DATASET_CREATE), "%s/%s: H5Pcreate", where, name);
    CHECK_H5(e, H5Pset_layout(dcpl, H5D_CONTIGUOUS), "%s/%s: H5Pset_layout", where, name);
    CHECK_H5(e, H5Pset_alloc_time(dcpl, H5D_ALLOC_TIME_EARLY), "%s/%s: H5Pset_alloc_time",
             where, name);
    CHECK_H5(e, H5Pset_fill_time(dcpl, H5D_FILL_TIME_ALLOC), "%s/%s: H5Pset_fill_time", where,
             name);
    CHECK_H5(e, H5Pset_fill_value(dcpl, mtype, fill), "%s/%s: H5Pset_fill_value", where, name);
    CHECK_H5(e, d = H5Dcreate2(loc, name, ftype, sp, H5P_DEFAULT, dcpl, H5P_DEFAULT),
             "%s/%s: cannot create dataset", where, name);
    rc = 0;
fail:
    h5_close(d, H5Dclose, &rc, e, where);
    h5_close(dcpl, H5Pclose, &rc, e, where);
    h5_close(sp, H5Sclose, &rc, e, where);
    return rc;
}

/* formats dims as "[a, b, c]" */
static void dims_str(char *s, size_t cap, int rank, const hsize_t *dims)
{
    size_t at = 0;
    at += (size_t)snprintf(s, cap, "[");
    for (int i = 0; i < rank && at < cap; i++)
        at += (size_t)snprintf(s + at, cap - at, "%s%llu", i ? ", " : "",
                               (unsigned long long)dims[i]);
    if (at < cap) snprintf(s + at, cap - at, "]");
}

/* Opens dataset `name` (an absolute path) and checks its shape is rank/dims.
 * Called by every rank in the same order (H5Dopen is collective unless the
 * object is not modified; it never is here). Returns the handle or -1. */
static hid_t dset_open(hid_t f, const char *fpath, const char *name, int rank,
                       const hsize_t *dims, dett_err *e)
{
    hid_t d = -1, sp = -1;
    hsize_t got[8];
    CHECK_H5(e, d = H5Dopen2(f, name, H5P_DEFAULT),
             "%s: cannot open %s; use --force to replace the file", fpath, name);
    CHECK_H5(e, sp = H5Dget_space(d), "%s: %s: H5Dget_space", fpath, name);
    int nd = H5Sget_simple_extent_ndims(sp);
    int same = nd == rank;
    if (same && H5Sget_simple_extent_dims(sp, got, NULL) < 0) same = 0;
    for (int i = 0; same && i < rank; i++) same = got[i] == dims[i];
    if (!same) {
        char a[96] = "?", b[96];
        if (nd > 0 && nd <= 8 && H5Sget_simple_extent_dims(sp, got, NULL) >= 0)
            dims_str(a, sizeof a, nd, got);
        dims_str(b, sizeof b, rank, dims);
        dett_fail(e, "%s: %s has shape %s, expected %s; use --force to replace the file",
                  fpath, name, a, b);
        goto fail;
    }
    CHECK_H5(e, H5Sclose(sp), "%s: %s: H5Sclose", fpath, name);
    sp = -1;
    return d;
fail: {
    int rc = -1;
    h5_close(sp, H5Sclose, &rc, e, name);
    h5_close(d, H5Dclose, &rc, e, name);
    return -1;
}
}

/* records this rank's first I/O failure after results_open (later ones
 * keep the first) */
static void io_latch(results *r, int kind, int err)
{
    if (r->io_kind) return;
    r->io_kind = kind;
    r->io_errno = err > 0 ? err : EIO;
}

/* Independent: moves the hyperslab start/count of dataset d to or from a
 * contiguous buffer (exactly one of wbuf, rbuf non-NULL). Once the file is
 * live (after results_open) a failed write is not an error: it is latched
 * (io_latch) and returns 0, and later writes are skipped, so a job group
 * never leaves its ranks in different places; the caller asks
 * results_io_failed. */
static int slab_io(results *r, hid_t d, hid_t mtype, int rank, const hsize_t *start,
                   const hsize_t *count, const void *wbuf, void *rbuf, const char *what,
                   dett_err *e)
{
    hid_t fs = -1, ms = -1;
    int rc = -1;
    if (wbuf && r->io_kind) return 0;   /* a write failed before: nothing more */
    CHECK_H5(e, fs = H5Dget_space(d), "%s: %s: H5Dget_space", r->path, what);
    CHECK_H5(e, H5Sselect_hyperslab(fs, H5S_SELECT_SET, start, NULL, count, NULL),
             "%s: %s: H5Sselect_hyperslab", r->path, what);
    CHECK_H5(e, ms = H5Screate_simple(rank, count, NULL), "%s: %s: H5Screate_simple", r->path,
             what);
    if (wbuf) {
        int inj = r->live ? iofail_injected() : 0;
        errno = 0;
        if (inj || H5Dwrite(d, mtype, ms, fs, r->dxpl, wbuf) < 0) {
            if (!r->live) {
                dett_fail(e, "%s: cannot write %s", r->path, what);
                goto fail;
            }
            io_latch(r, IOFAIL_WRITE, inj ? inj : errno);
        }
    } else
        CHECK_H5(e, H5Dread(d, mtype, ms, fs, r->dxpl, rbuf), "%s: cannot read %s", r->path,
                 what);
    rc = 0;
fail:
    h5_close(ms, H5Sclose, &rc, e, what);
    h5_close(fs, H5Sclose, &rc, e, what);
    return rc;
}

/* The results file's access list: MPI-IO on comm (mpio 1), else serial
 * (sec2: rank 0's handle for every metadata change of results_open). Both
 * with the 1.8 file format: dense attribute storage (script text may
 * exceed 64 KB), no 1.10 superblock status flags, so h5dump/h5py can read
 * the file while a run holds it open. */
static hid_t fapl_new(int mpio, MPI_Comm comm, dett_err *e)
{
    hid_t p = -1;
    CHECK_H5(e, p = H5Pcreate(H5P_FILE_ACCESS), "H5Pcreate(file access) failed");
    if (mpio)
        CHECK_H5(e, H5Pset_fapl_mpio(p, comm, MPI_INFO_NULL), "H5Pset_fapl_mpio failed");
    else
        CHECK_H5(e, H5Pset_fapl_sec2(p), "H5Pset_fapl_sec2 failed");
    CHECK_H5(e, H5Pset_libver_bounds(p, H5F_LIBVER_V18, H5F_LIBVER_V18),
             "H5Pset_libver_bounds failed");
    return p;
fail: {
    int rc = -1;
    h5_close(p, H5Pclose, &rc, e, "file access list");
    return -1;
}
}

/* ---- inputs ------------------------------------------------------------- */

typedef struct {
    const char *hash;
    int job;
} hash_ix;

static int hash_cmp(const void *a, const void *b)
{
    const hash_ix *x = a, *y = b;
    int c = strcmp(x->hash, y->hash);
    return c ? c : (x->job > y->job) - (x->job < y->job);
}

/* Local and identical on every rank: checks jobs/info and fills r's job and
 * artifact tables (one artifact per distinct hash among train/ident jobs). */
static int inputs_check(results *r, const job_list *jobs, const results_jobinfo *info,
                        dett_err *e)
{
    hash_ix *ix = NULL;
    int n = jobs->n, m = 0, rc = -1;
    for (int i = 0; i < n; i++) {
        const job_spec *j = &jobs->jobs[i];
        const results_jobinfo *in = &info[i];
        size_t idn = strnlen(j->id, sizeof j->id), hn = strnlen(j->hash, sizeof j->hash);
        if (idn == 0 || idn >= sizeof r->job[i].id || strchr(j->id, '/') ||
            !strcmp(j->id, RF_TABLE_NAME) || !strcmp(j->id, ".") || !strcmp(j->id, "..")) {
            dett_fail(e, "job %d: id '%.64s' cannot name a results group (1..15 characters, "
                      "no '/', not 'table')", i, j->id);
            goto fail;
        }
        if (hn == 0 || hn >= sizeof j->hash || strchr(j->hash, '/')) {
            dett_fail(e, "job %s: bad hash '%.65s'", j->id, j->hash);
            goto fail;
        }
        if (j->kind != JOB_TRAIN && j->kind != JOB_IDENT && j->kind != JOB_STUDENT) {
            dett_fail(e, "job %s: unknown kind %d", j->id, (int)j->kind);
            goto fail;
        }
        if (in->epochs < 0 || in->groups < 1 || in->n_attrs < 1 || in->n_train < 0) {
            dett_fail(e, "job %s: bad shapes (epochs %d, groups %d, n_attrs %d, n_train %lld)",
                      j->id, in->epochs, in->groups, in->n_attrs, (long long)in->n_train);
            goto fail;
        }
        res_job *rj = &r->job[i];
        memcpy(rj->id, j->id, idn + 1);
        memcpy(rj->hash, j->hash, hn + 1);
        rj->E = in->epochs;
        rj->G = in->groups;
        rj->P = in->n_params;
        rj->kind = j->kind;
        rj->diag = in->diagnostics != 0;
        rj->dfr = in->dfr != 0;
        rj->n32 = in->ckpt_f32 > 0 && in->ckpt_f64 > 0 ? in->ckpt_f32 : 0;
        rj->n64 = rj->n32 ? in->ckpt_f64 : 0;
        rj->art = -1;
        if (j->kind != JOB_STUDENT) m++;
    }
    ix = malloc((size_t)(m ? m : 1) * sizeof *ix);
    CHECK_ALLOC(e, ix);
    m = 0;
    for (int i = 0; i < n; i++)
        if (jobs->jobs[i].kind != JOB_STUDENT) ix[m++] = (hash_ix){jobs->jobs[i].hash, i};
    qsort(ix, (size_t)m, sizeof *ix, hash_cmp);
    r->n_art = 0;
    for (int k = 0; k < m; k++) {
        int i = ix[k].job;
        if (k == 0 || strcmp(ix[k].hash, ix[k - 1].hash)) {
            res_art *a = &r->art[r->n_art++];
            a->owner = i;
            a->P = info[i].n_params;
            a->n_train = info[i].n_train;
        }
        res_art *a = &r->art[r->n_art - 1];
        int o = a->owner;
        if (jobs->jobs[o].kind != jobs->jobs[i].kind || a->P != info[i].n_params ||
            (jobs->jobs[i].kind == JOB_IDENT && a->n_train != info[i].n_train)) {
            dett_fail(e, "jobs %s and %s have the same hash but different kinds or shapes",
                      jobs->jobs[o].id, jobs->jobs[i].id);
            goto fail;
        }
        r->job[i].art = r->n_art - 1;
    }
    rc = 0;
fail:
    free(ix);
    return rc;
}

/* ---- checking an existing file (rank 0, serial HDF5 read-only) ---------- */

enum { ACT_CREATE = 1, ACT_GROW = 2 };

/* Serial, rank 0 only (the sec2 driver, read-only, so a refused file is never
 * touched): ACT_CREATE if path does not exist, ACT_GROW if it is a dett
 * results file of this format (whatever script wrote it: the file is a
 * store keyed by job hashes), else -1 with the reason. A file of format
 * `oldest` (RF_FORMAT_VERSION, or format 4 for --from) up to this one is
 * accepted, its version in *version (may be NULL). If rows is not NULL
 * and the answer is ACT_GROW, *rows (malloc'd, the caller frees) and *n get
 * the job table. */
static int existing_check(const char *path, results_row **rows, hsize_t *n_rows, int oldest,
                          int *version, dett_err *e)
{
    struct stat st;
    hid_t f = -1, d = -1, sp = -1, mt = -1;
    results_row *tab = NULL;
    char s[128];
    long long v;
    int act = -1;
    hsize_t n = 0;
    dett_err quiet;   /* the attribute reader's message: replaced by ours below */
    if (stat(path, &st) != 0) {
        if (errno == ENOENT) return ACT_CREATE;
        return dett_fail(e, "%s: %s", path, strerror(errno));
    }
    if (H5Fis_hdf5(path) <= 0)
        return dett_fail(e, "%s: exists and is not an HDF5 file; refusing to overwrite it "
                         "(use --force)", path);
    if ((f = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT)) < 0) {   /* serial open */
        dett_fail(e, "%s: exists and cannot be read as HDF5 (truncated or damaged); refusing "
                  "to overwrite it (use --force)", path);
        goto out;
    }
    if (h5attr_get_text(f, RF_A_FORMAT, s, sizeof s, H5ATTR_TRUNCATE, path, &quiet) != 0 ||
        strcmp(s, RF_FORMAT_NAME) != 0) {
        dett_fail(e, "%s: exists and is not a dett results file; refusing to overwrite it "
                  "(use --force)", path);
        goto out;
    }
    if (h5attr_get_int(f, RF_A_FORMAT_VERSION, LLONG_MIN, LLONG_MAX, &v, path, &quiet) != 0) {
        dett_fail(e, "%s: has no format_version; refusing to overwrite it (use --force)", path);
        goto out;
    }
    if (v > RF_FORMAT_VERSION) {
        dett_fail(e, "%s: results format version %lld is newer than this dett's version %d; "
                  "use a newer dett, or --force to replace it", path, v, RF_FORMAT_VERSION);
        goto out;
    }
    if (v == RF_FORMAT_DFR_REFIT - 1 && v >= oldest) {
        /* format 4 differs in dfr{} jobs only (--from copies its others) */
    } else if (v != RF_FORMAT_VERSION && v == RF_FORMAT_DFR_REFIT - 1) {
        dett_fail(e, "%s: results format version %lld (an older dett) cannot grow: its dfr{} "
                  "jobs store the refit as one more epoch, format %d's in /jobs/<id>/dfr "
                  "(`dett report` still reads it, --from reuses its other jobs); run with "
                  "another -o, or --force to replace it", path, v, RF_FORMAT_VERSION);
        goto out;
    } else if (v != RF_FORMAT_VERSION) {
        dett_fail(e, "%s: results format version %lld (an older dett) cannot grow: its jobs "
                  "are keyed by data paths, format %d's by data contents (`dett report` still "
                  "reads it); run with another -o, or --force to replace it", path, v,
                  RF_FORMAT_VERSION);
        goto out;
    }
    if (version) *version = (int)v;
    if ((d = H5Dopen2(f, RF_TABLE, H5P_DEFAULT)) < 0 || (sp = H5Dget_space(d)) < 0 ||
        H5Sget_simple_extent_ndims(sp) != 1 || H5Sget_simple_extent_dims(sp, &n, NULL) < 0) {
        dett_fail(e, "%s: " RF_TABLE " is missing or damaged; use --force to replace the file",
                  path);
        goto out;
    }
    if (rows) {
        if (!(tab = calloc((size_t)(n ? n : 1), sizeof *tab))) {
            dett_fail(e, "%s:%d: out of memory", __FILE__, __LINE__);
            goto out;
        }
        if (n > 0 && ((mt = row_type_new(0)) < 0 ||
                      H5Dread(d, mt, H5S_ALL, H5S_ALL, H5P_DEFAULT, tab) < 0)) {
            dett_fail(e, "%s: cannot read " RF_TABLE "; use --force to replace the file", path);
            goto out;
        }
        for (hsize_t i = 0; i < n; i++) {
            tab[i].id[sizeof tab[i].id - 1] = '\0';
            tab[i].hash[sizeof tab[i].hash - 1] = '\0';
        }
    }
    act = ACT_GROW;
out:;
    int rc = act > 0 ? 0 : -1;
    h5_close(mt, H5Tclose, &rc, e, path);
    h5_close(sp, H5Sclose, &rc, e, path);
    h5_close(d, H5Dclose, &rc, e, path);
    h5_close(f, H5Fclose, &rc, e, path);
    if (rc == 0 && rows) {
        *rows = tab;
        *n_rows = n;
    } else {
        free(tab);
    }
    return rc == 0 ? act : -1;
}

/* ---- creating the layout ------------------------------------------------ */

/* Serial (rank 0's handle): deletes attribute name of obj if it exists (so a put can
 * replace it) */
static int attr_drop(hid_t obj, const char *name, const char *where, dett_err *e)
{
    htri_t ex;
    CHECK_H5(e, ex = H5Aexists(obj, name), "%s: cannot query @%s", where, name);
    if (ex > 0) CHECK_H5(e, H5Adelete(obj, name), "%s: cannot replace @%s", where, name);
    return 0;
fail:
    return -1;
}

/* Serial (rank 0's handle): the root attributes of the last run (start is
 * rank 0's clock), replacing those of an earlier run; format and
 * format_version only when create is set. */
static int root_attrs(hid_t f, const char *tmp, int64_t n_rows, const results_meta *meta,
                      const char *start, int create, dett_err *e)
{
    const char *commit = DETT_GIT_COMMIT[0] ? DETT_GIT_COMMIT : "unknown";
    const char *version = DETT_VERSION[0] ? DETT_VERSION : "unknown";
    static const char *const run[] = {RF_A_DETT_VERSION, RF_A_GIT_COMMIT, RF_A_SCRIPT,
                                      RF_A_SCRIPT_PATH, RF_A_SCRIPT_SHA256, RF_A_WORLD_SIZE,
                                      RF_A_RANKS_PER_JOB, RF_A_START_TIME, RF_A_N_JOBS};
    if (create) {
        CHECK(h5attr_put_text(f, RF_A_FORMAT, RF_FORMAT_NAME, tmp, e));
        CHECK(h5attr_put_int(f, RF_A_FORMAT_VERSION, H5T_STD_I32LE, RF_FORMAT_VERSION, tmp, e));
    }
    for (size_t k = 0; k < sizeof run / sizeof run[0]; k++) CHECK(attr_drop(f, run[k], tmp, e));
    CHECK(h5attr_put_text(f, RF_A_DETT_VERSION, version, tmp, e));
    CHECK(h5attr_put_text(f, RF_A_GIT_COMMIT, commit, tmp, e));
    CHECK(h5attr_put_text(f, RF_A_SCRIPT, meta->script_text, tmp, e));
    CHECK(h5attr_put_text(f, RF_A_SCRIPT_PATH, meta->script_path, tmp, e));
    CHECK(h5attr_put_text(f, RF_A_SCRIPT_SHA256, meta->script_sha256, tmp, e));
    CHECK(h5attr_put_int(f, RF_A_WORLD_SIZE, H5T_STD_I32LE, meta->world_size, tmp, e));
    CHECK(h5attr_put_int(f, RF_A_RANKS_PER_JOB, H5T_STD_I32LE, meta->ranks_per_job, tmp, e));
    CHECK(h5attr_put_text(f, RF_A_START_TIME, start, tmp, e));
    CHECK(h5attr_put_int(f, RF_A_N_JOBS, H5T_STD_I32LE, n_rows, tmp, e));
    return 0;
fail:
    return -1;
}

/* ---- typed job configuration (format 2) ---------------------------------- */

/* The decimal a float32 setting was given as: the shortest %g form that
 * reads back as the same float, so lr 0.01f is stored as 0.01 and not as
 * 0.009999999776. */
static double f32_decimal(float f)
{
    char buf[40];
    for (int prec = 1; prec <= 9; prec++) {
        snprintf(buf, sizeof buf, "%.*g", prec, (double)f);
        double d = strtod(buf, NULL);
        if ((float)d == f) return d;
    }
    return (double)f;
}

/* appends a number (text NULL) or a text to v[*n] if there is room */
static void value_add(h5attr_value *v, int cap, int *n, const char *name, double num,
                      const char *text)
{
    if (*n >= cap) return;
    h5attr_value *x = &v[(*n)++];
    memset(x, 0, sizeof *x);
    snprintf(x->name, sizeof x->name, "%s", name);
    x->is_text = text != NULL;
    x->num = num;
    if (text) snprintf(x->text, sizeof x->text, "%s", text);
}

/* the method's own arguments as typed values (method.<key>), read from the
 * method table; its weighting is written separately (weighting.*) */
static int method_args_typed(const method_spec *m, h5attr_value *v, int cap)
{
    method_arg a[METHOD_MAX_KEYS + 8];
    int na = method_args(m, a, (int)(sizeof a / sizeof a[0])), n = 0;
    if (na > (int)(sizeof a / sizeof a[0])) na = (int)(sizeof a / sizeof a[0]);
    for (int i = 0; i < na; i++) {
        if (!strcmp(a[i].name, "weighting")) break;   /* the weighting's own pairs follow */
        value_add(v, cap, &n, a[i].name, f32_decimal((float)a[i].num), NULL);
    }
    return n;
}

/* the sample weighting as typed values (weighting.kind, .T, .up, .resample) */
static int weighting_typed(const weighting_spec *w, h5attr_value *v, int cap)
{
    static const char *const kinds[] = {"none", "jtt", "group_balanced", "lua"};
    int n = 0;
    int k = w->kind >= WEIGHT_NONE && w->kind <= WEIGHT_LUA ? (int)w->kind : 0;
    value_add(v, cap, &n, "kind", 0, kinds[k]);
    if (w->kind == WEIGHT_JTT) {
        value_add(v, cap, &n, "T", w->T, NULL);
        value_add(v, cap, &n, "up", f32_decimal(w->up), NULL);
        value_add(v, cap, &n, "resample", w->resample, NULL);
    }
    return n;
}

/* the optimiser as typed values (optim.name, .lr, .momentum | .beta1 ..., .wd) */
static int optim_typed(const optim_cfg *o, h5attr_value *v, int cap)
{
    int n = 0;
    value_add(v, cap, &n, "name", 0, o->kind == OPTIM_SGD ? "sgd" : "adamw");
    value_add(v, cap, &n, "lr", f32_decimal(o->lr), NULL);
    if (o->kind == OPTIM_SGD) {
        value_add(v, cap, &n, "momentum", f32_decimal(o->momentum), NULL);
    } else {
        value_add(v, cap, &n, "beta1", f32_decimal(o->beta1), NULL);
        value_add(v, cap, &n, "beta2", f32_decimal(o->beta2), NULL);
        value_add(v, cap, &n, "eps", f32_decimal(o->eps), NULL);
    }
    value_add(v, cap, &n, "wd", f32_decimal(o->wd), NULL);
    return n;
}

/* writes v[0..n) as <prefix><name> attributes */
static int values_put(hid_t g, const char *prefix, const h5attr_value *v, int n,
                      const char *where, dett_err *e)
{
    for (int k = 0; k < n; k++) CHECK(h5attr_put_value(g, prefix, &v[k], where, e));
    return 0;
fail:
    return -1;
}

/* Serial (rank 0's handle): the typed architecture (arch.*). arch.width is the last
 * hidden width: an mlp's last hidden layer, a cnn's fc layer or, without
 * one, its last conv layer's channels. */
static int arch_put(hid_t g, const arch_spec *a, const char *where, dett_err *e)
{
    int mlp = a->kind == ARCH_MLP;
    int nw = a->n_widths < 0 ? 0 : a->n_widths > JOB_MAX_LAYERS ? JOB_MAX_LAYERS : a->n_widths;
    int nc = a->n_channels < 0 ? 0
             : a->n_channels > JOB_MAX_LAYERS ? JOB_MAX_LAYERS : a->n_channels;
    int width = mlp ? (nw ? a->widths[nw - 1] : 0) : a->fc > 0 ? a->fc : nc ? a->channels[nc - 1] : 0;
    CHECK(h5attr_put_text(g, RF_J_ARCH_KIND, mlp ? RF_ARCH_MLP : RF_ARCH_CNN, where, e));
    if (mlp) {
        CHECK(h5attr_put_ints(g, RF_J_ARCH_WIDTHS, a->widths, nw, where, e));
    } else {
        CHECK(h5attr_put_ints(g, RF_J_ARCH_CHANNELS, a->channels, nc, where, e));
        CHECK(h5attr_put_int(g, RF_J_ARCH_KERNEL, H5T_STD_I32LE, a->kernel, where, e));
        CHECK(h5attr_put_int(g, RF_J_ARCH_POOL, H5T_STD_I32LE, a->pool, where, e));
        CHECK(h5attr_put_text(g, RF_J_ARCH_POOL_KIND, a->pool_max ? RF_POOL_MAX : RF_POOL_AVG, where, e));
        CHECK(h5attr_put_int(g, RF_J_ARCH_FC, H5T_STD_I32LE, a->fc, where, e));
    }
    CHECK(h5attr_put_int(g, RF_J_ARCH_WIDTH, H5T_STD_I32LE, width, where, e));
    return 0;
fail:
    return -1;
}

/* Serial (rank 0's handle): every configuration attribute of /jobs/<id> */
static int job_attrs(hid_t g, const job_spec *j, const results_jobinfo *in, const char *where,
                     dett_err *e)
{
    h5attr_value v[16];
    int n;
    CHECK(h5attr_put_text(g, RF_J_CONFIG, j->canon, where, e));
    CHECK(h5attr_put_text(g, RF_J_HASH, j->hash, where, e));
    CHECK(h5attr_put_text(g, RF_J_KIND, kind_name(j->kind), where, e));
    CHECK(h5attr_put_text(g, RF_J_METHOD, in->method, where, e));
    CHECK(h5attr_put_text(g, RF_J_METHOD_ARGS, in->method_args, where, e));
    CHECK(h5attr_put_text(g, RF_J_ARCH, in->arch, where, e));
    CHECK(h5attr_put_text(g, RF_J_WEIGHTING, in->weighting, where, e));
    CHECK(h5attr_put_text(g, RF_J_OPTIM, in->optim, where, e));
    CHECK(h5attr_put_int(g, RF_J_BATCH, H5T_STD_I32LE, in->batch, where, e));
    CHECK(h5attr_put_text(g, RF_J_DATASET, j->data, where, e));
    CHECK(h5attr_put_text(g, RF_J_TEACHER, in->teacher, where, e));
    CHECK(h5attr_put_text(g, RF_J_IDENT, in->ident, where, e));
    CHECK(h5attr_put_int(g, RF_J_SEED, H5T_STD_I64LE, (int64_t)j->seed, where, e));
    CHECK(h5attr_put_int(g, RF_J_EPOCHS, H5T_STD_I32LE, in->epochs, where, e));
    CHECK(h5attr_put_text(g, RF_J_SELECT, in->select, where, e));
    CHECK(h5attr_put_text(g, RF_J_SAMPLER, sampler_names[j->sampler], where, e));
    CHECK(h5attr_put_text(g, RF_J_INIT, in->init[0] ? in->init : "random", where, e));
    CHECK(h5attr_put_int(g, RF_J_INIT_LAYERS, H5T_STD_I32LE, in->init_layers, where, e));
    CHECK(h5attr_put_int(g, RF_J_GROUPS, H5T_STD_I32LE, in->groups, where, e));
    CHECK(h5attr_put_int(g, RF_J_N_ATTRS, H5T_STD_I32LE, in->n_attrs, where, e));
    CHECK(arch_put(g, &j->arch, where, e));
    n = optim_typed(&j->optim, v, 16);
    CHECK(values_put(g, RF_J_OPTIM_PREFIX, v, n, where, e));
    n = method_args_typed(&j->method, v, 16);
    CHECK(values_put(g, RF_J_METHOD_PREFIX, v, n, where, e));
    n = weighting_typed(&j->method.weighting, v, 16);
    CHECK(values_put(g, RF_J_WEIGHTING_PREFIX, v, n, where, e));
    if (in->n_layers > 0) {
        CHECK(h5attr_put_ints(g, RF_J_INPUT_SHAPE, in->x_shape, in->x_rank, where, e));
        CHECK(h5attr_put_int(g, RF_J_N_CLASSES, H5T_STD_I32LE, in->n_classes, where, e));
    }
    return 0;
fail:
    return -1;
}

/* what a dataset holds, NeXus style: @axes (one name per dimension),
 * @units, @long_name; NULL units/axes are left out */
typedef struct {
    const char *long_name, *units, *fill;   /* fill: what an unwritten element holds */
    int rank;
    const char *axes[3];
} dset_doc;

/* Serial (rank 0's handle): opens loc/name and writes its describing attributes */
static int dset_describe(hid_t loc, const char *name, const dset_doc *doc, int epochs,
                         int splits, int select, const char *where, dett_err *e)
{
    static const char *const split_names[] = RF_SPLIT_NAMES;
    hid_t d = -1;
    int rc = -1;
    CHECK_H5(e, d = H5Dopen2(loc, name, H5P_DEFAULT), "%s/%s: cannot open", where, name);
    CHECK(h5attr_put_text(d, RF_X_LONG_NAME, doc->long_name, where, e));
    if (doc->units) CHECK(h5attr_put_text(d, RF_X_UNITS, doc->units, where, e));
    CHECK(h5attr_put_texts(d, RF_X_AXES, doc->axes, doc->rank, where, e));
    if (epochs) CHECK(h5attr_put_int(d, RF_X_EPOCH_BASE, H5T_STD_I32LE, 0, where, e));
    if (splits) CHECK(h5attr_put_texts(d, RF_X_SPLIT, split_names, RF_N_SPLITS, where, e));
    if (select) CHECK(h5attr_put_texts(d, RF_X_SELECT, select_names, RF_N_SEL, where, e));
    CHECK(h5attr_put_text(d, RF_X_FILL, doc->fill, where, e));
    rc = 0;
fail:
    h5_close(d, H5Dclose, &rc, e, where);
    return rc;
}

/* Serial (rank 0's handle): the describing attributes of every dataset of a job */
static int job_describe(hid_t g, hid_t dg, const char *where, dett_err *e)
{
    static const dset_doc loss = {"mean training objective per epoch", "1", "NaN", 1, {RF_AX_EPOCH}};
    static const dset_doc acc = {"per-group accuracy (fraction of rows)", "1", "NaN", 3,
                                 {RF_AX_EPOCH, RF_AX_SPLIT, RF_AX_GROUP}};
    static const dset_doc worst = {"worst-group accuracy (fraction)", "1", "NaN", 2,
                                   {RF_AX_EPOCH, RF_AX_SPLIT}};
    static const dset_doc avg = {"accuracy averaged over groups weighted by the training "
                                 "group proportions (fraction)", "1", "NaN", 2,
                                 {RF_AX_EPOCH, RF_AX_SPLIT}};
    static const dset_doc mean = {"unweighted mean of the per-group accuracies (fraction)",
                                  "1", "NaN", 2, {RF_AX_EPOCH, RF_AX_SPLIT}};
    static const dset_doc sel = {"epoch index chosen by each selection rule", "epoch", "-1",
                                 1, {RF_AX_SELECT}};
    static const dset_doc params = {"parameters at the selected epoch, layout of "
                                    "kernels/layer.h (see dett export)", NULL, "0", 1,
                                    {RF_AX_PARAM}};
    static const dset_doc cka = {"linear CKA of teacher and student features on the test "
                                 "rows of each group", "1", "NaN", 1, {RF_AX_GROUP}};
    static const dset_doc mse = {"mean squared difference of teacher and student features "
                                 "on the test rows of each group", NULL, "NaN", 1,
                                 {RF_AX_GROUP}};
    CHECK(dset_describe(g, RF_D_TRAIN_LOSS, &loss, 1, 0, 0, where, e));
    CHECK(dset_describe(g, RF_D_ACC, &acc, 1, 1, 0, where, e));
    CHECK(dset_describe(g, RF_D_WORST, &worst, 1, 1, 0, where, e));
    CHECK(dset_describe(g, RF_D_AVG, &avg, 1, 1, 0, where, e));
    CHECK(dset_describe(g, RF_D_MEAN, &mean, 1, 1, 0, where, e));
    CHECK(dset_describe(g, RF_D_SELECTED, &sel, 1, 0, 1, where, e));
    CHECK(dset_describe(g, RF_D_PARAMS, &params, 0, 0, 0, where, e));
    if (dg >= 0) {
        CHECK(dset_describe(dg, RF_D_CKA, &cka, 0, 0, 0, where, e));
        CHECK(dset_describe(dg, RF_D_FEATURE_MSE, &mse, 0, 0, 0, where, e));
    }
    return 0;
fail:
    return -1;
}

/* Serial (rank 0's handle): /jobs/<id> with its attributes and fill-valued datasets */
static int job_make(hid_t f, const char *tmp, const job_spec *j, const results_jobinfo *in,
                    dett_err *e)
{
    char where[RESULTS_PATH], name[80];
    hid_t g = -1, dg = -1;
    int rc = -1;
    const double nan = NAN;
    const int32_t minus1 = -1;
    const float zero = 0.0f;
    hsize_t E = dim1(in->epochs), G = dim1(in->groups);
    hsize_t d_acc[3] = {E, 2, G}, d_e2[2] = {E, 2}, d_sel[1] = {RF_N_SEL};
    hsize_t d_p[1] = {dim1((int64_t)in->n_params)};
    snprintf(name, sizeof name, RF_JOBS "/%s", j->id);
    snprintf(where, sizeof where, "%.1000s: %s", tmp, name);
    CHECK_H5(e, g = H5Gcreate2(f, name, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT),
             "%s: cannot create the group (duplicate id?)", where);
    CHECK(job_attrs(g, j, in, where, e));
    CHECK(dset_make(g, RF_D_TRAIN_LOSS, H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, &nan, 1, &E, where,
                    e));
    CHECK(dset_make(g, RF_D_ACC, H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, &nan, 3, d_acc, where, e));
    CHECK(dset_make(g, RF_D_WORST, H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, &nan, 2, d_e2, where, e));
    CHECK(dset_make(g, RF_D_AVG, H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, &nan, 2, d_e2, where, e));
    CHECK(dset_make(g, RF_D_MEAN, H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, &nan, 2, d_e2, where, e));
    CHECK(dset_make(g, RF_D_SELECTED, H5T_STD_I32LE, H5T_NATIVE_INT32, &minus1, 1, d_sel,
                    where, e));
    CHECK(dset_make(g, RF_D_PARAMS, H5T_IEEE_F32LE, H5T_NATIVE_FLOAT, &zero, 1, d_p, where, e));
    if (j->kind == JOB_IDENT) {
        static const dset_doc eg = {"rows of each training group in the identification "
                                    "model's error set", NULL, "-1", 1, {RF_AX_GROUP}};
        const int64_t m1 = -1;
        CHECK(dset_make(g, RF_D_ERROR_GROUPS, H5T_STD_I64LE, H5T_NATIVE_INT64, &m1, 1, &G, where,
                        e));
        CHECK(dset_describe(g, RF_D_ERROR_GROUPS, &eg, 0, 0, 0, where, e));
    }
    if (in->diagnostics) {
        CHECK_H5(e, dg = H5Gcreate2(g, RF_DIAGNOSTICS, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT),
                 "%s: cannot create " RF_DIAGNOSTICS, where);
        CHECK(dset_make(dg, RF_D_CKA, H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, &nan, 1, &G, where, e));
        CHECK(dset_make(dg, RF_D_FEATURE_MSE, H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, &nan, 1, &G,
                        where, e));
    }
    if (in->dfr) {
        static const char *const fields[RF_DFR_N_CHOICE] = RF_DFR_CHOICE_NAMES;
        static const char *const cols[3] = {"lambda", "val_worst", "val_acc"};
        hsize_t ds[2] = {RF_DFR_N_LAMBDAS, 3}, dc[1] = {RF_DFR_N_CHOICE};
        hid_t fg = -1;
        int frc = -1;
        CHECK_H5(e, fg = H5Gcreate2(g, RF_DFR, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT),
                 "%s: cannot create " RF_DFR, where);
        static const dset_doc r_acc = {"the DFR refit's per-group accuracy (fraction of rows)",
                                       "1", "NaN", 2, {RF_AX_SPLIT, RF_AX_GROUP}};
        static const dset_doc r_worst = {"the DFR refit's worst-group accuracy (fraction)", "1",
                                         "NaN", 1, {RF_AX_SPLIT}};
        static const dset_doc r_avg = {"the DFR refit's accuracy averaged over groups weighted "
                                       "by the training group proportions (fraction)", "1",
                                       "NaN", 1, {RF_AX_SPLIT}};
        static const dset_doc r_mean = {"the DFR refit's unweighted mean of the per-group "
                                        "accuracies (fraction)", "1", "NaN", 1, {RF_AX_SPLIT}};
        hsize_t d_r[2] = {RF_N_SPLITS, G}, two = RF_N_SPLITS;
        if (dset_make(fg, RF_D_DFR_SCORES, H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, &nan, 2, ds, where,
                      e) == 0 &&
            dset_make(fg, RF_D_DFR_CHOICE, H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, &nan, 1, dc, where,
                      e) == 0 &&
            dset_make(fg, RF_D_DFR_ACC, H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, &nan, 2, d_r, where,
                      e) == 0 &&
            dset_make(fg, RF_D_DFR_WORST, H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, &nan, 1, &two, where,
                      e) == 0 &&
            dset_make(fg, RF_D_DFR_AVG, H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, &nan, 1, &two, where,
                      e) == 0 &&
            dset_make(fg, RF_D_DFR_MEAN, H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, &nan, 1, &two, where,
                      e) == 0 &&
            dset_describe(fg, RF_D_DFR_ACC, &r_acc, 0, 1, 0, where, e) == 0 &&
            dset_describe(fg, RF_D_DFR_WORST, &r_worst, 0, 1, 0, where, e) == 0 &&
            dset_describe(fg, RF_D_DFR_AVG, &r_avg, 0, 1, 0, where, e) == 0 &&
            dset_describe(fg, RF_D_DFR_MEAN, &r_mean, 0, 1, 0, where, e) == 0)
            frc = 0;
        hid_t d = frc == 0 ? H5Dopen2(fg, RF_D_DFR_CHOICE, H5P_DEFAULT) : -1;
        if (frc == 0 && (d < 0 || h5attr_put_texts(d, RF_X_FIELDS, fields, RF_DFR_N_CHOICE,
                                                     where, e)))
            frc = d < 0 ? dett_fail(e, "%s: cannot open " RF_DFR "/choice", where) : -1;
        if (d >= 0) H5Dclose(d);
        d = frc == 0 ? H5Dopen2(fg, RF_D_DFR_SCORES, H5P_DEFAULT) : -1;
        if (frc == 0 && (d < 0 || h5attr_put_texts(d, RF_X_FIELDS, cols, 3, where, e)))
            frc = d < 0 ? dett_fail(e, "%s: cannot open " RF_DFR "/scores", where) : -1;
        if (d >= 0) H5Dclose(d);
        H5Gclose(fg);
        CHECK(frc);
    }
    CHECK(job_describe(g, dg, where, e));
    if (in->n_layers > 0) CHECK(layers_put(g, in, where, e));
    rc = 0;
fail:
    h5_close(dg, H5Gclose, &rc, e, where);
    h5_close(g, H5Gclose, &rc, e, where);
    return rc;
}

/* Serial (rank 0's handle): /artifacts/<hash> with params (and error_set for ident jobs) */
static int art_make(hid_t arts, const char *tmp, const job_spec *j, const res_art *a,
                    dett_err *e)
{
    static const dset_doc params = {"parameters of a teacher or identification model at "
                                    "its selected epoch, layout of kernels/layer.h", NULL, "0", 1,
                                    {RF_AX_PARAM}};
    static const dset_doc errset = {"1 where the identification model misclassifies the "
                                    "training row (data-file row order)", NULL, "0", 1,
                                    {RF_AX_ROW}};
    char where[RESULTS_PATH];
    hid_t g = -1;
    int rc = -1;
    const float zero = 0.0f;
    const uint8_t zero8 = 0;
    hsize_t d_p[1] = {dim1((int64_t)a->P)}, d_n[1] = {dim1(a->n_train)};
    snprintf(where, sizeof where, "%.1000s: " RF_ARTIFACTS "/%.64s", tmp, j->hash);
    CHECK_H5(e, g = H5Gcreate2(arts, j->hash, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT),
             "%s: cannot create the group", where);
    CHECK(dset_make(g, RF_D_PARAMS, H5T_IEEE_F32LE, H5T_NATIVE_FLOAT, &zero, 1, d_p, where, e));
    CHECK(dset_describe(g, RF_D_PARAMS, &params, 0, 0, 0, where, e));
    if (j->kind == JOB_IDENT) {
        CHECK(dset_make(g, RF_D_ERROR_SET, H5T_STD_U8LE, H5T_NATIVE_UINT8, &zero8, 1, d_n,
                        where, e));
        CHECK(dset_describe(g, RF_D_ERROR_SET, &errset, 0, 0, 0, where, e));
    }
    rc = 0;
fail:
    h5_close(g, H5Gclose, &rc, e, where);
    return rc;
}

/* Serial (rank 0's handle): an empty, extensible job table (chunked, unlimited rows,
 * allocated early so that rows written later never allocate) */
static int table_make(hid_t f, const char *tmp, dett_err *e)
{
    hid_t ft = -1, mt = -1, sp = -1, dcpl = -1, d = -1;
    results_row zero;
    hsize_t n = 0, maxn = H5S_UNLIMITED, chunk = 64;
    int rc = -1;
    memset(&zero, 0, sizeof zero);
    CHECK_H5(e, ft = row_type_new(1), "%s: cannot make the table type", tmp);
    CHECK_H5(e, mt = row_type_new(0), "%s: cannot make the table type", tmp);
    CHECK_H5(e, sp = H5Screate_simple(1, &n, &maxn), "%s: H5Screate_simple", tmp);
    CHECK_H5(e, dcpl = H5Pcreate(H5P_DATASET_CREATE), "%s: H5Pcreate", tmp);
    CHECK_H5(e, H5Pset_chunk(dcpl, 1, &chunk), "%s: H5Pset_chunk", tmp);
    CHECK_H5(e, H5Pset_alloc_time(dcpl, H5D_ALLOC_TIME_EARLY), "%s: H5Pset_alloc_time", tmp);
    CHECK_H5(e, H5Pset_fill_time(dcpl, H5D_FILL_TIME_ALLOC), "%s: H5Pset_fill_time", tmp);
    CHECK_H5(e, H5Pset_fill_value(dcpl, mt, &zero), "%s: H5Pset_fill_value", tmp);
    CHECK_H5(e, d = H5Dcreate2(f, RF_TABLE, ft, sp, H5P_DEFAULT, dcpl, H5P_DEFAULT),
             "%s: cannot create " RF_TABLE, tmp);   /* collective */
    {   /* what the table is: its rows and the names of the status values */
        static const char *const status[] = RF_STATUS_NAMES;
        static const char *const axes[] = {RF_AX_JOB};
        CHECK(h5attr_put_text(d, RF_X_LONG_NAME, "one row per job of the store, in the order "
                              "the jobs were first asked for", tmp, e));
        CHECK(h5attr_put_texts(d, RF_X_AXES, axes, 1, tmp, e));
        CHECK(h5attr_put_texts(d, RF_X_STATUS, status, RF_N_STATUS, tmp, e));
    }
    rc = 0;
fail:
    h5_close(d, H5Dclose, &rc, e, RF_TABLE);
    h5_close(dcpl, H5Pclose, &rc, e, RF_TABLE);
    h5_close(sp, H5Sclose, &rc, e, RF_TABLE);
    h5_close(mt, H5Tclose, &rc, e, RF_TABLE);
    h5_close(ft, H5Tclose, &rc, e, RF_TABLE);
    return rc;
}

/* Serial (rank 0's handle): the empty store into file f: root attributes, the groups and
 * an empty table (everything closed again) */
static int layout_build(hid_t f, const char *tmp, const results_meta *meta, const char *start,
                        dett_err *e)
{
    static const char *const groups[] = {RF_JOBS, RF_ARTIFACTS, RF_SCRIPTS, RF_CHECKPOINTS};
    int rc = -1;
    CHECK(root_attrs(f, tmp, 0, meta, start, 1, e));
    for (size_t k = 0; k < sizeof groups / sizeof groups[0]; k++) {
        hid_t g;
        CHECK_H5(e, g = H5Gcreate2(f, groups[k], H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT),
                 "%s: cannot create %s", tmp, groups[k]);
        CHECK_H5(e, H5Gclose(g), "%s: %s: close failed", tmp, groups[k]);
    }
    CHECK(table_make(f, tmp, e));
    rc = 0;
fail:
    return rc;
}

/* rank 0's UTC clock as "YYYY-MM-DDTHH:MM:SSZ", broadcast (collective) */
static int clock_shared(MPI_Comm comm, char start[32], dett_err *e)
{
    int rank, rc = 0;
    CHECK_MPI(e, MPI_Comm_rank(comm, &rank));
    memset(start, 0, 32);
    if (rank == 0) {
        time_t now = time(NULL);
        struct tm tm;
        if (now == (time_t)-1 || !gmtime_r(&now, &tm) ||
            !strftime(start, 32, "%Y-%m-%dT%H:%M:%SZ", &tm))
            rc = dett_fail(e, "cannot read the clock");
    }
    if (agree(comm, rc, e)) return -1;
    CHECK_MPI(e, MPI_Bcast(start, 32, MPI_CHAR, 0, comm));
    return 0;
fail:
    return -1;
}

/* Bytes a store needs for r's jobs (only_new: the jobs this run adds),
 * the same on every rank: the raw data exactly (datasets are allocated at
 * creation), metadata generously (about 13 KB per job measured, 32 KB
 * counted; 64 KB and four copies of the script for the root, the table
 * and /scripts). An overestimate only refuses a run on a nearly full disk. */
static int64_t layout_need(const results *r, int only_new, const results_meta *meta)
{
    int64_t n = 65536 + 4 * (int64_t)(meta && meta->script_text ? strlen(meta->script_text) : 0);
    for (int i = 0; i < r->n_jobs; i++) {
        const res_job *j = &r->job[i];
        if (only_new && !j->isnew) continue;
        int64_t E = (int64_t)dim1(j->E), G = (int64_t)dim1(j->G);
        n += 32768 + 8 * E + 16 * E * G + 3 * 16 * E + 4 * RF_N_SEL;   /* curves, selected */
        n += 4 * (int64_t)dim1((int64_t)j->P);                           /* params */
        n += 16 * G + 8 * G;   /* diagnostics, error_groups */
        if (j->dfr) n += 8 * (RF_DFR_N_LAMBDAS * 3 + RF_DFR_N_CHOICE) + 16 * G + 3 * 16;
        if (j->n32 > 0) n += 2 * (4 * j->n32 + 8 * j->n64) + 8 + 4096;
    }
    for (int k = 0; k < r->n_art; k++) {
        const res_art *a = &r->art[k];
        if (only_new && !r->job[a->owner].isnew) continue;
        n += 4096 + 4 * (int64_t)dim1((int64_t)a->P) + (int64_t)dim1(a->n_train);
    }
    return n;
}

/* Serial, rank 0: builds the empty store in "<path>.tmp" through a
 * serial handle, flushes and closes it (the caller grows it next, reopened,
 * and renames it to path when complete, so path never names a half-made
 * file). The whole store's space is reserved first, before HDF5 writes
 * anything (reserve.h). tmp is left for the caller to remove on failure. */
static int layout_create(const char *tmp, const char *path, const results_meta *meta,
                         const char *start, int64_t need, dett_err *e)
{
    hid_t fapl = -1, f = -1;
    int rc = -1;
    if (space_reserve(tmp, path, 1, need, e) < 0) return -1;
    if ((fapl = fapl_new(0, MPI_COMM_SELF, e)) < 0) goto fail;
    CHECK_H5(e, f = H5Fcreate(tmp, H5F_ACC_TRUNC, H5P_DEFAULT, fapl),
             "%s: cannot create the file", tmp);
    /* again: the truncation in H5Fcreate may have given it back (ext4) */
    if (space_reserve(tmp, path, 0, need, e) < 0) goto fail;
    CHECK(layout_build(f, tmp, meta, start, e));
    CHECK_H5(e, H5Fflush(f, H5F_SCOPE_GLOBAL), "%s: H5Fflush failed", tmp);
    rc = 0;
fail:
    if (f >= 0 && H5Fclose(f) < 0 && rc == 0) rc = dett_fail(e, "%s: H5Fclose failed", tmp);
    h5_close(fapl, H5Pclose, &rc, e, "file access list");
    return rc;
}

/* ---- growing the store -------------------------------------------------- */

/* Serial: removes link name of loc if it exists (a group left half-made
 * by a run killed, or failed, while it grew the store) */
static int link_drop(hid_t loc, const char *name, const char *where, dett_err *e)
{
    htri_t ex;
    CHECK_H5(e, ex = H5Lexists(loc, name, H5P_DEFAULT), "%s: cannot query %s", where, name);
    if (ex > 0) CHECK_H5(e, H5Ldelete(loc, name, H5P_DEFAULT), "%s: cannot remove %s", where, name);
    return 0;
fail:
    return -1;
}

/* Serial (rank 0's handle): the whole job table of the open file; *rows
 * malloc'd (terminated strings), the caller frees */
static int table_read_all(results *r, results_row **rows, hsize_t *n, dett_err *e)
{
    hid_t d = -1, sp = -1;
    results_row *t = NULL;
    int rc = -1;
    *rows = NULL;
    CHECK_H5(e, d = H5Dopen2(r->file, RF_TABLE, H5P_DEFAULT), "%s: cannot open " RF_TABLE,
             r->path);
    CHECK_H5(e, sp = H5Dget_space(d), "%s: " RF_TABLE ": H5Dget_space", r->path);
    if (H5Sget_simple_extent_ndims(sp) != 1 || H5Sget_simple_extent_dims(sp, n, NULL) < 0) {
        dett_fail(e, "%s: " RF_TABLE " is not one-dimensional", r->path);
        goto fail;
    }
    t = calloc((size_t)(*n ? *n : 1), sizeof *t);
    CHECK_ALLOC(e, t);
    if (*n > 0)
        CHECK_H5(e, H5Dread(d, r->row_type, H5S_ALL, H5S_ALL, H5P_DEFAULT, t),
                 "%s: cannot read " RF_TABLE, r->path);
    for (hsize_t i = 0; i < *n; i++) {
        t[i].id[sizeof t[i].id - 1] = '\0';
        t[i].hash[sizeof t[i].hash - 1] = '\0';
    }
    *rows = t;
    t = NULL;
    rc = 0;
fail:
    free(t);
    h5_close(sp, H5Sclose, &rc, e, RF_TABLE);
    h5_close(d, H5Dclose, &rc, e, RF_TABLE);
    return rc;
}

static int row_hash_cmp(const void *a, const void *b)
{
    return strcmp(((const results_row *)a)->hash, ((const results_row *)b)->hash);
}

/* the row index of hash in rows[0..n) (sorted copy s with original indices
 * in the ranks field is not kept: a linear search on a sorted copy) */
static long row_find(const results_row *sorted, const int32_t *orig, hsize_t n, const char *hash)
{
    results_row key;
    memset(&key, 0, sizeof key);
    snprintf(key.hash, sizeof key.hash, "%s", hash);
    const results_row *hit = bsearch(&key, sorted, (size_t)n, sizeof key, row_hash_cmp);
    return hit ? (long)orig[hit - sorted] : -1;
}

/* A sorted copy of rows by hash, with each entry's original index */
static int rows_sorted(const results_row *rows, hsize_t n, results_row **s, int32_t **orig,
                       dett_err *e)
{
    typedef struct { results_row r; int32_t i; } pair;
    pair *p = malloc((size_t)(n ? n : 1) * sizeof *p);
    *s = malloc((size_t)(n ? n : 1) * sizeof **s);
    *orig = malloc((size_t)(n ? n : 1) * sizeof **orig);
    if (!p || !*s || !*orig) {
        free(p);
        free(*s);
        free(*orig);
        *s = NULL;
        *orig = NULL;
        return dett_fail(e, "%s:%d: out of memory", __FILE__, __LINE__);
    }
    for (hsize_t i = 0; i < n; i++) p[i] = (pair){rows[i], (int32_t)i};
    qsort(p, (size_t)n, sizeof *p, row_hash_cmp);   /* r is the first member */
    for (hsize_t i = 0; i < n; i++) {
        (*s)[i] = p[i].r;
        (*orig)[i] = p[i].i;
    }
    free(p);
    return 0;
}

/* Serial: the /scripts/<sha256> entry of this run (its text, path, time
 * and the rows of its jobs), replacing an earlier run's entry of the same
 * script */
static int script_entry(results *r, const results_meta *meta, const char *start, dett_err *e)
{
    char name[RESULTS_PATH];
    hid_t g = -1;
    int rc = -1;
    int *rows = malloc((size_t)(r->n_jobs ? r->n_jobs : 1) * sizeof *rows);
    CHECK_ALLOC(e, rows);
    for (int i = 0; i < r->n_jobs; i++) rows[i] = r->job[i].row;
    snprintf(name, sizeof name, RF_SCRIPTS "/%.64s", meta->script_sha256);
    CHECK(link_drop(r->file, name, r->path, e));
    CHECK_H5(e, g = H5Gcreate2(r->file, name, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT),
             "%s: cannot create %s", r->path, name);
    CHECK(h5attr_put_text(g, RF_S_SCRIPT, meta->script_text, name, e));
    CHECK(h5attr_put_text(g, RF_S_SCRIPT_PATH, meta->script_path, name, e));
    CHECK(h5attr_put_text(g, RF_S_LAST_RUN, start, name, e));
    CHECK(h5attr_put_ints(g, RF_S_ROWS, rows, r->n_jobs, name, e));
    rc = 0;
fail:
    free(rows);
    h5_close(g, H5Gclose, &rc, e, name);
    return rc;
}

/* Serial: the table grows by the new jobs' rows */
static int table_grow(results *r, const job_list *jobs, hsize_t n_old, hsize_t n_new,
                      dett_err *e)
{
    hid_t d = -1, fs = -1, ms = -1;
    results_row *add = NULL;
    int rc = -1;
    hsize_t total = n_old + n_new, start = n_old, count = n_new;
    add = calloc((size_t)(n_new ? n_new : 1), sizeof *add);
    CHECK_ALLOC(e, add);
    for (int i = 0; i < r->n_jobs; i++) {
        if (!r->job[i].isnew) continue;
        results_row *w = &add[(hsize_t)r->job[i].row - n_old];
        field_set(w->id, sizeof w->id, jobs->jobs[i].id);
        field_set(w->kind, sizeof w->kind, kind_name(jobs->jobs[i].kind));
        field_set(w->hash, sizeof w->hash, jobs->jobs[i].hash);
        w->status = JOB_PENDING;
    }
    CHECK_H5(e, d = H5Dopen2(r->file, RF_TABLE, H5P_DEFAULT), "%s: cannot open " RF_TABLE,
             r->path);
    CHECK_H5(e, H5Dset_extent(d, &total), "%s: cannot extend " RF_TABLE, r->path);
    if (n_new == 0) {   /* only unwritten rows of a killed run were dropped */
        rc = 0;
        goto fail;
    }
    CHECK_H5(e, fs = H5Dget_space(d), "%s: " RF_TABLE ": H5Dget_space", r->path);
    CHECK_H5(e, ms = H5Screate_simple(1, &count, NULL), "%s: H5Screate_simple", r->path);
    CHECK_H5(e, H5Sselect_hyperslab(fs, H5S_SELECT_SET, &start, NULL, &count, NULL),
             "%s: " RF_TABLE ": select", r->path);
    CHECK_H5(e, H5Dwrite(d, r->row_type, ms, fs, H5P_DEFAULT, add),
             "%s: cannot write " RF_TABLE, r->path);
    rc = 0;
fail:
    free(add);
    h5_close(ms, H5Sclose, &rc, e, RF_TABLE);
    h5_close(fs, H5Sclose, &rc, e, RF_TABLE);
    h5_close(d, H5Dclose, &rc, e, RF_TABLE);
    return rc;
}

/* Serial: /checkpoints/<hash> of job j: two empty slots */
static int ckpt_make(results *r, const res_job *j, dett_err *e)
{
    char name[RESULTS_PATH];
    hid_t g = -1;
    int rc = -1;
    const float zf = 0.0f;
    const double zd = 0.0;
    const int32_t none = -1;
    hsize_t d32[2] = {2, (hsize_t)j->n32}, d64[2] = {2, (hsize_t)j->n64}, two = 2;
    snprintf(name, sizeof name, RF_CHECKPOINTS "/%s", j->hash);
    CHECK(link_drop(r->file, name, r->path, e));
    CHECK_H5(e, g = H5Gcreate2(r->file, name, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT),
             "%s: cannot create %s", r->path, name);
    CHECK(dset_make(g, RF_C_F32, H5T_IEEE_F32LE, H5T_NATIVE_FLOAT, &zf, 2, d32, name, e));
    CHECK(dset_make(g, RF_C_F64, H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, &zd, 2, d64, name, e));
    CHECK(dset_make(g, RF_C_MARK, H5T_STD_I32LE, H5T_NATIVE_INT32, &none, 1, &two, name, e));
    rc = 0;
fail:
    h5_close(g, H5Gclose, &rc, e, name);
    return rc;
}

/* Serial, rank 0, on r->file (its serial handle): places every job of the
 * script in the store. A job whose hash the table holds keeps its row (its
 * id must be the stored one: results_adopt_ids); the others get new rows
 * at the end, their /jobs/<id> and /artifacts/<hash> (and
 * /checkpoints/<hash>) groups. Then the root attributes and the /scripts
 * entry of this run; flushed. Sets r->n_rows and each job's row and isnew
 * (setup_share sends them to the other ranks). fpath: the file r->file
 * is (the temporary of a new store), for the reserve. */
static int store_grow(results *r, const char *fpath, const job_list *jobs,
                      const results_jobinfo *info, const results_meta *meta,
                      const char *start, dett_err *e)
{
    results_row *rows = NULL, *sorted = NULL;
    int32_t *orig = NULL;
    hsize_t n = 0, n_new = 0, n_ext = 0;
    hid_t ga = -1;
    int rc = table_read_all(r, &rows, &n_ext, e);
    /* rows a run killed while it grew the table left unwritten (no hash)
     * are taken again */
    for (n = n_ext; rc == 0 && n > 0 && rows[n - 1].hash[0] == '\0';) n--;
    if (rc == 0) rc = rows_sorted(rows, n, &sorted, &orig, e);
    for (int i = 0; rc == 0 && i < r->n_jobs; i++) {
        long k = row_find(sorted, orig, n, jobs->jobs[i].hash);
        if (k >= 0 && strcmp(rows[k].id, jobs->jobs[i].id) != 0)
            rc = dett_fail(e, "%s: job %s is %s in the file (ids not adopted)", r->path,
                           jobs->jobs[i].id, rows[k].id);
        r->job[i].isnew = k < 0;
        r->job[i].row = k >= 0 ? (int)k : (int)(n + n_new++);
    }
    if (rc) goto out;
    /* the new jobs' space before any metadata changes (even without new
     * jobs, the root attributes and the script's entry are rewritten): a
     * refusal leaves the store as it was (reserve.h) */
    if (space_reserve(fpath, r->path, 0, layout_need(r, 1, meta), e) < 0) {
        rc = -1;
        goto out;
    }
    for (int i = 0; rc == 0 && i < r->n_jobs; i++) {
        if (!r->job[i].isnew) continue;
        char name[80];
        snprintf(name, sizeof name, RF_JOBS "/%s", jobs->jobs[i].id);
        rc = link_drop(r->file, name, r->path, e);
        if (rc == 0) rc = job_make(r->file, r->path, &jobs->jobs[i], &info[i], e);
    }
    if (rc == 0 && (ga = H5Gopen2(r->file, RF_ARTIFACTS, H5P_DEFAULT)) < 0)
        rc = dett_fail(e, "%s: cannot open " RF_ARTIFACTS, r->path);
    for (int k = 0; rc == 0 && k < r->n_art; k++) {
        const job_spec *o = &jobs->jobs[r->art[k].owner];
        if (!r->job[r->art[k].owner].isnew) continue;
        rc = link_drop(ga, o->hash, r->path, e);
        if (rc == 0) rc = art_make(ga, r->path, o, &r->art[k], e);
    }
    for (int i = 0; rc == 0 && i < r->n_jobs; i++)
        if (r->job[i].isnew && r->job[i].n32 > 0) rc = ckpt_make(r, &r->job[i], e);
    if (rc == 0 && (n_new > 0 || n_ext != n)) rc = table_grow(r, jobs, n, n_new, e);
    if (rc == 0) rc = root_attrs(r->file, r->path, (int64_t)(n + n_new), meta, start, 0, e);
    if (rc == 0) rc = script_entry(r, meta, start, e);
    if (rc == 0 && H5Fflush(r->file, H5F_SCOPE_GLOBAL) < 0)
        rc = dett_fail(e, "%s: H5Fflush failed", r->path);
    r->n_rows = (int)(n + n_new);
out:
    h5_close(ga, H5Gclose, &rc, e, RF_ARTIFACTS);
    free(rows);
    free(sorted);
    free(orig);
    return rc;
}

/* ---- opening the handles ------------------------------------------------ */

/* closes every handle (this rank's: the file is open on MPI_COMM_SELF,
 * see file_open) and frees r */
static int handles_close(results *r, dett_err *e)
{
    int rc = 0;
    if (!r) return 0;
    for (int i = 0; r->job && i < r->n_jobs; i++) {
        hid_t *h[] = {&r->job[i].train_loss, &r->job[i].acc, &r->job[i].worst,
                      &r->job[i].avg, &r->job[i].mean, &r->job[i].selected,
                      &r->job[i].params, &r->job[i].diag_cka, &r->job[i].diag_mse,
                      &r->job[i].dfr_scores, &r->job[i].dfr_choice, &r->job[i].dfr_acc,
                      &r->job[i].dfr_worst, &r->job[i].dfr_avg, &r->job[i].dfr_mean,
                      &r->job[i].error_groups, &r->job[i].ck_f32, &r->job[i].ck_f64,
                      &r->job[i].ck_mark};
        for (size_t k = 0; k < sizeof h / sizeof h[0]; k++)
            if (*h[k] >= 0 && H5Dclose(*h[k]) < 0 && rc == 0)
                rc = dett_fail(e, "%s: H5Dclose (job %s) failed", r->path, r->job[i].id);
    }
    for (int k = 0; r->art && k < r->n_art; k++) {
        if (r->art[k].params >= 0 && H5Dclose(r->art[k].params) < 0 && rc == 0)
            rc = dett_fail(e, "%s: H5Dclose (artifact) failed", r->path);
        if (r->art[k].error_set >= 0 && H5Dclose(r->art[k].error_set) < 0 && rc == 0)
            rc = dett_fail(e, "%s: H5Dclose (artifact) failed", r->path);
    }
    if (r->table >= 0 && H5Dclose(r->table) < 0 && rc == 0)
        rc = dett_fail(e, "%s: H5Dclose (" RF_TABLE ") failed", r->path);
    if (r->row_type >= 0 && H5Tclose(r->row_type) < 0 && rc == 0)
        rc = dett_fail(e, "%s: H5Tclose failed", r->path);
    if (r->dxpl >= 0 && H5Pclose(r->dxpl) < 0 && rc == 0)
        rc = dett_fail(e, "%s: H5Pclose failed", r->path);
    if (r->file >= 0 && H5Fclose(r->file) < 0 && rc == 0)   /* rewrites the superblock */
        rc = dett_fail(e, "%s: H5Fclose failed", r->path);
    free(r->job);
    free(r->art);
    free(r->path);
    free(r);
    return rc;
}

/* an empty results struct for n jobs: every handle -1 */
static results *results_alloc(const char *path, int n)
{
    results *r = calloc(1, sizeof *r);
    if (!r) return NULL;
    r->file = r->table = r->row_type = r->dxpl = -1;
    r->n_jobs = n;
    r->job = calloc((size_t)(n ? n : 1), sizeof *r->job);
    r->art = calloc((size_t)(n ? n : 1), sizeof *r->art);
    r->path = malloc(strlen(path) + 1);
    if (!r->job || !r->art || !r->path) {
        free(r->job);
        free(r->art);
        free(r->path);
        free(r);
        return NULL;
    }
    memcpy(r->path, path, strlen(path) + 1);
    for (int i = 0; i < n; i++) {
        res_job *j = &r->job[i];
        j->train_loss = j->acc = j->worst = j->avg = j->mean = j->selected = j->params = -1;
        j->diag_cka = j->diag_mse = -1;
        j->dfr_scores = j->dfr_choice = -1;
        j->dfr_acc = j->dfr_worst = j->dfr_avg = j->dfr_mean = -1;
        j->error_groups = -1;
        j->ck_f32 = j->ck_f64 = j->ck_mark = -1;
    }
    for (int k = 0; k < n; k++) r->art[k].params = r->art[k].error_set = -1;
    return r;
}

/* 1 if job j's stored checkpoint slots hold another number of values than
 * its layout has now: a file written before the layout changed (DEDIER's
 * readout joined the checkpoint; docs/results-format.md). Such a job runs
 * without checkpoints, as it did then. 0 if they match or cannot be read
 * (dset_open then says why). */
static int ckpt_layout_other(const results *r, const res_job *j)
{
    char p[RESULTS_PATH];
    hsize_t got[2] = {0, 0};
    snprintf(p, sizeof p, RF_CHECKPOINTS "/%s/%s", j->hash, RF_C_F32);
    hid_t d = H5Dopen2(r->file, p, H5P_DEFAULT), sp = d >= 0 ? H5Dget_space(d) : -1;
    int other = sp >= 0 && H5Sget_simple_extent_ndims(sp) == 2 &&
                H5Sget_simple_extent_dims(sp, got, NULL) >= 0 && got[1] != (hsize_t)j->n32;
    if (sp >= 0) H5Sclose(sp);
    if (d >= 0) H5Dclose(d);
    return other;
}

/* Opens every dataset of one job, checking shapes (all ranks, same order) */
static int job_open(results *r, int i, dett_err *e)
{
    res_job *j = &r->job[i];
    char p[RESULTS_PATH];
    hsize_t E = dim1(j->E), G = dim1(j->G);
    hsize_t d_acc[3] = {E, RF_N_SPLITS, G}, d_e2[2] = {E, RF_N_SPLITS}, d_sel[1] = {RF_N_SEL};
    hsize_t d_p[1] = {dim1((int64_t)j->P)};
#define OPEN_(h, name, rank, dims)                                                  \
    do {                                                                            \
        snprintf(p, sizeof p, RF_JOBS "/%s/%s", j->id, name);                       \
        if ((h = dset_open(r->file, r->path, p, rank, dims, e)) < 0) return -1;     \
    } while (0)
    OPEN_(j->train_loss, RF_D_TRAIN_LOSS, 1, &E);
    OPEN_(j->acc, RF_D_ACC, 3, d_acc);
    OPEN_(j->worst, RF_D_WORST, 2, d_e2);
    OPEN_(j->avg, RF_D_AVG, 2, d_e2);
    OPEN_(j->mean, RF_D_MEAN, 2, d_e2);
    OPEN_(j->selected, RF_D_SELECTED, 1, d_sel);
    OPEN_(j->params, RF_D_PARAMS, 1, d_p);
    if (j->diag) {
        OPEN_(j->diag_cka, RF_DIAGNOSTICS "/" RF_D_CKA, 1, &G);
        OPEN_(j->diag_mse, RF_DIAGNOSTICS "/" RF_D_FEATURE_MSE, 1, &G);
    }
    if (j->dfr) {
        hsize_t ds[2] = {RF_DFR_N_LAMBDAS, 3}, dc[1] = {RF_DFR_N_CHOICE};
        OPEN_(j->dfr_scores, RF_DFR "/" RF_D_DFR_SCORES, 2, ds);
        OPEN_(j->dfr_choice, RF_DFR "/" RF_D_DFR_CHOICE, 1, dc);
        hsize_t d_r[2] = {RF_N_SPLITS, G}, two = RF_N_SPLITS;
        OPEN_(j->dfr_acc, RF_DFR "/" RF_D_DFR_ACC, 2, d_r);
        OPEN_(j->dfr_worst, RF_DFR "/" RF_D_DFR_WORST, 1, &two);
        OPEN_(j->dfr_avg, RF_DFR "/" RF_D_DFR_AVG, 1, &two);
        OPEN_(j->dfr_mean, RF_DFR "/" RF_D_DFR_MEAN, 1, &two);
    }
    if (j->kind == JOB_IDENT) {   /* absent in files of dett before it: stays -1 */
        snprintf(p, sizeof p, RF_JOBS "/%s/" RF_D_ERROR_GROUPS, j->id);
        if (H5Lexists(r->file, p, H5P_DEFAULT) > 0) OPEN_(j->error_groups, RF_D_ERROR_GROUPS, 1, &G);
    }
#undef OPEN_
    if (j->n32 > 0 && ckpt_layout_other(r, j)) j->n32 = j->n64 = 0;   /* runs without */
    if (j->n32 > 0) {
        hsize_t d32[2] = {2, (hsize_t)j->n32}, d64[2] = {2, (hsize_t)j->n64}, two = 2;
#define CK_(h, name, rank, dims)                                                    \
    do {                                                                            \
        snprintf(p, sizeof p, RF_CHECKPOINTS "/%s/%s", j->hash, name);              \
        if ((h = dset_open(r->file, r->path, p, rank, dims, e)) < 0) return -1;     \
    } while (0)
        CK_(j->ck_f32, RF_C_F32, 2, d32);
        CK_(j->ck_f64, RF_C_F64, 2, d64);
        CK_(j->ck_mark, RF_C_MARK, 1, &two);
#undef CK_
    }
    return 0;
}

/* Collective: every rank opens path read-write with MPI-IO on its own
 * (MPI_COMM_SELF: r->file), for the run's raw writes only, and the transfer
 * list every later call uses. Per rank, not on comm: HDF5 1.10 rewrites
 * the superblock in every read-write H5Fclose (H5F__dest marks the EOA
 * dirty unconditionally), and on a shared handle that write sits inside a
 * collective flush where a failure on rank 0 leaves the others in HDF5's
 * barrier. On its own handle each rank rewrites the same 48 bytes (nothing
 * else changed since setup_serial closed the file) and a failure returns
 * to results_close, which agrees on it. */
static int file_open(results *r, MPI_Comm comm, dett_err *e)
{
    hid_t fapl = -1;
    int rc = 0;
    if ((fapl = fapl_new(1, MPI_COMM_SELF, e)) < 0) rc = -1;
    if ((rc = agree(comm, rc, e))) goto out;
    if ((r->file = H5Fopen(r->path, H5F_ACC_RDWR, fapl)) < 0)   /* this rank's */
        rc = dett_fail(e, "%s: cannot open it read-write with MPI-IO", r->path);
    if ((rc = agree(comm, rc, e))) goto out;
    if ((r->dxpl = H5Pcreate(H5P_DATASET_XFER)) < 0 ||
        H5Pset_dxpl_mpio(r->dxpl, H5FD_MPIO_INDEPENDENT) < 0)
        rc = dett_fail(e, "%s: cannot make the transfer property list", r->path);
    rc = agree(comm, rc, e);
out:
    h5_close(fapl, H5Pclose, &rc, e, "file access list");
    return rc;
}

/* Collective: every handle of the script's jobs (metadata reads: every
 * rank, same order; nothing is modified) */
static int handles_open(results *r, MPI_Comm comm, const job_list *jobs, dett_err *e)
{
    char p[RESULTS_PATH];
    int rc = 0;
    hsize_t n = (hsize_t)r->n_rows;
    if ((r->table = dset_open(r->file, r->path, RF_TABLE, 1, &n, e)) < 0) rc = -1;
    for (int i = 0; rc == 0 && i < r->n_jobs; i++) rc = job_open(r, i, e);
    for (int k = 0; rc == 0 && k < r->n_art; k++) {
        res_art *a = &r->art[k];
        const char *h = jobs->jobs[a->owner].hash;
        hsize_t d_p = dim1((int64_t)a->P), d_n = dim1(a->n_train);
        snprintf(p, sizeof p, RF_ARTIFACTS "/%s/" RF_D_PARAMS, h);
        if ((a->params = dset_open(r->file, r->path, p, 1, &d_p, e)) < 0) rc = -1;
        if (rc == 0 && jobs->jobs[a->owner].kind == JOB_IDENT) {
            snprintf(p, sizeof p, RF_ARTIFACTS "/%s/" RF_D_ERROR_SET, h);
            if ((a->error_set = dset_open(r->file, r->path, p, 1, &d_n, e)) < 0) rc = -1;
        }
    }
    return agree(comm, rc, e);
}

/* ---- the set-up on rank 0 ---------------------------------------------- */

/* the errno of the first failed system call HDF5's error stack reports
 * (its sec2 driver writes "errno = N" into the message), 0 if none */
typedef struct {
    int err;
} sys_note;

static herr_t sys_walk(unsigned n, const H5E_error2_t *ed, void *data)
{
    sys_note *note = data;
    const char *p;
    (void)n;
    if (!note->err && ed->desc && (p = strstr(ed->desc, "errno = "))) note->err = atoi(p + 8);
    return 0;
}

/* HDF5's automatic error handler during the set-up: prints nothing and
 * notes the errno of a failed system call (it runs when an API call fails,
 * before the next call clears the stack) */
static herr_t sys_auto(hid_t stack, void *data)
{
    H5Ewalk2(stack, H5E_WALK_DOWNWARD, sys_walk, data);
    return 0;
}

/* Serial, rank 0 alone: every metadata change of results_open, through a
 * serial (sec2) handle, so a failed write can leave no other rank inside
 * one of HDF5's collectives. A new store (path missing, or force) is built
 * in "<path>.tmp", grown by the jobs and renamed to path when complete (on
 * failure the .tmp is removed, path untouched); an existing one is checked
 * (existing_check: a refused file is never modified) and grown in place.
 * Fills r->n_rows and each job's row and isnew. A failed write is told in
 * one line naming path, with its errno. */
static int setup_serial(results *r, const char *path, const job_list *jobs,
                        const results_jobinfo *info, const results_meta *meta, int force,
                        const char *start, dett_err *e)
{
    char tmp[RESULTS_PATH];
    hid_t fapl = -1;
    int act = ACT_CREATE, rc = -1;
    sys_note note = {0};
    H5E_auto2_t fn = NULL;
    void *fd = NULL;
    if (snprintf(tmp, sizeof tmp, "%s.tmp", path) >= (int)sizeof tmp)
        return dett_fail(e, "%s: path too long", path);
    if (!force && (act = existing_check(path, NULL, NULL, RF_FORMAT_VERSION, NULL, e)) < 0)
        return -1;
    const char *fpath = act == ACT_CREATE ? tmp : path;
    CHECK_H5(e, H5Eget_auto2(H5E_DEFAULT, &fn, &fd), "H5Eget_auto2 failed");
    CHECK_H5(e, H5Eset_auto2(H5E_DEFAULT, sys_auto, &note), "H5Eset_auto2 failed");
    if (act == ACT_CREATE) CHECK(layout_create(tmp, path, meta, start, layout_need(r, 0, meta), e));
    if ((fapl = fapl_new(0, MPI_COMM_SELF, e)) < 0) goto fail;
    CHECK_H5(e, r->file = H5Fopen(fpath, H5F_ACC_RDWR, fapl), "%s: cannot open it read-write",
             fpath);
    CHECK(store_grow(r, fpath, jobs, info, meta, start, e));
    rc = 0;
fail:
    if (r->file >= 0 && H5Fclose(r->file) < 0 && rc == 0)
        rc = dett_fail(e, "%s: H5Fclose failed", fpath);
    r->file = -1;
    h5_close(fapl, H5Pclose, &rc, e, "file access list");
    if (H5Eset_auto2(H5E_DEFAULT, fn, fd) < 0 && rc == 0)
        rc = dett_fail(e, "H5Eset_auto2 failed (restoring HDF5 error printing)");
    if (rc == 0 && act == ACT_CREATE && rename(tmp, path) != 0)
        rc = dett_fail(e, "%s: cannot rename %s to it: %s", path, tmp, strerror(errno));
    if (rc && act == ACT_CREATE) remove(tmp);
    else space_release(path);   /* the layout is complete (or failed in place) */
    if (rc && note.err)   /* a failed write: which file, what, and what is left */
        dett_fail(e, "%s: write failed: %s (%s); %s", path, strerror(note.err),
                  act == ACT_CREATE ? "building the new file" : "adding this run's jobs",
                  act == ACT_CREATE ? "no file was left" :
                  "its finished jobs are kept, rerun to resume");
    return rc;
}

/* Collective: the other ranks learn what rank 0's set-up placed: the
 * table's rows and each job's row and isnew */
static int setup_share(results *r, MPI_Comm comm, dett_err *e)
{
    int n = r->n_jobs, rc = 0;
    int *v = malloc((size_t)(2 * n + 1) * sizeof *v);
    if (!v) rc = dett_fail(e, "%s:%d: out of memory", __FILE__, __LINE__);
    if (agree(comm, rc, e)) goto fail;
    v[0] = r->n_rows;
    for (int i = 0; i < n; i++) {
        v[1 + 2 * i] = r->job[i].row;
        v[2 + 2 * i] = r->job[i].isnew;
    }
    CHECK_MPI(e, MPI_Bcast(v, 2 * n + 1, MPI_INT, 0, comm));
    r->n_rows = v[0];
    for (int i = 0; i < n; i++) {
        r->job[i].row = v[1 + 2 * i];
        r->job[i].isnew = v[2 + 2 * i];
    }
    free(v);
    return 0;
fail:
    free(v);
    return -1;
}

/* ---- API ---------------------------------------------------------------- */

/* results_open once HDF5 printing is off; e is never NULL here. Rank 0
 * makes every metadata change alone (setup_serial), the ranks agree on its
 * status, and only then open the file with MPI-IO for the run's raw
 * writes (docs/design.md, "The results file"). */
static int open_quiet(results **out, const char *path, MPI_Comm comm, const job_list *jobs,
                      const results_jobinfo *info, const results_meta *meta, int force,
                      dett_err *e)
{
    results *r = NULL;
    int rank, rc = 0;
    char start[32];
    CHECK_MPI(e, MPI_Comm_rank(comm, &rank));
    if (!path || !jobs || !info || !meta || jobs->n < 0 || (jobs->n > 0 && !jobs->jobs))
        rc = dett_fail(e, "results_open: bad arguments");
    else if (!(r = results_alloc(path, jobs->n)))
        rc = dett_fail(e, "%s:%d: out of memory", __FILE__, __LINE__);
    else if ((rc = inputs_check(r, jobs, info, e)) == 0 && (r->row_type = row_type_new(0)) < 0)
        rc = dett_fail(e, "%s: cannot make the table type", path);
    if (agree(comm, rc, e)) goto fail;
    r->comm = comm;
    if (clock_shared(comm, start, e)) goto fail;
    rc = rank == 0 ? setup_serial(r, path, jobs, info, meta, force, start, e) : 0;
    if (agree(comm, rc, e) || setup_share(r, comm, e)) goto fail;
    if (file_open(r, comm, e)) goto fail;
    if (handles_open(r, comm, jobs, e)) goto fail;
    struct stat st;   /* what path names now: results_check_path compares */
    if (stat(path, &st) == 0) {
        r->dev = st.st_dev;
        r->ino = st.st_ino;
        r->have_ino = 1;
    }
    r->live = 1;
    *out = r;
    return 0;
fail:
    if (r) {   /* collective: every rank arrives here together (agree) */
        dett_err ignored;
        handles_close(r, &ignored);
    }
    return -1;
}

int results_adopt_ids(const char *path, MPI_Comm comm, job_list *jobs, int force,
                      int *n_stored, dett_err *ue)
{
    dett_err local;
    dett_err *e = ue ? ue : &local;
    results_row *rows = NULL, *sorted = NULL;
    int32_t *orig = NULL;
    hsize_t n = 0;
    long long nl = 0;
    int rank, rc = 0;
    h5_quiet q;
    if (n_stored) *n_stored = 0;
    CHECK_MPI(e, MPI_Comm_rank(comm, &rank));
    if (quiet_on(&q, e)) rc = -1;
    if (rc == 0 && rank == 0 && !force &&
        existing_check(path, &rows, &n, RF_FORMAT_VERSION, NULL, e) < 0)
        rc = -1;
    while (rc == 0 && rank == 0 && n > 0 && rows[n - 1].hash[0] == '\0') n--;   /* see store_grow */
    if ((rc = agree(comm, rc, e))) goto out;
    nl = (long long)n;
    CHECK_MPI(e, MPI_Bcast(&nl, 1, MPI_LONG_LONG, 0, comm));
    n = (hsize_t)nl;
    if (rank != 0 && n > 0 && !(rows = calloc((size_t)n, sizeof *rows)))
        rc = dett_fail(e, "%s:%d: out of memory", __FILE__, __LINE__);
    if ((rc = agree(comm, rc, e))) goto out;
    if (n > 0)
        CHECK_MPI(e, MPI_Bcast(rows, (int)(n * sizeof *rows), MPI_BYTE, 0, comm));
    if (rows_sorted(rows, n, &sorted, &orig, e)) rc = -1;
    if ((rc = agree(comm, rc, e))) goto out;
    /* stored jobs keep their ids; new ones count on from the table's size,
     * skipping any id in use */
    int next = (int)n;
    for (int i = 0; i < jobs->n; i++) {
        job_spec *j = &jobs->jobs[i];
        long k = row_find(sorted, orig, n, j->hash);
        if (k >= 0) {
            snprintf(j->id, sizeof j->id, "%s", rows[k].id);
            if (n_stored) (*n_stored)++;
            continue;
        }
        for (;; next++) {
            char id[16];
            int used = 0;
            snprintf(id, sizeof id, "j%03d", next);
            for (hsize_t m = 0; m < n && !used; m++) used = !strcmp(rows[m].id, id);
            if (!used) {
                memcpy(j->id, id, sizeof id);
                next++;
                break;
            }
        }
    }
out:
    free(rows);
    free(sorted);
    free(orig);
    return quiet_off(&q, rc, e);
fail:
    rc = -1;
    goto out;
}

int results_open(results **out, const char *path, MPI_Comm comm, const job_list *jobs,
                 const results_jobinfo *info, const results_meta *meta, int force,
                 dett_err *ue)
{
    dett_err local;
    dett_err *e = ue ? ue : &local;
    h5_quiet q;
    e->msg[0] = '\0';
    if (out) *out = NULL;
    /* all ranks must take the same path: a local failure here is agreed on */
    int qrc = quiet_on(&q, e), rc = qrc;
    if (rc == 0 && !out) rc = dett_fail(e, "results_open: out is NULL");
    if (agree(comm, rc, e)) {
        if (qrc == 0) quiet_off(&q, -1, e);
        return -1;
    }
    rc = open_quiet(out, path, comm, jobs, info, meta, force, e);
    return quiet_off(&q, rc, e);
}

/* Collective: 1 on every rank if a raw write failed on any rank (the
 * latch, IOFAIL_WRITE). H5Fclose would then rewrite the superblock (HDF5
 * 1.10 marks it at every read-write open) inside a collective flush, and a
 * device that still fails leaves the other ranks in HDF5's barrier. */
static int close_abandons(const results *r)
{
    int mine = r->io_kind == IOFAIL_WRITE, any = mine;
    if (dist_mpi_up() && MPI_Allreduce(&mine, &any, 1, MPI_INT, MPI_MAX, r->comm) != MPI_SUCCESS)
        any = mine;
    return any;
}

/* Collective: every rank closes its own handles (file_open), then the ranks
 * agree, so a failed superblock rewrite on one rank ends every rank with
 * status 1 and one line naming the file (no rank waits in HDF5). The
 * errno is taken from HDF5's error stack where its driver reports one. */
static int close_agreed(results *r, dett_err *e)
{
    sys_note note = {0};
    H5E_auto2_t fn = NULL;
    void *fd = NULL;
    MPI_Comm comm = r->comm;
    char path[RESULTS_PATH];
    int rc = 0, any = 0;
    snprintf(path, sizeof path, "%s", r->path);
    if (H5Eget_auto2(H5E_DEFAULT, &fn, &fd) < 0 || H5Eset_auto2(H5E_DEFAULT, sys_auto, &note) < 0)
        rc = dett_fail(e, "H5Eset_auto2 failed");
    if (handles_close(r, e) < 0) rc = -1;   /* frees r */
    if (fn && H5Eset_auto2(H5E_DEFAULT, fn, fd) < 0 && rc == 0)
        rc = dett_fail(e, "H5Eset_auto2 failed (restoring HDF5 error printing)");
    any = rc ? 1 : 0;
    if (dist_mpi_up() && MPI_Allreduce(MPI_IN_PLACE, &any, 1, MPI_INT, MPI_MAX, comm) != MPI_SUCCESS)
        any = 1;
    if (!any) return 0;
    if (rc && note.err)
        return dett_fail(e, "%s: write failed: %s (closing the file); finished jobs are kept, "
                         "rerun to resume", path, strerror(note.err));
    /* rank 0 reports (cmd_report): its own failure, or another rank's */
    return dett_fail(e, "%s: write failed (closing the file%s); finished jobs are kept, "
                     "rerun to resume", path, rc ? "" : ", on another rank");
}

int results_close(results *r, dett_err *e)
{
    dett_err local;
    if (!r) return 0;
    if (!e) e = &local;
    if (close_abandons(r)) {
        /* left open as a killed run leaves it: every finished job's data
         * is on disk (raw writes, no metadata changed since results_open);
         * HDF5 is not shut down after a failed run (cli/main.c) */
        free(r->job);
        free(r->art);
        free(r->path);
        free(r);
        return 0;
    }
    return close_agreed(r, e);
}

int results_io_failed(const results *r, int *err)
{
    if (err) *err = r ? r->io_errno : 0;
    return r ? r->io_kind : IOFAIL_NONE;
}

int results_check_path(results *r)
{
    struct stat st;
    if (!r || !r->live || !r->have_ino) return r ? r->io_kind : IOFAIL_NONE;
    errno = 0;
    if (stat(r->path, &st) != 0 ? errno == ENOENT || errno == ENOTDIR
                                : st.st_dev != r->dev || st.st_ino != r->ino)
        io_latch(r, IOFAIL_REMOVED, 0);
    return r->io_kind;
}

const char *results_path(const results *r) { return r ? r->path : ""; }

/* common argument check of the per-job calls */
static int job_arg(const results *r, int job, dett_err *e)
{
    if (!r) return dett_fail(e, "results: NULL results file");
    if (job < 0 || job >= r->n_jobs)
        return dett_fail(e, "%s: job index %d out of range [0, %d)", r->path, job, r->n_jobs);
    return 0;
}

/* Independent: one element of /jobs/table. A written row keeps the job's
 * own id, kind and hash whatever the caller's row holds. */
static int row_io(results *r, int job, const results_row *in, results_row *out, dett_err *e)
{
    h5_quiet q;
    results_row clean;
    hsize_t start, count = 1;
    if (job_arg(r, job, e) || quiet_on(&q, e)) return -1;
    start = (hsize_t)r->job[job].row;
    if (in) {
        row_clean(&clean, in);
        field_set(clean.id, sizeof clean.id, r->job[job].id);
        field_set(clean.kind, sizeof clean.kind, kind_name(r->job[job].kind));
        field_set(clean.hash, sizeof clean.hash, r->job[job].hash);
    }
    int rc = slab_io(r, r->table, r->row_type, 1, &start, &count, in ? &clean : NULL, out,
                     RF_TABLE, e);
    if (rc == 0 && out) {   /* terminate every string whatever the file held */
        out->id[sizeof out->id - 1] = '\0';
        out->kind[sizeof out->kind - 1] = '\0';
        out->hash[sizeof out->hash - 1] = '\0';
        out->error[sizeof out->error - 1] = '\0';
    }
    return quiet_off(&q, rc, e);
}

int results_read_row(results *r, int job, results_row *row, dett_err *e)
{
    if (!row) return dett_fail(e, "results_read_row: row is NULL");
    return row_io(r, job, NULL, row, e);
}

int results_write_row(results *r, int job, const results_row *row, dett_err *e)
{
    if (!row) return dett_fail(e, "results_write_row: row is NULL");
    return row_io(r, job, row, NULL, e);
}

/* independent: the first epochs_run rows of one curve dataset */
static int curve_write(results *r, hid_t d, int rank, hsize_t epochs, hsize_t G,
                       const double *v, const char *what, dett_err *e)
{
    hsize_t start[3] = {0, 0, 0}, count[3] = {epochs, 2, G};
    if (!v || epochs == 0) return 0;
    return slab_io(r, d, H5T_NATIVE_DOUBLE, rank, start, count, v, NULL, what, e);
}

int results_write_job(results *r, int job, int epochs_run, const double *train_loss,
                      const double *acc, const double *worst, const double *avg,
                      const double *mean, const int32_t *selected, const float *params,
                      dett_err *e)
{
    h5_quiet q;
    char w[64];
    if (job_arg(r, job, e)) return -1;
    res_job *j = &r->job[job];
    if (epochs_run < 0 || epochs_run > j->E)
        return dett_fail(e, "%s: job %s: epochs_run %d outside [0, %d]", r->path, j->id,
                         epochs_run, j->E);
    if (quiet_on(&q, e)) return -1;
    hsize_t E = (hsize_t)epochs_run, G = (hsize_t)j->G, z = 0, three = RF_N_SEL, P = j->P;
    snprintf(w, sizeof w, RF_JOBS "/%s", j->id);
    int rc = 0;
    if (train_loss && E)
        rc = slab_io(r, j->train_loss, H5T_NATIVE_DOUBLE, 1, &z, &E, train_loss, NULL, w, e);
    if (rc == 0) rc = curve_write(r, j->acc, 3, E, G, acc, w, e);
    if (rc == 0) rc = curve_write(r, j->worst, 2, E, 1, worst, w, e);
    if (rc == 0) rc = curve_write(r, j->avg, 2, E, 1, avg, w, e);
    if (rc == 0) rc = curve_write(r, j->mean, 2, E, 1, mean, w, e);
    if (rc == 0 && selected)
        rc = slab_io(r, j->selected, H5T_NATIVE_INT32, 1, &z, &three, selected, NULL, w, e);
    if (rc == 0 && params && P)
        rc = slab_io(r, j->params, H5T_NATIVE_FLOAT, 1, &z, &P, params, NULL, w, e);
    return quiet_off(&q, rc, e);
}

int results_write_diagnostics(results *r, int job, const double *cka, const double *mse,
                              dett_err *e)
{
    h5_quiet q;
    if (job_arg(r, job, e)) return -1;
    res_job *j = &r->job[job];
    if (!j->diag)
        return dett_fail(e, "%s: job %s has no diagnostics in its layout", r->path, j->id);
    if (quiet_on(&q, e)) return -1;
    hsize_t z = 0, G = (hsize_t)j->G;
    int rc = slab_io(r, j->diag_cka, H5T_NATIVE_DOUBLE, 1, &z, &G, cka, NULL, j->id, e);
    if (rc == 0) rc = slab_io(r, j->diag_mse, H5T_NATIVE_DOUBLE, 1, &z, &G, mse, NULL, j->id, e);
    return quiet_off(&q, rc, e);
}

int results_write_dfr(results *r, int job, const double *scores, const double *choice,
                      const results_refit *refit, dett_err *e)
{
    h5_quiet q;
    if (job_arg(r, job, e)) return -1;
    res_job *j = &r->job[job];
    if (!j->dfr) return dett_fail(e, "%s: job %s has no " RF_DFR " in its layout", r->path, j->id);
    if (quiet_on(&q, e)) return -1;
    hsize_t z2[2] = {0, 0}, ds[2] = {RF_DFR_N_LAMBDAS, 3}, z = 0, dc = RF_DFR_N_CHOICE;
    int rc = slab_io(r, j->dfr_scores, H5T_NATIVE_DOUBLE, 2, z2, ds, scores, NULL, j->id, e);
    if (rc == 0)
        rc = slab_io(r, j->dfr_choice, H5T_NATIVE_DOUBLE, 1, &z, &dc, choice, NULL, j->id, e);
    if (rc == 0 && refit) {
        hsize_t da[2] = {RF_N_SPLITS, (hsize_t)j->G}, two = RF_N_SPLITS;
        rc = slab_io(r, j->dfr_acc, H5T_NATIVE_DOUBLE, 2, z2, da, refit->acc, NULL, j->id, e);
        if (rc == 0)
            rc = slab_io(r, j->dfr_worst, H5T_NATIVE_DOUBLE, 1, &z, &two, refit->worst, NULL,
                         j->id, e);
        if (rc == 0)
            rc = slab_io(r, j->dfr_avg, H5T_NATIVE_DOUBLE, 1, &z, &two, refit->avg, NULL, j->id, e);
        if (rc == 0)
            rc = slab_io(r, j->dfr_mean, H5T_NATIVE_DOUBLE, 1, &z, &two, refit->mean, NULL,
                         j->id, e);
    }
    return quiet_off(&q, rc, e);
}

int results_write_error_groups(results *r, int job, const int64_t *count, dett_err *e)
{
    h5_quiet q;
    if (job_arg(r, job, e)) return -1;
    res_job *j = &r->job[job];
    if (j->error_groups < 0) return 0;   /* an older file's layout: nothing to write */
    if (quiet_on(&q, e)) return -1;
    hsize_t z = 0, G = (hsize_t)j->G;
    int rc = slab_io(r, j->error_groups, H5T_NATIVE_INT64, 1, &z, &G, count, NULL, j->id, e);
    return quiet_off(&q, rc, e);
}

int results_read_params(results *r, int job, float *params, dett_err *e)
{
    h5_quiet q;
    if (job_arg(r, job, e)) return -1;
    hsize_t z = 0, P = r->job[job].P;
    if (P == 0) return 0;
    if (!params) return dett_fail(e, "results_read_params: params is NULL");
    if (quiet_on(&q, e)) return -1;
    int rc = slab_io(r, r->job[job].params, H5T_NATIVE_FLOAT, 1, &z, &P, NULL, params,
                     "job params", e);
    return quiet_off(&q, rc, e);
}

/* the artifact of job, or NULL with a message (students have none) */
static res_art *art_of(results *r, int job, int need_error_set, dett_err *e)
{
    if (job_arg(r, job, e)) return NULL;
    res_job *j = &r->job[job];
    if (j->art < 0 || (need_error_set && j->kind != JOB_IDENT)) {
        dett_fail(e, "%s: job %s (%s) has no %s artifact", r->path, j->id, kind_name(j->kind),
                  need_error_set ? RF_D_ERROR_SET : RF_D_PARAMS);
        return NULL;
    }
    return &r->art[j->art];
}

/* independent: an artifact's params in either direction */
static int art_params_io(results *r, int job, const float *in, float *out, dett_err *e)
{
    h5_quiet q;
    res_art *a = art_of(r, job, 0, e);
    if (!a) return -1;
    hsize_t z = 0, P = a->P;
    if (P == 0) return 0;
    if (!in && !out) return dett_fail(e, "results: artifact params buffer is NULL");
    if (quiet_on(&q, e)) return -1;
    int rc = slab_io(r, a->params, H5T_NATIVE_FLOAT, 1, &z, &P, in, out, "artifact params", e);
    return quiet_off(&q, rc, e);
}

int results_write_artifact_params(results *r, int job, const float *params, dett_err *e)
{
    if (!params) return dett_fail(e, "results_write_artifact_params: params is NULL");
    return art_params_io(r, job, params, NULL, e);
}

int results_read_artifact_params(results *r, int job, float *params, dett_err *e)
{
    if (!params) return dett_fail(e, "results_read_artifact_params: params is NULL");
    return art_params_io(r, job, NULL, params, e);
}

/* independent: rows [row0, row0 + n) of an ident job's error set */
static int error_set_io(results *r, int job, int64_t row0, int64_t n, const uint8_t *in,
                        uint8_t *out, dett_err *e)
{
    h5_quiet q;
    res_art *a = art_of(r, job, 1, e);
    if (!a) return -1;
    if (row0 < 0 || n < 0 || row0 > a->n_train || n > a->n_train - row0)
        return dett_fail(e, "%s: job %s: error set rows [%lld, %lld) outside [0, %lld)",
                         r->path, r->job[job].id, (long long)row0, (long long)(row0 + n),
                         (long long)a->n_train);
    if (n == 0) return 0;
    if (!in && !out) return dett_fail(e, "results: error set buffer is NULL");
    if (quiet_on(&q, e)) return -1;
    hsize_t start = (hsize_t)row0, count = (hsize_t)n;
    int rc = slab_io(r, a->error_set, H5T_NATIVE_UINT8, 1, &start, &count, in, out,
                     RF_D_ERROR_SET, e);
    return quiet_off(&q, rc, e);
}

int results_write_error_set(results *r, int job, int64_t row0, int64_t n, const uint8_t *err,
                            dett_err *e)
{
    return error_set_io(r, job, row0, n, err, NULL, e);
}

int results_read_error_set(results *r, int job, int64_t row0, int64_t n, uint8_t *err,
                           dett_err *e)
{
    return error_set_io(r, job, row0, n, NULL, err, e);
}

/* ---- reuse from another store (--from) ---------------------------------- */

/* Serial read of dataset name of file src, whole, into the dataset dst of
 * r (independent write); the shapes must be equal. */
static int dset_copy(results *r, hid_t src, const char *name, hid_t dst, const char *other,
                     dett_err *e)
{
    hid_t d = -1, sp = -1, ds = -1, t = -1, nt = -1;
    hsize_t a[8], b[8];
    void *buf = NULL;
    int rc = -1;
    CHECK_H5(e, d = H5Dopen2(src, name, H5P_DEFAULT), "%s: cannot open %s", other, name);
    CHECK_H5(e, sp = H5Dget_space(d), "%s: %s: H5Dget_space", other, name);
    CHECK_H5(e, ds = H5Dget_space(dst), "%s: %s: H5Dget_space", r->path, name);
    int na = H5Sget_simple_extent_ndims(sp), nb = H5Sget_simple_extent_ndims(ds);
    if (na < 1 || na > 8 || na != nb || H5Sget_simple_extent_dims(sp, a, NULL) < 0 ||
        H5Sget_simple_extent_dims(ds, b, NULL) < 0 || memcmp(a, b, (size_t)na * sizeof *a)) {
        dett_fail(e, "%s: %s has another shape than in %s", other, name, r->path);
        goto fail;
    }
    CHECK_H5(e, t = H5Dget_type(dst), "%s: %s: H5Dget_type", r->path, name);
    CHECK_H5(e, nt = H5Tget_native_type(t, H5T_DIR_ASCEND), "%s: %s: native type", r->path,
             name);
    size_t n = H5Tget_size(nt);
    for (int k = 0; k < na; k++) n *= (size_t)a[k];
    buf = malloc(n ? n : 1);
    CHECK_ALLOC(e, buf);
    CHECK_H5(e, H5Dread(d, nt, H5S_ALL, H5S_ALL, H5P_DEFAULT, buf), "%s: cannot read %s", other,
             name);
    CHECK_H5(e, H5Dwrite(dst, nt, H5S_ALL, H5S_ALL, r->dxpl, buf), "%s: cannot write %s",
             r->path, name);
    rc = 0;
fail:
    free(buf);
    h5_close(nt, H5Tclose, &rc, e, name);
    h5_close(t, H5Tclose, &rc, e, name);
    h5_close(ds, H5Sclose, &rc, e, name);
    h5_close(sp, H5Sclose, &rc, e, name);
    h5_close(d, H5Dclose, &rc, e, name);
    return rc;
}

/* copies job i's data (curves, selection, params, diagnostics, artifact)
 * from store f (its row `row`) and marks the job done with its row's
 * numbers */
static int job_copy(results *r, hid_t f, const char *other, int i, const results_row *row,
                    dett_err *e)
{
    res_job *j = &r->job[i];
    char p[RESULTS_PATH];
    struct { hid_t h; const char *name; } ds[] = {
        {j->train_loss, RF_D_TRAIN_LOSS}, {j->acc, RF_D_ACC}, {j->worst, RF_D_WORST},
        {j->avg, RF_D_AVG}, {j->mean, RF_D_MEAN}, {j->selected, RF_D_SELECTED},
        {j->params, RF_D_PARAMS}, {j->diag_cka, RF_DIAGNOSTICS "/" RF_D_CKA},
        {j->diag_mse, RF_DIAGNOSTICS "/" RF_D_FEATURE_MSE},
        {j->dfr_scores, RF_DFR "/" RF_D_DFR_SCORES}, {j->dfr_choice, RF_DFR "/" RF_D_DFR_CHOICE},
        {j->dfr_acc, RF_DFR "/" RF_D_DFR_ACC}, {j->dfr_worst, RF_DFR "/" RF_D_DFR_WORST},
        {j->dfr_avg, RF_DFR "/" RF_D_DFR_AVG}, {j->dfr_mean, RF_DFR "/" RF_D_DFR_MEAN}};
    for (size_t k = 0; k < sizeof ds / sizeof ds[0]; k++) {
        if (ds[k].h < 0) continue;
        snprintf(p, sizeof p, RF_JOBS "/%s/%s", row->id, ds[k].name);
        CHECK(dset_copy(r, f, p, ds[k].h, other, e));
    }
    if (j->art >= 0) {
        res_art *a = &r->art[j->art];
        snprintf(p, sizeof p, RF_ARTIFACTS "/%s/" RF_D_PARAMS, j->hash);
        CHECK(dset_copy(r, f, p, a->params, other, e));
        if (a->error_set >= 0) {
            snprintf(p, sizeof p, RF_ARTIFACTS "/%s/" RF_D_ERROR_SET, j->hash);
            CHECK(dset_copy(r, f, p, a->error_set, other, e));
        }
    }
    results_row done = *row;
    CHECK(row_io(r, i, &done, NULL, e));
    return 0;
fail:
    return -1;
}

int results_reuse_from(results *r, const char *other, int *n_copied, dett_err *ue)
{
    dett_err local;
    dett_err *e = ue ? ue : &local;
    results_row *rows = NULL, *sorted = NULL;
    int32_t *orig = NULL;
    hsize_t n = 0;
    hid_t f = -1;
    h5_quiet q;
    int rc = 0, version = 0;
    if (n_copied) *n_copied = 0;
    if (!r || !other) return dett_fail(e, "results_reuse_from: bad arguments");
    if (quiet_on(&q, e)) return -1;
    if (existing_check(other, &rows, &n, RF_FORMAT_DFR_REFIT - 1, &version, e) != ACT_GROW) {
        if (!e->msg[0] || !strstr(e->msg, other)) dett_fail(e, "%s: no such results file", other);
        rc = -1;
        goto out;
    }
    if (rows_sorted(rows, n, &sorted, &orig, e) ||
        (f = H5Fopen(other, H5F_ACC_RDONLY, H5P_DEFAULT)) < 0) {
        if (f < 0 && !e->msg[0]) dett_fail(e, "%s: cannot open it", other);
        rc = -1;
        goto out;
    }
    for (int i = 0; rc == 0 && i < r->n_jobs; i++) {
        results_row mine;
        long k = row_find(sorted, orig, n, r->job[i].hash);
        if (k < 0 || rows[k].status != JOB_DONE) continue;
        if (r->job[i].dfr && version < RF_FORMAT_DFR_REFIT) continue;   /* the refit as an epoch */
        if ((rc = row_io(r, i, NULL, &mine, e)) != 0 || mine.status == JOB_DONE) continue;
        rc = job_copy(r, f, other, i, &rows[k], e);
        if (rc == 0 && n_copied) (*n_copied)++;
    }
out:
    if (f >= 0) H5Fclose(f);
    free(rows);
    free(sorted);
    free(orig);
    return quiet_off(&q, rc, e);
}

/* ---- checkpoints -------------------------------------------------------- */

/* the job's checkpoint handles, or -1 with a message */
static int ckpt_arg(const results *r, int job, dett_err *e)
{
    if (job_arg(r, job, e)) return -1;
    if (r->job[job].n32 <= 0)
        return dett_fail(e, "%s: job %s has no checkpoint in its layout", r->path,
                         r->job[job].id);
    return 0;
}

int results_has_ckpt(const results *r, int job)
{
    return r && job >= 0 && job < r->n_jobs && r->job[job].n32 > 0;
}

int results_ckpt_write(results *r, int job, int slot, int32_t mark, const float *f32,
                       const double *f64, dett_err *e)
{
    h5_quiet q;
    if (ckpt_arg(r, job, e)) return -1;
    if (slot < 0 || slot > 1 || mark <= 0 || !f32 || !f64)
        return dett_fail(e, "results_ckpt_write: bad arguments");
    res_job *j = &r->job[job];
    hsize_t s1 = (hsize_t)slot, one = 1, st[2] = {s1, 0}, c32[2] = {1, (hsize_t)j->n32},
            c64[2] = {1, (hsize_t)j->n64};
    const int32_t none = -1;
    if (results_check_path(r)) return 0;   /* latched: nothing more is written */
    if (quiet_on(&q, e)) return -1;
    int rc = slab_io(r, j->ck_mark, H5T_NATIVE_INT32, 1, &s1, &one, &none, NULL, RF_C_MARK, e);
    if (rc == 0) rc = slab_io(r, j->ck_f32, H5T_NATIVE_FLOAT, 2, st, c32, f32, NULL, RF_C_F32, e);
    if (rc == 0) rc = slab_io(r, j->ck_f64, H5T_NATIVE_DOUBLE, 2, st, c64, f64, NULL, RF_C_F64, e);
    if (rc == 0) rc = slab_io(r, j->ck_mark, H5T_NATIVE_INT32, 1, &s1, &one, &mark, NULL, RF_C_MARK, e);
    return quiet_off(&q, rc, e);
}

int results_ckpt_read(results *r, int job, int *slot, int32_t *mark, float *f32, double *f64,
                      dett_err *e)
{
    h5_quiet q;
    int32_t m[2] = {-1, -1};
    *slot = -1;
    *mark = -1;
    if (ckpt_arg(r, job, e)) return -1;
    res_job *j = &r->job[job];
    hsize_t z = 0, two = 2;
    if (quiet_on(&q, e)) return -1;
    int rc = slab_io(r, j->ck_mark, H5T_NATIVE_INT32, 1, &z, &two, NULL, m, RF_C_MARK, e);
    int s = m[0] > 0 && m[0] >= m[1] ? 0 : m[1] > 0 ? 1 : -1;
    if (rc == 0 && s >= 0) {
        hsize_t st[2] = {(hsize_t)s, 0}, c32[2] = {1, (hsize_t)j->n32},
                c64[2] = {1, (hsize_t)j->n64};
        rc = slab_io(r, j->ck_f32, H5T_NATIVE_FLOAT, 2, st, c32, NULL, f32, RF_C_F32, e);
        if (rc == 0) rc = slab_io(r, j->ck_f64, H5T_NATIVE_DOUBLE, 2, st, c64, NULL, f64, RF_C_F64, e);
        if (rc == 0) {
            *slot = s;
            *mark = m[s];
        }
    }
    return quiet_off(&q, rc, e);
}
