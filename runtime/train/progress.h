/* progress.h - how `dett run` shows progress (world rank 0): the mode, its
 * parsing, whether stdout is really a terminal, and duration formatting.
 * The scheduler (scheduler.c) draws with these and runtime/train/eta.h.
 *
 * Modes: bar   one status line redrawn in place (\r and an erase-line
 *              escape: terminals only), plus one line per finished job;
 *        lines one line per finished job and, every `interval` seconds, a
 *              status line with the ETA; plain text, no control characters;
 *        auto  bar when stdout is a terminal, else lines.
 */
#ifndef DETT_PROGRESS_H
#define DETT_PROGRESS_H
#include "err.h"
#include <stddef.h>

#define PROGRESS_AUTO (-1)
#define PROGRESS_LINES 0
#define PROGRESS_BAR 1
#define PROGRESS_INTERVAL 30.0     /* default seconds between ETA lines */

/* "auto", "bar", "lines" or "lines:SECONDS" (0.1 .. 86400) -> *mode and
 * *interval (left alone when not given). Returns 0, or -1 with e. */
int progress_parse(const char *val, int *mode, double *interval, dett_err *e);

/* 1 if what this process writes to stdout reaches a terminal. Under Open
 * MPI every rank's stdout is a pseudo-terminal whatever mpirun's own stdout
 * is, so there the answer is mpirun's (this process's parent on the node
 * where rank 0 runs): its stdout must be a terminal too; 0 if that cannot
 * be read (another node). */
int progress_stdout_is_terminal(void);

/* "45s", "4m05s", "2h03m" (negative: "?") */
void progress_duration(double seconds, char *buf, size_t len);

#endif
