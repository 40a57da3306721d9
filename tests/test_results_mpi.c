/* test_results_mpi.c - the results file under mpiexec -n K: all ranks create
 * the layout of a 200-job grid collectively; each rank then writes different
 * jobs (job i by rank i % K) and its own row block of every error set with
 * independent I/O; after close, a collective resume reads everything back on
 * every rank and rank 0 checks the file again with serial HDF5. A refused
 * open fails on every rank with the same message. Prints the time of
 * results_open (create and resume) for the 200 jobs.
 * Usage: test_results_mpi TAG (keeps the file names of parallel runs apart). */
#define _POSIX_C_SOURCE 200809L
#include "check.h"
#include "results.h"
#include <hdf5.h>
#include <math.h>
#include <mpi.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define N_JOBS 200
#define SHA "5eed5eed5eed5eed5eed5eed5eed5eed5eed5eed5eed5eed5eed5eed5eed5eed"
#define G 4

static int job_E(int i) { return 5 + i % 4; }
static size_t job_P(int i) { return 2000 + (size_t)i; }
static int64_t job_N(int i) { return 1000 + i; }

/* value written for curve element k of job i (exact in binary) */
static double val(int i, int k) { return (double)i + k / 256.0; }

/* a 200-job grid: train, ident, student in turn */
static int make_jobs(job_list *l, results_jobinfo *info)
{
    l->n = l->cap = N_JOBS;
    l->jobs = calloc(N_JOBS, sizeof *l->jobs);
    if (!l->jobs) return -1;
    memset(info, 0, N_JOBS * sizeof *info);
    for (int i = 0; i < N_JOBS; i++) {
        job_spec *j = &l->jobs[i];
        snprintf(j->id, sizeof j->id, "j%03d", i);
        j->kind = i % 3 == 0 ? JOB_TRAIN : i % 3 == 1 ? JOB_IDENT : JOB_STUDENT;
        snprintf(j->data, sizeof j->data, "data/synth.h5");
        j->epochs = job_E(i);
        j->seed = (uint64_t)i;
        j->teacher = j->ident = -1;
        for (int k = 0; k < 8; k++) snprintf(j->hash + 8 * k, 9, "%08x", (unsigned)(i * 2654435761u + k));
        snprintf(j->canon, sizeof j->canon, "{job=%d}", i);
        results_jobinfo *in = &info[i];
        in->epochs = job_E(i);
        in->groups = G;
        in->n_attrs = 2;
        in->n_params = job_P(i);
        in->n_train = job_N(i);
        snprintf(in->method, sizeof in->method, "erm");
        snprintf(in->arch, sizeof in->arch, "mlp[64,64]");
        snprintf(in->weighting, sizeof in->weighting, "none");
        snprintf(in->select, sizeof in->select, "val-worst");
    }
    return 0;
}

/* rows of the error set of job i that rank writes: a block split */
static void block(int i, int rank, int size, int64_t *r0, int64_t *n)
{
    int64_t N = job_N(i);
    *r0 = N * rank / size;
    *n = N * (rank + 1) / size - *r0;
}

/* the writes of job i (by rank i % size) */
static int write_job(results *r, int i, int size, dett_err *e)
{
    int E = job_E(i), run = E - 1;   /* the last epoch stays NaN */
    size_t P = job_P(i);
    double *c = malloc((size_t)E * 2 * G * sizeof *c);
    float *p = malloc(P * sizeof *p);
    int rc = -1;
    CHECK_ALLOC(e, c);
    CHECK_ALLOC(e, p);
    for (int k = 0; k < E * 2 * G; k++) c[k] = val(i, k);
    for (size_t k = 0; k < P; k++) p[k] = (float)i + (float)k / 4096.0f;
    int32_t sel[4] = {i % run, (i + 1) % run, (i + 2) % run, (i + 3) % run};
    results_row row = {"", "", "", JOB_DONE, "", 0.5 * i, size, run};
    snprintf(row.error, sizeof row.error, "by rank %d", i % size);
    CHECK(results_write_job(r, i, run, c, c, c, c, c, sel, p, e));
    if (i % 3 != 2) CHECK(results_write_artifact_params(r, i, p, e));
    CHECK(results_write_row(r, i, &row, e));
    rc = 0;
fail:
    free(c);
    free(p);
    return rc;
}

