/* mpi_err.c - the message of a failed MPI call (CHECK_MPI in err.h); it lives
 * in dist/ because runtime/core has no MPI. */
#include "err.h"
#include <mpi.h>
#include <stdio.h>

int dett_fail_mpi(dett_err *e, int rc, const char *call, const char *file, int line)
{
    char s[MPI_MAX_ERROR_STRING];
    int len = 0;
    if (MPI_Error_string(rc, s, &len) != MPI_SUCCESS) snprintf(s, sizeof s, "error %d", rc);
    return dett_fail(e, "%s:%d: %s failed: %s", file, line, call, s);
}
