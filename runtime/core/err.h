/* err.h - error reporting for runtime/ and lua/.
 *
 * Library functions return 0 on success and -1 on failure, after writing one
 * line into the caller's dett_err (which may be NULL). Only main() prints it,
 * as "dett: <msg>", and exits (with MPI_Abort when other ranks could be left
 * waiting). The CHECK_* macros test a library call, record file, line and the
 * call's own message, and jump to the enclosing function's `fail:` label, so
 * cleanup stays in one place. They are never asserts.
 */
#ifndef DETT_ERR_H
#define DETT_ERR_H
#include <stddef.h>

#define DETT_ERRLEN 1024

typedef struct {
    char msg[DETT_ERRLEN];
} dett_err;

/* formats the message into e (if non-NULL); returns -1 */
int dett_fail(dett_err *e, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* prefixes e->msg with "<prefix>: " (for adding context on the way up) */
void dett_err_prefix(dett_err *e, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* MPI: any return other than MPI_SUCCESS */
#define CHECK_MPI(e, call)                                                     \
    do {                                                                       \
        int rc_ = (call);                                                      \
        if (rc_ != 0) {                                                        \
            dett_fail_mpi((e), rc_, #call, __FILE__, __LINE__);                \
            goto fail;                                                         \
        }                                                                      \
    } while (0)

/* HDF5: a negative herr_t or hid_t. Message names the call and what (a
 * printf format + args describing the object, e.g. the dataset path). */
#define CHECK_H5(e, call, ...)                                                 \
    do {                                                                       \
        if ((long long)(call) < 0) {                                           \
            dett_fail((e), __VA_ARGS__);                                       \
            goto fail;                                                         \
        }                                                                      \
    } while (0)

/* libc allocation */
#define CHECK_ALLOC(e, ptr)                                                    \
    do {                                                                       \
        if (!(ptr)) {                                                          \
            dett_fail((e), "%s:%d: out of memory", __FILE__, __LINE__);        \
            goto fail;                                                         \
        }                                                                      \
    } while (0)

/* a call into runtime/ or lua/ that already filled e */
#define CHECK(call)                                                            \
    do {                                                                       \
        if ((call) != 0) goto fail;                                            \
    } while (0)

/* CHECK_MPI's message: defined in runtime/dist (mpi_err.c), the floor with MPI */
int dett_fail_mpi(dett_err *e, int rc, const char *call, const char *file, int line);

#endif