/* reads job i back; returns the number of mismatches */
static int check_job(results *r, int i, int size)
{
    int E = job_E(i), run = E - 1, bad = 0;
    size_t P = job_P(i);
    float *p = malloc(P * sizeof *p);
    uint8_t *es = malloc((size_t)job_N(i));
    results_row row;
    dett_err e = {""};
    char id[16];
    snprintf(id, sizeof id, "j%03d", i);
    if (!p || !es) {
        free(p);
        free(es);
        return 1;
    }
    if (results_read_row(r, i, &row, &e) != 0 || row.status != JOB_DONE ||
        row.wall_seconds != 0.5 * i || row.ranks != size || row.epochs_run != run ||
        strcmp(row.id, id) || row.error[0] != 'b' ||
        atoi(row.error + 8) != i % size)
        bad++;
    if (results_read_params(r, i, p, &e) != 0) bad++;
    for (size_t k = 0; k < P && !bad; k++) bad += p[k] != (float)i + (float)k / 4096.0f;
    if (i % 3 != 2) {
        memset(p, 0, P * sizeof *p);
        if (results_read_artifact_params(r, i, p, &e) != 0) bad++;
        for (size_t k = 0; k < P && !bad; k++) bad += p[k] != (float)i + (float)k / 4096.0f;
    }
    if (i % 3 == 1) {
        if (results_read_error_set(r, i, 0, job_N(i), es, &e) != 0) bad++;
        for (int64_t k = 0; k < job_N(i) && !bad; k++) bad += es[k] != (uint8_t)((k * 7 + i) % 2);
    }
    if (bad) fprintf(stderr, "job %d: mismatch (%s)\n", i, e.msg);
    free(p);
    free(es);
    return bad;
}

/* 1 if msg is the same text on every rank */
static int same_everywhere(const char *msg)
{
    char root[DETT_ERRLEN];
    int rank, diff, any = 1;
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    if (rank == 0) snprintf(root, sizeof root, "%s", msg);
    MPI_Bcast(root, DETT_ERRLEN, MPI_CHAR, 0, MPI_COMM_WORLD);
    diff = strcmp(root, msg) != 0;
    MPI_Allreduce(&diff, &any, 1, MPI_INT, MPI_MAX, MPI_COMM_WORLD);
    return !any;
}

/* results_open timed: the slowest rank's seconds */
static double timed_open(results **r, const char *path, const job_list *jobs,
                         const results_jobinfo *info, const results_meta *meta, dett_err *e,
                         int *rc)
{
    double t0, t, tmax = 0;
    MPI_Barrier(MPI_COMM_WORLD);
    t0 = MPI_Wtime();
    *rc = results_open(r, path, MPI_COMM_WORLD, jobs, info, meta, 0, e);
    t = MPI_Wtime() - t0;
    MPI_Allreduce(&t, &tmax, 1, MPI_DOUBLE, MPI_MAX, MPI_COMM_WORLD);
    return tmax;
}

/* rank 0 alone, serial HDF5 after everyone closed: statuses and one curve */
static void check_serial(const char *path)
{
    hid_t f = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT);
    EXPECT(f >= 0, "serial open of %s", path);
    if (f < 0) return;
    hid_t d = H5Dopen2(f, "/jobs/table", H5P_DEFAULT);
    hid_t t = H5Tcreate(H5T_COMPOUND, sizeof(int32_t));
    H5Tinsert(t, "status", 0, H5T_NATIVE_INT32);
    int32_t st[N_JOBS];
    EXPECT(d >= 0 && H5Dread(d, t, H5S_ALL, H5S_ALL, H5P_DEFAULT, st) >= 0, "table read");
    int done = 0;
    for (int i = 0; i < N_JOBS; i++) done += st[i] == JOB_DONE;
    EXPECT(done == N_JOBS, "%d of %d rows done", done, N_JOBS);
    H5Tclose(t);
    if (d >= 0) H5Dclose(d);
    int E = job_E(7);
    double acc[8 * 2 * G];
    d = H5Dopen2(f, "/jobs/j007/acc", H5P_DEFAULT);
    EXPECT(d >= 0 && H5Dread(d, H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, acc) >= 0,
           "j007/acc read");
    int ok = 1;
    for (int k = 0; k < (E - 1) * 2 * G; k++) ok = ok && acc[k] == val(7, k);
    for (int k = (E - 1) * 2 * G; k < E * 2 * G; k++) ok = ok && isnan(acc[k]);
    EXPECT(ok, "j007/acc content");
    if (d >= 0) H5Dclose(d);
    H5Fclose(f);
}

