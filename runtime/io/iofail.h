/* iofail.h - an I/O failure of the results file during a run: its kinds,
 * the one line that reports it, and the test hook that injects one.
 *
 * After results_open, a failed raw write (or a results file found removed
 * or replaced) is not fatal where it happens: results.c records it (see
 * results_io_failed), writes nothing more, and the run ends every rank
 * with this line on rank 0 and exit status 1 (cli/cmd_run.c).
 * Serial, no MPI except iofail_injected (the world rank).
 */
#ifndef DETT_IOFAIL_H
#define DETT_IOFAIL_H
#include <stddef.h>

enum { IOFAIL_NONE = 0, IOFAIL_WRITE = 1, IOFAIL_REMOVED = 2 };

/* Test hook DETT_TEST_FAIL_WRITE=<n>[:<errno>][@<rank>]: the n-th raw
 * write (n >= 1, counted per process from the first call) of world rank
 * <rank> (default 0) fails with errno <errno> (default EIO, 5): returns
 * that errno for the write it hits, else 0. A malformed value is ignored. */
int iofail_injected(void);

/* The report line without its "dett: " prefix into buf (len > 0):
 *   IOFAIL_WRITE:   "<file>: write failed: <strerror> (job <id>); finished
 *                    jobs are kept, rerun to resume"
 *   IOFAIL_REMOVED: "<file>: removed or replaced during the run (job <id>):
 *                    this run's writes went to the old file; rerun to
 *                    start again"
 * job NULL or "" leaves the "(job ...)" out. */
void iofail_text(char *buf, size_t len, const char *file, int kind, int err, const char *job);

#endif
