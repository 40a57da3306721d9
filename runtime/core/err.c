/* err.c - error messages (see err.h). */
#include "err.h"
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

int dett_fail(dett_err *e, const char *fmt, ...)
{
    if (!e) return -1;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(e->msg, sizeof e->msg, fmt, ap);
    va_end(ap);
    return -1;
}

void dett_err_prefix(dett_err *e, const char *fmt, ...)
{
    if (!e) return;
    char pre[DETT_ERRLEN], old[DETT_ERRLEN];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(pre, sizeof pre, fmt, ap);
    va_end(ap);
    memcpy(old, e->msg, sizeof old);
    size_t n = strlen(pre);
    if (n > sizeof e->msg - 3) n = sizeof e->msg - 3;
    memcpy(e->msg, pre, n);
    memcpy(e->msg + n, ": ", 2);
    size_t rest = sizeof e->msg - n - 3;
    strncpy(e->msg + n + 2, old, rest);
    e->msg[sizeof e->msg - 1] = '\0';
}
