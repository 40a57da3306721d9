/* report.h - `dett report`: tables and figures from one or more results files.
 *
 *   dett report RESULTS.h5 [more.h5 ...] [--select val-worst|val-avg|oracle]
 *               [--per-group] [--format md|latex|csv] [--tune KEY,...]
 *               [--pivot method] [--plots DIR] [--plot-format pdf,svg,png]
 *               [--diagnostics]
 *
 * Reads the files serially and read-only (layout: runtime/io/results.h). Jobs
 * whose configurations differ only in the seed form one row; seeds are pooled
 * across files. Identification jobs are counted, not shown; teachers come
 * first in their own section; unfinished jobs are shown, never dropped.
 * Figures go through cairo (analysis/plot.c). Not collective: call it on
 * one rank (it runs after MPI_Init only because HDF5 is the parallel build).
 */
#ifndef DETT_REPORT_H
#define DETT_REPORT_H
#include "err.h"
#include <stdio.h>

/* `dett report` (argv[0] is "report"), writing the report to out (the caller's; not closed). On a
 * non-zero return e (may be NULL) holds the one-line message. Warnings that
 * do not stop the report (e.g. a seed found in two files) go to stderr. */
int report_run(FILE *out, int argc, char **argv, dett_err *e);

#endif
