/* report.h - `dett report`: tables and figures from one or more results files.
 *
 *   dett report RESULTS.h5 [more.h5 ...] [--select val-worst|val-avg|oracle]
 *               [--per-group] [--format md|latex|csv] [--tune KEY,...]
 *               [--pivot method] [--plots DIR] [--plot-format pdf,svg,png]
 *               [--diagnostics] [--ident] [--script GRID.lua | --all] [-o FILE]
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

/* what the command line asks for (cli/cmd_report.c parses it): the
 * results files and the options' values as given, checked by report_exec */
typedef struct {
    const char *const *files;
    int n_files;
    const char *select, *format, *plot_format, *stat;   /* as given; defaults below */
    const char *tune, *plots, *pivot, *script;   /* NULL: not given */
    int per_group, diagnostics, ident, all;
} report_args;

/* select val-worst, format md, plot format pdf,png, stat std, nothing else */
void report_args_default(report_args *a);
/* the report of a onto out (the caller's; not closed). 0 ok; 2 a value of
 * an option that is not valid, 1 any other failure, e (may be NULL) holding
 * the one-line message. Warnings that do not stop the report (e.g. a seed
 * found in two files) go to stderr. */
int report_exec(FILE *out, const report_args *a, dett_err *e);

#endif