int main(int argc, char **argv)
{
    MPI_Init(&argc, &argv);
    int rank, size, rc;
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    MPI_Comm_size(MPI_COMM_WORLD, &size);
    const char *tag = argc > 1 ? argv[1] : "x";
    char path[128], tmp[160];
    snprintf(path, sizeof path, "test_results_mpi_%s.h5", tag);
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    if (rank == 0) {
        remove(path);
        remove(tmp);
    }
    MPI_Barrier(MPI_COMM_WORLD);

    job_list jobs;
    results_jobinfo *info = malloc(N_JOBS * sizeof *info);
    if (!info || make_jobs(&jobs, info) != 0) {
        fprintf(stderr, "out of memory\n");
        MPI_Abort(MPI_COMM_WORLD, 1);
    }
    results_meta meta = {"-- grid\n", "grid.lua", SHA, size, 1};
    results *r = NULL;
    dett_err e = {""};

    /* create collectively; each rank writes its own jobs and error-set rows */
    double t_create = timed_open(&r, path, &jobs, info, &meta, &e, &rc);
    EXPECT(rc == 0, "create: %s", e.msg);
    if (rc == 0) {
        for (int i = 0; i < N_JOBS; i++) {
            if (i % size == rank) EXPECT(write_job(r, i, size, &e) == 0, "job %d: %s", i, e.msg);
            if (i % 3 == 1) {
                int64_t r0, n;
                block(i, rank, size, &r0, &n);
                uint8_t *es = malloc((size_t)n + 1);
                for (int64_t k = 0; es && k < n; k++) es[k] = (uint8_t)(((r0 + k) * 7 + i) % 2);
                EXPECT(es && results_write_error_set(r, i, r0, n, es, &e) == 0, "%s", e.msg);
                free(es);
            }
        }
        MPI_Barrier(MPI_COMM_WORLD);
        EXPECT(results_close(r, &e) == 0, "close: %s", e.msg);
    }

    /* resume collectively: every rank reads every job back */
    r = NULL;
    double t_resume = timed_open(&r, path, &jobs, info, &meta, &e, &rc);
    EXPECT(rc == 0, "resume: %s", e.msg);
    if (rc == 0) {
        int bad = 0;
        for (int i = 0; i < N_JOBS; i++) bad += check_job(r, i, size);
        EXPECT(bad == 0, "rank %d: %d jobs differ", rank, bad);
        EXPECT(results_close(r, &e) == 0, "close: %s", e.msg);
    }
    if (rank == 0) {
        printf("results_open, %d jobs, %d ranks: create %.3f s, resume %.3f s\n", N_JOBS, size,
               t_create, t_resume);
        check_serial(path);
    }
    MPI_Barrier(MPI_COMM_WORLD);

    /* another script asking for one more job: the store grows collectively
     * (a new table row and groups), the stored jobs keep their data */
    results_meta other = meta;
    other.script_sha256 = "feedfeedfeedfeedfeedfeedfeedfeedfeedfeedfeedfeedfeedfeedfeedfeed";
    job_list more = jobs;
    more.jobs = malloc((N_JOBS + 1) * sizeof *more.jobs);
    results_jobinfo *info2 = malloc((N_JOBS + 1) * sizeof *info2);
    if (!more.jobs || !info2) MPI_Abort(MPI_COMM_WORLD, 1);
    memcpy(more.jobs, jobs.jobs, N_JOBS * sizeof *more.jobs);
    memcpy(info2, info, N_JOBS * sizeof *info2);
    more.jobs[N_JOBS] = jobs.jobs[0];
    more.jobs[N_JOBS].hash[0] = jobs.jobs[0].hash[0] == 'f' ? 'e' : 'f';
    info2[N_JOBS] = info[0];
    more.n = N_JOBS + 1;
    int stored = 0;
    e.msg[0] = '\0';
    rc = results_adopt_ids(path, MPI_COMM_WORLD, &more, 0, &stored, &e);
    EXPECT(rc == 0 && stored == N_JOBS, "rank %d: adopt %d: %s", rank, stored, e.msg);
    r = NULL;
    rc = results_open(&r, path, MPI_COMM_WORLD, &more, info2, &other, 0, &e);
    EXPECT(rc == 0, "rank %d: grow: %s", rank, e.msg);
    EXPECT(same_everywhere(e.msg), "rank %d: message differs: %s", rank, e.msg);
    if (rc == 0) {
        results_row row;
        EXPECT(results_read_row(r, N_JOBS, &row, &e) == 0 && row.status == JOB_PENDING,
               "rank %d: new row: %s", rank, e.msg);
        EXPECT(results_read_row(r, 7, &row, &e) == 0 && row.status == JOB_DONE,
               "rank %d: stored row 7 status %d", rank, row.status);
        EXPECT(results_close(r, &e) == 0, "close: %s", e.msg);
    }
    free(more.jobs);
    free(info2);

    MPI_Barrier(MPI_COMM_WORLD);
    if (rank == 0) remove(path);
    free(jobs.jobs);
    free(info);
    /* one verdict for all ranks */
    int mine = test_failures_, all = 0;
    MPI_Allreduce(&mine, &all, 1, MPI_INT, MPI_SUM, MPI_COMM_WORLD);
    rc = TEST_END();
    MPI_Finalize();
    return all ? 1 : rc;
}
