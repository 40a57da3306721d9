/* lock.h - one writer at a time on a results file.
 *
 * `dett run ... -o R.h5` holds the lock file "R.h5.lock" while it runs. The
 * lock is taken atomically: its text (host, pid, start time, boot id, the
 * process's start tick) is written to a private temporary file that is then
 * hard-linked to R.h5.lock; link(2) fails if the name exists, on local file
 * systems, NFS (v2 included: a link that reports an error but happened is
 * detected by the link count) and Lustre alike. No fcntl/flock locks are
 * used, so it works where file systems are mounted without them.
 *
 * A lock that exists is either held or stale:
 *  - same host (hostname): stale when its pid is gone, when that pid is now
 *    another process (its start tick differs) or this one, or when the host
 *    has rebooted since (boot id differs). Exact on Linux.
 *  - another host: the holder touches the lock every heartbeat (a thread,
 *    so a long step or a blocking wait does not delay it); a lock not
 *    touched for DETT_LOCK_STALE_SECONDS (default 300) is stale. This needs
 *    the hosts' clocks to agree within that margin (NTP does).
 * A stale lock is taken over (moved aside atomically by rename, checked to
 * be the one judged stale, then replaced) and the caller gets a note to
 * print; a held one is refused with its holder (host, pid, since when).
 */
#ifndef DETT_LOCK_H
#define DETT_LOCK_H
#include "err.h"
#include <mpi.h>
#include <stddef.h>

typedef struct results_lock results_lock;

/* Takes "<results_path>.lock". Returns 0 with *out (free with lock_release)
 * and note set to a one-line message if a stale lock was taken over ("" if
 * not); -1 with e = "R.h5: in use by another dett run (host H, pid P, since
 * T; lock R.h5.lock) ..." or an I/O failure. Starts the heartbeat thread. */
int lock_take(const char *results_path, results_lock **out, char *note, size_t note_len,
              dett_err *e);

/* Stops the heartbeat and removes the lock file if it is still this
 * process's. NULL ok. */
void lock_release(results_lock *l);

/* For fatal paths (just before MPI_Abort): removes the lock this process
 * holds, if any, without waiting for the heartbeat thread. */
void lock_release_held(void);

/* Collective over comm: rank 0 takes the lock (printing a takeover note on
 * stderr), every rank gets the same status and message. *out is non-NULL
 * on rank 0 only. */
int lock_take_shared(const char *results_path, MPI_Comm comm, results_lock **out, dett_err *e);

#endif
