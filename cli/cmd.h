/* cmd.h - the dett subcommands. Each takes the subcommand's argv (argv[0] is
 * its name) and returns the process exit code; run and train run after
 * MPI_Init, data, check, report and export without MPI (main.c), but work
 * in-process after MPI_Init too (the tests call them so). Exit codes:
 * 0 success, 1 failure, 2 usage error. A failure that every rank agrees on is
 * returned; one that could leave ranks in a collective calls cmd_die. */
#ifndef DETT_CMD_H
#define DETT_CMD_H
#include "err.h"
#include <stdio.h>

int cmd_data(int argc, char **argv);
int cmd_train(int argc, char **argv);
int cmd_run(int argc, char **argv);
/* `dett check GRID.lua`: one line per job (id, kind, short hash, deps,
 * method, arch, weighting, seed) and "N jobs" */
int cmd_check(int argc, char **argv);
/* `dett report`: the report on stdout, errors as one "dett:" line */
int cmd_report_main(int argc, char **argv);
/* `dett report` (argv[0] is "report") onto out, or into -o FILE; 0 ok, 2
 * a usage error, 1 a failure, with the one-line message in e (may be NULL) */
int report_run(FILE *out, int argc, char **argv, dett_err *e);
/* `dett export RESULTS.h5 JOB -o F.npz [--what student|teacher|projector]`:
 * a model's tensors under PyTorch nn.Sequential state_dict names, plus its
 * architecture and configuration (cmd_export.c) */
int cmd_export(int argc, char **argv);

/* prints "dett: <msg>" and MPI_Abort(MPI_COMM_WORLD, 1): for failures the
 * other ranks may not have seen */
void cmd_die(const dett_err *e);
/* prints "dett: <msg>" on world rank 0 only (a failure all ranks share) */
void cmd_report(const dett_err *e);
/* this process's rank in the world: MPI's if MPI is initialised, else the
 * launcher's (OMPI_COMM_WORLD_RANK, PMIX_RANK, PMI_RANK), else 0 */
int cmd_world_rank(void);
/* parsing helpers: strict conversions, 0 ok / -1 with a message in e */
int cmd_int(const char *flag, const char *s, long lo, long hi, long *out, dett_err *e);
int cmd_float(const char *flag, const char *s, double lo, double hi, double *out,
              dett_err *e);
/* a 64-bit FNV-1a checksum of n floats (bit patterns), for determinism checks */
unsigned long long cmd_checksum(const float *v, size_t n);

#endif
