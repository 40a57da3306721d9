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

void cmd_report(const dett_err *e)
{
    int r = 0;
    MPI_Comm_rank(MPI_COMM_WORLD, &r);
    if (r == 0) fprintf(stderr, "dett: %s\n", e->msg);
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
