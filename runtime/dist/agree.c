/* agree.c - one status for all ranks of a communicator, and a napping wait (see agree.h). */
#define _POSIX_C_SOURCE 200809L   /* nanosleep */
#include "agree.h"
#include <stdio.h>
#include <string.h>
#include <time.h>

/* the lowest failing rank, its message bcast into msg; *first = size if none */
static int lowest_failure(MPI_Comm comm, int status, dett_err *e, int *first, int *size,
                          char msg[DETT_ERRLEN])
{
    int rank, mine;
    CHECK_MPI(e, MPI_Comm_rank(comm, &rank));
    CHECK_MPI(e, MPI_Comm_size(comm, size));
    mine = status ? rank : *size;
    CHECK_MPI(e, MPI_Allreduce(&mine, first, 1, MPI_INT, MPI_MIN, comm));
    if (*first == *size) return 0;
    if (rank == *first) {
        snprintf(msg, DETT_ERRLEN, "%s", e ? e->msg : "");
        if (!msg[0]) snprintf(msg, DETT_ERRLEN, "unknown failure on rank %d", rank);
    }
    CHECK_MPI(e, MPI_Bcast(msg, DETT_ERRLEN, MPI_CHAR, *first, comm));
    msg[DETT_ERRLEN - 1] = '\0';
    return 0;
fail:
    return -1;
}

int dist_mpi_up(void)
{
    int init = 0, fin = 0;
    if (MPI_Initialized(&init) != MPI_SUCCESS || !init) return 0;
    if (MPI_Finalized(&fin) != MPI_SUCCESS || fin) return 0;
    return 1;
}

int agree(MPI_Comm comm, int status, dett_err *e)
{
    if (!dist_mpi_up()) return status ? -1 : 0;
    int first, size;
    char msg[DETT_ERRLEN];
    if (lowest_failure(comm, status, e, &first, &size, msg)) return -1;
    return first == size ? 0 : dett_fail(e, "%s", msg);
}

int agree_ranked(MPI_Comm comm, int status, dett_err *e)
{
    if (!dist_mpi_up()) return status ? -1 : 0;
    int first, size;
    char msg[DETT_ERRLEN];
    if (lowest_failure(comm, status, e, &first, &size, msg)) return -1;
    if (first == size) return 0;
    /* name the rank only when some ranks did not fail: a failure every rank
     * met (a missing file) is the same line whoever reports it */
    int failed = status != 0, n_failed = 0;
    if (MPI_Allreduce(&failed, &n_failed, 1, MPI_INT, MPI_SUM, comm) != MPI_SUCCESS)
        return dett_fail(e, "rank %d: %s", first, msg);
    if (size > 1 && n_failed < size) return dett_fail(e, "rank %d: %s", first, msg);
    return dett_fail(e, "%s", msg);
}

int dist_wait_napping(MPI_Request *rq, dett_err *e)
{
    int done = 0;
    CHECK_MPI(e, MPI_Test(rq, &done, MPI_STATUS_IGNORE));
    while (!done) {
        struct timespec nap = { 0, 1000000 };   /* 1 ms: jobs take seconds */
        nanosleep(&nap, NULL);
        CHECK_MPI(e, MPI_Test(rq, &done, MPI_STATUS_IGNORE));
    }
    return 0;
fail:
    return -1;
}
