/* cmd_util.c - helpers shared by the subcommands (see cmd.h). */
#include "cmd.h"
#include "lock.h"
#include <errno.h>
#include <math.h>
#include <mpi.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void cmd_die(const dett_err *e)
{
    fprintf(stderr, "dett: %s\n", e->msg);
    fflush(stderr);
    lock_release_held();   /* this rank's lock on a results file, if it holds one */
    MPI_Abort(MPI_COMM_WORLD, 1);
}

int cmd_world_rank(void)
{
    int init = 0, r = 0;
    if (MPI_Initialized(&init) == MPI_SUCCESS && init) {
        if (MPI_Comm_rank(MPI_COMM_WORLD, &r) != MPI_SUCCESS) r = 0;
        return r;
    }
    static const char *const vars[] = {"OMPI_COMM_WORLD_RANK", "PMIX_RANK", "PMI_RANK"};
    for (size_t k = 0; k < sizeof vars / sizeof vars[0]; k++) {
        const char *v = getenv(vars[k]);
        char *end;
        long x = v ? strtol(v, &end, 10) : -1;
        if (v && *v && !*end && x >= 0 && x < (1L << 30)) return (int)x;
    }
    return 0;
}

void cmd_report(const dett_err *e)
{
    if (cmd_world_rank() == 0) fprintf(stderr, "dett: %s\n", e->msg);
}

int cmd_int(const char *flag, const char *s, long lo, long hi, long *out, dett_err *e)
{
    char *end;
    if (!s) return dett_fail(e, "%s needs a value", flag);
    errno = 0;
    long v = strtol(s, &end, 10);
    if (errno || end == s || *end)
        return dett_fail(e, "%s: '%s' is not an integer", flag, s);
    if (v < lo || v > hi)
        return dett_fail(e, "%s: %ld is out of range [%ld, %ld]", flag, v, lo, hi);
    *out = v;
    return 0;
}

int cmd_float(const char *flag, const char *s, double lo, double hi, double *out,
              dett_err *e)
{
    char *end;
    if (!s) return dett_fail(e, "%s needs a value", flag);
    errno = 0;
    double v = strtod(s, &end);
    if (errno || end == s || *end || !isfinite(v))
        return dett_fail(e, "%s: '%s' is not a number", flag, s);
    if (v < lo || v > hi)
        return dett_fail(e, "%s: %g is out of range [%g, %g]", flag, v, lo, hi);
    *out = v;
    return 0;
}

unsigned long long cmd_checksum(const float *v, size_t n)
{
    unsigned long long h = 1469598103934665603ULL;
    const unsigned char *b = (const unsigned char *)v;
    for (size_t i = 0; i < n * sizeof(float); i++) {
        h ^= b[i];
        h *= 1099511628211ULL;
    }
    return h;
}
