/* agree.h - one status for all ranks of a communicator; a wait that does not spin.
 *
 * A rank that fails alone must not leave the others waiting in the next
 * collective. Each rank passes its own status (0 ok, nonzero failed with a
 * message in e); every rank gets the same answer, and on failure the same
 * message: that of the lowest failing rank. Collective over comm.
 */
#ifndef DETT_AGREE_H
#define DETT_AGREE_H
#include "err.h"
#include <mpi.h>

/* 0 on every rank if no rank failed; else -1 on every rank, e holding the
 * lowest failing rank's message as it is */
int agree(MPI_Comm comm, int status, dett_err *e);
/* the same, the message prefixed "rank R: " when some but not all ranks of
 * comm failed (for failures that can differ between ranks: their own rows,
 * their own copy of a file); a failure of every rank has no prefix */
int agree_ranked(MPI_Comm comm, int status, dett_err *e);

/* 1 when MPI is initialised and not finalised. The commands that never
 * start MPI (check, data, report, export) still call code that takes a
 * communicator: agree() then returns the caller's own status, and the
 * file openers fall back to serial I/O. */
int dist_mpi_up(void);

/* Completes rq by MPI_Test with 1 ms naps in between. For waits that can
 * last as long as a job (a group waiting for its next job, students for
 * their teacher): Open MPI's blocking calls spin a core all that time.
 * 0, or -1 with the failed call in e. */
int dist_wait_napping(MPI_Request *rq, dett_err *e);

#endif
