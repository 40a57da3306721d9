/* reserve.h - disk space set aside for a results file before HDF5 writes it.
 *
 * HDF5 cannot recover from a write that fails half-way through its
 * metadata (a full disk): a failed flush leaves the file inconsistent, a
 * failed close leaves the library in a state that crashes at exit, and a
 * fill write that fails on one rank leaves the others in its barrier. So
 * results.c reserves the space a new layout needs first (fallocate with
 * FALLOC_FL_KEEP_SIZE: blocks past the end of the file, its size and
 * contents unchanged, so HDF5 sees nothing) and refuses the run before
 * anything is written if the file system cannot give it. What is left of
 * the reserve past the end of the file is given back afterwards.
 *
 * Serial, POSIX; results.c calls these on rank 0 and agrees on the status.
 */
#ifndef DETT_RESERVE_H
#define DETT_RESERVE_H
#include "err.h"
#include <stdint.h>

/* Sets aside bytes past path's current end (create: the file is made if
 * missing). Returns 1 if reserved; 0 if the file system cannot reserve
 * (no fallocate, or the test hook DETT_TEST_NO_FALLOCATE=1) but statvfs
 * shows at least `bytes` free (weaker: another writer can take the space
 * before HDF5 does), or if DETT_TEST_NO_RESERVE=1 (neither reserve nor
 * check: unprotected);
 * -1 with a message naming `name` (the results file, when path is its
 * temporary) if there is not enough space ("not enough free space ...
 * about N KB needed, M KB free") or another error (its strerror). */
int space_reserve(const char *path, const char *name, int create, int64_t bytes, dett_err *e);

/* Gives back the reserve past path's end (best effort: a file system
 * without hole punching keeps it until the file is truncated). */
void space_release(const char *path);

#endif
