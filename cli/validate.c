/* validate.c - the checks of a grid before any training (see validate.h). */
#include "validate.h"
#include "agree.h"
#include "arch.h"
#include "dataset.h"
#include "digest.h"
#include "jobrun.h"
#include "readout.h"
#include "teacher_file.h"
#include <stdlib.h>
#include <string.h>

/* the distinct data files of a grid, with what the checks learnt */
typedef struct {
    int n;
    const char **path;     /* points into the jobs */
    dataset_info *info;
    data_digest *dg;
    /* the distinct external teacher files and their content digests */
    int n_tf;
    const char **tf_path;  /* points into the jobs */
    char (*tf_hex)[TEACHER_DIGEST_HEX];
} data_table;

static void table_free(data_table *t)
{
    free(t->path);
    free(t->info);
    free(t->dg);
    free(t->tf_path);
    free(t->tf_hex);
}

static int table_find(const data_table *t, const char *path)
{
    for (int i = 0; i < t->n; i++)
        if (strcmp(t->path[i], path) == 0) return i;
    return -1;
}

/* steps 1 and 2 for every distinct file, in job order */
static int check_files(const job_list *jobs, MPI_Comm comm, FILE *log, data_table *t,
                       dett_err *e)
{
    int rank = 0;
    if (dist_mpi_up() && MPI_Comm_rank(comm, &rank) != MPI_SUCCESS)
        return dett_fail(e, "MPI_Comm_rank failed");
    t->path = calloc((size_t)jobs->n + 1, sizeof *t->path);
    t->info = calloc((size_t)jobs->n + 1, sizeof *t->info);
    t->dg = calloc((size_t)jobs->n + 1, sizeof *t->dg);
    if (agree(comm, !t->path || !t->info || !t->dg ? dett_fail(e, "out of memory") : 0, e))
        return -1;
    for (int j = 0; j < jobs->n; j++) {
        const job_spec *job = &jobs->jobs[j];
        if (table_find(t, job->data) >= 0) continue;
        int k = t->n++;
        t->path[k] = job->data;
        if (dataset_open(job->data, comm, &t->info[k], e) ||
            digest_file_shared(job->data, comm, &t->dg[k], e)) {
            dett_err_prefix(e, "%s: %s", job->where, job->id);
            return -1;
        }
        if (log && rank == 0) {
            if (t->dg[k].cached)
                fprintf(log, "data %s: digest %.12s (cached)\n", job->data, t->dg[k].hex);
            else
                fprintf(log, "data %s: digest %.12s (hashed %.1f MB in %.2f s)\n", job->data,
                        t->dg[k].hex, (double)t->dg[k].bytes / 1e6, t->dg[k].seconds);
            fflush(log);
        }
    }
    return 0;
}

/* step 1b: every external teacher file has the teacher layout, fits the
 * data of its job (classes, rows, label digest), and gets its content
 * digest; world rank 0 reads, every rank gets the status and digests */
