/* main.c - the dett command: sets up MPI and OpenBLAS, dispatches. */
#include "cmd.h"
#include "dsl.h"
#include "report.h"
#include "linalg.h"
#include <mpi.h>
#include <stdio.h>
#include <string.h>

#ifndef DETT_VERSION
#define DETT_VERSION "0.0.0"
#endif
#ifndef DETT_GIT_COMMIT
#define DETT_GIT_COMMIT "unknown"
#endif


static const char *help =
    "dett - debiased knowledge-distillation experiments on MPI clusters\n"
    "\n"
    "usage: dett <command> [options]   (run under mpirun for several ranks)\n"
    "\n"
    "commands:\n"
    "  data synth -o FILE.h5 ...        write a dataset file (dett data --help)\n"
    "  train --data FILE.h5 ...         train one job, no script (dett train --help)\n"
    "  check GRID.lua                   validate a grid script and list its jobs\n"
    "  run GRID.lua -o RESULTS.h5       run every job of a grid\n"
    "  report RESULTS.h5 ...            paper-style tables and plots\n"
    "  --version                        version and git commit\n"
    "  --help                           this text\n";

int main(int argc, char **argv)
{
    if (argc < 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
        fputs(help, stdout);
        return argc < 2 ? 2 : 0;
    }
    if (!strcmp(argv[1], "--version")) {
        printf("dett %s (git %s)\n", DETT_VERSION, DETT_GIT_COMMIT);
        return 0;
    }
    const char *cmd = argv[1];
    int (*fn)(int, char **) = NULL;
    if (!strcmp(cmd, "data")) fn = cmd_data;
    else if (!strcmp(cmd, "train")) fn = cmd_train;
    else if (!strcmp(cmd, "check")) fn = cmd_check;
    else if (!strcmp(cmd, "run")) fn = cmd_run;
    else if (!strcmp(cmd, "report")) fn = cmd_report_main;
    if (!fn) {
        fprintf(stderr, "dett: unknown command '%s' (see dett --help)\n", cmd);
        return 2;
    }
    /* one BLAS thread per rank: ranks are the parallelism */
    linalg_blas_one_thread();
    if (MPI_Init(&argc, &argv) != MPI_SUCCESS) {
        fprintf(stderr, "dett: MPI_Init failed\n");
        return 1;
    }
    int rc = fn(argc - 1, argv + 1);
    MPI_Finalize();
    return rc;
}
