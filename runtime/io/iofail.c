/* iofail.c - results-file I/O failures during a run (see iofail.h). */
#include "iofail.h"
#include <errno.h>
#include <mpi.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* parses "<n>[:<errno>][@<rank>]"; 0 on success */
static int parse_hook(const char *v, long *n, long *err, long *rank)
{
    char *end;
    *err = EIO;
    *rank = 0;
    *n = strtol(v, &end, 10);
    if (end == v || *n < 1) return -1;
    if (*end == ':') {
        const char *p = end + 1;
        *err = strtol(p, &end, 10);
        if (end == p || *err < 1 || *err > 4095) return -1;
    }
    if (*end == '@') {
        const char *p = end + 1;
        *rank = strtol(p, &end, 10);
        if (end == p || *rank < 0) return -1;
    }
    return *end ? -1 : 0;
}

int iofail_injected(void)
{
    static long count = 0;
    const char *v = getenv("DETT_TEST_FAIL_WRITE");
    long n, err, rank;
    int init = 0, me = 0;
    if (!v || !*v || parse_hook(v, &n, &err, &rank)) return 0;
    if (MPI_Initialized(&init) == MPI_SUCCESS && init &&
        MPI_Comm_rank(MPI_COMM_WORLD, &me) != MPI_SUCCESS)
        return 0;
    if (me != rank) return 0;
    return ++count == n ? (int)err : 0;
}

void iofail_text(char *buf, size_t len, const char *file, int kind, int err, const char *job)
{
    char jb[64] = "";
    if (job && *job) snprintf(jb, sizeof jb, " (job %.40s)", job);
    if (kind == IOFAIL_REMOVED)
        snprintf(buf, len, "%s: removed or replaced during the run%s: this run's writes went "
                 "to the old file; rerun to start again", file, jb);
    else
        snprintf(buf, len, "%s: write failed: %s%s; finished jobs are kept, rerun to resume",
                 file, strerror(err > 0 ? err : EIO), jb);
}