static int check_teacher_files(const job_list *jobs, MPI_Comm comm, FILE *log, data_table *t,
                               dett_err *e)
{
    int rank = 0, rc = 0;
    if (dist_mpi_up() && MPI_Comm_rank(comm, &rank) != MPI_SUCCESS)
        return dett_fail(e, "MPI_Comm_rank failed");
    t->tf_path = calloc((size_t)jobs->n + 1, sizeof *t->tf_path);
    t->tf_hex = calloc((size_t)jobs->n + 1, sizeof *t->tf_hex);
    if (agree(comm, !t->tf_path || !t->tf_hex ? dett_fail(e, "out of memory") : 0, e))
        return -1;
    for (int j = 0; j < jobs->n; j++) {
        const job_spec *job = &jobs->jobs[j];
        if (!job->teacher_file[0]) continue;
        int k = -1;
        for (int i = 0; i < t->n_tf; i++)
            if (strcmp(t->tf_path[i], job->teacher_file) == 0) k = i;
        if (k < 0) {
            k = t->n_tf++;
            t->tf_path[k] = job->teacher_file;
        }
        if (rank == 0 && rc == 0) {
            teacher_file_info ti;
            const dataset_info *di = &t->info[table_find(t, job->data)];
            rc = teacher_file_open(job->teacher_file, &ti, e) ||
                 teacher_file_check(job->teacher_file, &ti, job->data, di, e) ||
                 (!t->tf_hex[k][0] && teacher_file_digest(job->teacher_file, t->tf_hex[k], e));
            if (rc) dett_err_prefix(e, "%s: %s", job->where, job->id);
            else if (log)
                fprintf(log, "teacher %s: digest %.12s, for %s (%d classes, features of %d)\n",
                        job->teacher_file, t->tf_hex[k], job->data, ti.n_classes, ti.feat_dim);
        }
    }
    if (agree(comm, rc ? -1 : 0, e)) return -1;
    if (dist_mpi_up() && t->n_tf > 0 &&
        MPI_Bcast(t->tf_hex, t->n_tf * TEACHER_DIGEST_HEX, MPI_CHAR, 0, comm) != MPI_SUCCESS)
        return dett_fail(e, "MPI_Bcast of the teacher digests failed");
    if (log && rank == 0) fflush(log);
    return 0;
}

/* a data file's or an external teacher file's content digest */
static int digest_of(void *ctx, const char *path, char hex[65], dett_err *e)
{
    const data_table *t = ctx;
    int k = table_find(t, path);
    if (k >= 0) {
        memcpy(hex, t->dg[k].hex, 65);
        return 0;
    }
    for (int i = 0; i < t->n_tf; i++)
        if (strcmp(t->tf_path[i], path) == 0) {
            memcpy(hex, t->tf_hex[i], 65);
            return 0;
        }
    return dett_fail(e, "%s: no digest (internal error)", path);
}

/* "rows of 10 features" / "images [3, 14, 14]" */
static void shape_text(const dataset_info *in, char *out, size_t n)
{
    if (in->x_rank == 3)
        snprintf(out, n, "images [%d, %d, %d]", in->x_shape[0], in->x_shape[1], in->x_shape[2]);
    else
        snprintf(out, n, "rows of %d features", in->d);
}

/* step 4: the teacher of job j was trained on data that fits j's data */
static int check_teacher(const job_list *jobs, int j, const data_table *t, dett_err *e)
{
    const job_spec *job = &jobs->jobs[j], *tj = &jobs->jobs[job->teacher];
    const dataset_info *si = &t->info[table_find(t, job->data)];
    const dataset_info *ti = &t->info[table_find(t, tj->data)];
    char ss[64], ts[64];
    shape_text(si, ss, sizeof ss);
    shape_text(ti, ts, sizeof ts);
    if (strcmp(ss, ts) != 0)
        return dett_fail(e, "%s: %s: its teacher %s (%s) is trained on %s (%s) but this job's "
                         "data %s has %s: a teacher sees the student's rows, so it must be "
                         "trained on data of the same shape", job->where, job->id, tj->id,
                         tj->where, tj->data, ts, job->data, ss);
    if (si->n_classes != ti->n_classes)
        return dett_fail(e, "%s: %s: its teacher %s (%s) is trained on %s with %d classes but "
                         "this job's data %s has %d", job->where, job->id, tj->id, tj->where,
                         tj->data, ti->n_classes, job->data, si->n_classes);
    return 0;
}

