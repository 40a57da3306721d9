/* main.c - the dett command: dispatches to a subcommand; only the ones
 * that train (run, train) initialise MPI. report, check, data and export
 * read and write files serially and never call MPI_Init, so they work on a
 * login node or a laptop without a launcher. */
#include "cmd.h"
#include "dsl.h"
#include "report.h"
#include "linalg.h"
#include <hdf5.h>
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
    "usage: dett <command> [options]   (run and train under mpirun for several ranks)\n"
    "\n"
    "commands:\n"
    "  data synth -o FILE.h5 ...        write a dataset file (dett data --help)\n"
    "  train --data FILE.h5 ...         train one job, no script (dett train --help)\n"
    "  check GRID.lua                   validate a grid script and list its jobs\n"
    "  run GRID.lua -o RESULTS.h5       run every job of a grid\n"
    "  report RESULTS.h5 ...            paper-style tables and plots\n"
    "  export RESULTS.h5 JOB -o F.npz   a trained model's tensors for numpy/PyTorch\n"
    "  help [COMMAND]                   this text, or the command's (= dett COMMAND --help)\n"
    "  --version                        version and git commit\n"
    "\n"
    "Every command takes --opt VALUE and --opt=VALUE, -h/--help (usage to stdout,\n"
    "exit 0); a usage error is one 'dett:' line on stderr and exit status 2.\n";

/* the subcommands; mpi: 1 if it needs MPI_Init (it trains over ranks) */
static const struct {
    const char *name;
    int (*fn)(int, char **);
    int mpi;
} commands[] = {
    {"data", cmd_data, 0},          {"train", cmd_train, 1},
    {"check", cmd_check, 0},        {"run", cmd_run, 1},
    {"report", cmd_report_main, 0}, {"export", cmd_export, 0},
};

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "dett: no command (try 'dett --help')\n");
        return 2;
    }
    if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") ||
        (!strcmp(argv[1], "help") && argc == 2)) {
        fputs(help, stdout);
        return 0;
    }
    if (!strcmp(argv[1], "--version")) {
        printf("dett %s (git %s)\n", DETT_VERSION, DETT_GIT_COMMIT);
        return 0;
    }
    /* dett help COMMAND [NAME] = dett COMMAND [NAME] --help */
    char *help_argv[5] = { NULL };
    if (!strcmp(argv[1], "help")) {
        if (argc > 4) {
            fprintf(stderr, "dett: help: one command at a time (try 'dett --help')\n");
            return 2;
        }
        int n = 0;
        help_argv[n++] = argv[0];
        for (int i = 2; i < argc; i++) help_argv[n++] = argv[i];
        help_argv[n++] = (char *)"--help";
        argc = n;
        argv = help_argv;
    }
    int c = -1;
    for (int k = 0; k < (int)(sizeof commands / sizeof commands[0]); k++)
        if (!strcmp(argv[1], commands[k].name)) c = k;
    if (c < 0) {
        fprintf(stderr, "dett: unknown command '%s' (try 'dett --help')\n", argv[1]);
        return 2;
    }
    /* one BLAS thread per rank: ranks are the parallelism */
    linalg_blas_one_thread();
    /* HDF5 does not close itself down at exit: every file is closed
     * explicitly, and a damaged file can leave HDF5's own allocations
     * behind, whose shutdown prints "infinite loop closing library" */
    if (H5dont_atexit() < 0) {
        fprintf(stderr, "dett: H5dont_atexit failed\n");
        return 1;
    }
    if (!commands[c].mpi) return commands[c].fn(argc - 1, argv + 1);
    /* HDF5 started before MPI: it then hangs no shutdown on MPI_COMM_SELF,
     * so MPI_Finalize does not close it; a clean run closes it below.
     * After a failed run it is left open: closing a file whose device
     * failed (its superblock cannot be rewritten) crashes HDF5 1.10's
     * shutdown (docs/reliability.md), and the process ends anyway. */
    if (H5open() < 0) {
        fprintf(stderr, "dett: H5open failed\n");
        return 1;
    }
    if (MPI_Init(&argc, &argv) != MPI_SUCCESS) {
        fprintf(stderr, "dett: MPI_Init failed\n");
        return 1;
    }
    int rc = commands[c].fn(argc - 1, argv + 1);
    /* a clean run shuts HDF5 down before MPI (its MPI-IO files are closed
     * and its communicators freed); after a failure, already told in one
     * line, nothing else is said on stderr */
    if (rc != 1 && rc != 2) {
        if (H5close() < 0) fprintf(stderr, "dett: H5close failed\n");
    } else {
        fflush(stderr);
        if (!freopen("/dev/null", "w", stderr)) { /* keep stderr as it is */ }
    }
    MPI_Finalize();
    return rc;
}
