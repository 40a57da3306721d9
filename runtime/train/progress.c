/* progress.c - progress modes and formatting of `dett run` (see progress.h). */
#define _POSIX_C_SOURCE 200809L
#include "progress.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int progress_parse(const char *val, int *mode, double *interval, dett_err *e)
{
    if (!val) return dett_fail(e, "--progress needs auto, bar or lines[:SECONDS]");
    if (!strcmp(val, "auto")) *mode = PROGRESS_AUTO;
    else if (!strcmp(val, "bar")) *mode = PROGRESS_BAR;
    else if (!strcmp(val, "lines")) *mode = PROGRESS_LINES;
    else if (!strncmp(val, "lines:", 6)) {
        char *end;
        double s = strtod(val + 6, &end);
        if (end == val + 6 || *end || !(s >= 0.1 && s <= 86400))
            return dett_fail(e, "--progress %s: the interval must be 0.1 to 86400 seconds", val);
        *mode = PROGRESS_LINES;
        *interval = s;
    } else {
        return dett_fail(e, "--progress: '%s': expected auto, bar or lines[:SECONDS]", val);
    }
    return 0;
}

/* 1 if the file descriptor fd of process pid is a terminal device */
static int fd_of_is_tty(long pid, int fd)
{
    char path[64], target[256];
    snprintf(path, sizeof path, "/proc/%ld/fd/%d", pid, fd);
    ssize_t n = readlink(path, target, sizeof target - 1);
    if (n <= 0) return 0;
    target[n] = 0;
    return !strncmp(target, "/dev/pts/", 9) || !strncmp(target, "/dev/tty", 8) ||
           !strcmp(target, "/dev/console");
}

int progress_stdout_is_terminal(void)
{
    if (!isatty(STDOUT_FILENO)) return 0;
    if (!getenv("OMPI_COMM_WORLD_SIZE")) return 1;
    return fd_of_is_tty((long)getppid(), STDOUT_FILENO);
}

void progress_duration(double s, char *buf, size_t len)
{
    if (!(s >= 0)) {
        snprintf(buf, len, "?");
        return;
    }
    long t = (long)(s + 0.5);
    if (t < 60) snprintf(buf, len, "%lds", t);
    else if (t < 3600) snprintf(buf, len, "%ldm%02lds", t / 60, t % 60);
    else snprintf(buf, len, "%ldh%02ldm", t / 3600, (t % 3600) / 60);
}
