/* digest.h - the content digest of a data file, cached per file.
 *
 * A job's identity includes what it reads, not where it reads it from
 * (docs/design.md, jobs and caching). The digest of a data file is the hex
 * SHA-256 of a canonical stream of what dett reads from it:
 *   "dett-data-digest/1\n" "n_classes=C n_attrs=A\n"
 *   then for each split train, val, test and each of X, y, a:
 *   "<split>/<name> <type> [n,d..]\n" and the values, row-major,
 *   X as float32 little-endian, y and a as int32 little-endian
 * (HDF5 converts while reading). The layout is not part of it: a copy
 * repacked with other chunks, compression or byte order, holding the same
 * values, has the same digest. Names, descriptions and other attributes are
 * not part of it either: they do not change what a job computes.
 *
 * Hashing reads the whole file once (a 600 MB file takes seconds), so the
 * result is cached, keyed by the file's absolute path, size, mtime, ctime,
 * device and inode: any rewrite, copy over, rename onto or touch of the
 * file misses the cache and rehashes. The cache is one small text file per
 * user (see digest_cache_path); it is read and rewritten by one process at
 * a time of a run (world rank 0), replaced atomically (write + rename), and
 * losing it, or a race between two processes writing it, costs only a
 * rehash. The file is also stat'ed after hashing: a file that changed while
 * it was being hashed is not cached.
 */
#ifndef DETT_DIGEST_H
#define DETT_DIGEST_H
#include "err.h"
#include <mpi.h>
#include <stdint.h>

#define DIGEST_HEX 65

typedef struct {
    char hex[DIGEST_HEX];   /* lowercase hex SHA-256, NUL-terminated */
    int cached;             /* 1: taken from the cache, 0: hashed now */
    int64_t bytes;          /* value bytes hashed (0 when cached) */
    double seconds;         /* time spent hashing (0 when cached) */
} data_digest;

/* The cache file: $DETT_DIGEST_CACHE if set (empty: no cache), else
 * $XDG_CACHE_HOME/dett/data-digests, else $HOME/.cache/dett/data-digests.
 * Writes "" into out if there is none. */
void digest_cache_path(char *out, size_t n);

/* The digest of the data file at path, from the cache or hashed now (and
 * then cached). The file must already have passed dataset_open: a layout
 * it does not expect is an error here. Serial (opens the file without
 * MPI-IO). A cache that cannot be read or written is ignored (the digest is
 * still returned). Returns 0, or -1 with "path: what" in e. */
int digest_file(const char *path, data_digest *out, dett_err *e);

/* Collective over comm: rank 0 runs digest_file, every rank gets its
 * result and status (the same message on every rank on failure). */
int digest_file_shared(const char *path, MPI_Comm comm, data_digest *out, dett_err *e);

#endif