/* step 3: the job's model (and its teacher's) build for the job's data */
static int check_models(const job_list *jobs, int j, const data_table *t, dett_err *e)
{
    const job_spec *job = &jobs->jobs[j];
    const dataset_info *info = &t->info[table_find(t, job->data)];
    dett_err le = { "" };
    model *teacher = NULL, *m = NULL;
    if (job->teacher >= 0 && jobs->jobs[job->teacher].teacher_file[0]) {
        /* external: its file was checked against this data (step 1b) */
        const job_spec *tj = &jobs->jobs[job->teacher];
        if (!(teacher = jobrun_build_teacher(jobs, j, info, &le)))
            return dett_fail(e, "%s: %s: %s", tj->where, tj->id, le.msg);
    } else if (job->teacher >= 0) {
        const job_spec *tj = &jobs->jobs[job->teacher];
        if (!(teacher = arch_build(&tj->arch, &t->info[table_find(t, tj->data)], &le)))
            return dett_fail(e, "%s: %s: %s", tj->where, tj->id, le.msg);
        if (check_teacher(jobs, j, t, e)) {
            model_free(teacher);
            return -1;
        }
    }
    m = jobrun_build_model(jobs, j, info, teacher, &le);
    model_free(teacher);
    if (!m) return dett_fail(e, "%s: %s: %s", job->where, job->id, le.msg);
    int rc = readout_check(job, m, &le);   /* DEDIER: its readout's layer exists */
    model_free(m);
    if (rc) return dett_fail(e, "%s: %s", job->where, le.msg);
    return 0;
}

/* step 5: a weighting function on a synthetic grid of every signal */
static int check_weighting(dsl *d, const job_spec *job, int n_classes, dett_err *e)
{
    static const float loss[] = { 0.0f, 0.05f, 0.69f, 3.0f, 30.0f };
    const int nl = (int)(sizeof loss / sizeof loss[0]);
    dett_err le = { "" };
    for (int y = 0; y < n_classes; y++)
        for (int il = 0; il < nl; il++)
            for (int tl = 0; tl < nl; tl++)
                for (int ok = 0; ok < 4; ok++) {
                    dsl_signals s = { loss[il], ok & 1, loss[tl], ok >> 1, y };
                    float w;
                    if (dsl_weight(d, job->method.weighting.lua_fn, &s, &w, &le) == 0) continue;
                    return dett_fail(e, "%s (job %s at %s, on s.id_loss=%g, s.id_correct=%s, "
                                     "s.teacher_loss=%g, s.teacher_correct=%s, s.y=%d)", le.msg,
                                     job->id, job->where, (double)s.id_loss,
                                     s.id_correct ? "true" : "false", (double)s.teacher_loss,
                                     s.teacher_correct ? "true" : "false", y);
                }
    return 0;
}

int validate_grid(dsl *d, job_list *jobs, MPI_Comm comm, FILE *log, dett_err *e)
{
    data_table t = { 0 };
    int rc = -1;
    if (check_files(jobs, comm, log, &t, e)) goto out;
    if (check_teacher_files(jobs, comm, log, &t, e)) goto out;
    if (agree(comm, jobs_mix_data_digests(jobs, digest_of, &t, e), e)) goto out;
    int fail = 0;
    int *seen_fn = calloc((size_t)jobs->n + 1, sizeof *seen_fn), n_fn = 0;
    if (!seen_fn) fail = dett_fail(e, "out of memory");
    for (int j = 0; j < jobs->n && !fail; j++) {
        const job_spec *job = &jobs->jobs[j];
        fail = check_models(jobs, j, &t, e);
        if (fail || job->method.weighting.kind != WEIGHT_LUA) continue;
        /* each function once per class count it sees */
        const int C = t.info[table_find(&t, job->data)].n_classes;
        const int key = job->method.weighting.lua_fn * (DATASET_MAX_GROUPS + 1) + C;
        int known = 0;
        for (int k = 0; k < n_fn; k++) known |= seen_fn[k] == key;
        if (known) continue;
        seen_fn[n_fn++] = key;
        fail = check_weighting(d, job, C, e);
    }
    free(seen_fn);
    /* every rank ran the same checks on the same files and the same script */
    rc = agree(comm, fail, e);
out:
    table_free(&t);
    return rc;
}
