/* reserve.c - disk space set aside for a results file (see reserve.h). */
#define _GNU_SOURCE
#include "reserve.h"
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

/* the test hook DETT_TEST_NO_RESERVE=1 runs without a reserve or any
 * check (to show what the reserve prevents) */
static int reserve_off(void)
{
    const char *v = getenv("DETT_TEST_NO_RESERVE");
    return v && v[0] == '1';
}

/* fallocate, or the test hook DETT_TEST_NO_FALLOCATE=1: fails with
 * EOPNOTSUPP as on a file system without it (NFS before 4.2) */
static int reserve_call(int fd, off_t at, off_t bytes)
{
    const char *v = getenv("DETT_TEST_NO_FALLOCATE");
    if (v && v[0] == '1') {
        errno = EOPNOTSUPP;
        return -1;
    }
    return fallocate(fd, FALLOC_FL_KEEP_SIZE, at, bytes);
}

/* the refusal for want of space: needed and free in KB */
static int no_room(dett_err *e, const char *name, int64_t bytes, long long avail_kb, int quota)
{
    return dett_fail(e, "%s: not enough free space on its file system for this run's new "
                     "jobs: about %lld KB needed, %lld KB free%s; nothing was written",
                     name, (long long)(bytes + 1023) / 1024, avail_kb,
                     quota ? " (disk quota)" : "");
}

/* free KB of fd's file system for an unprivileged writer, -1 if unknown */
static long long free_kb(int fd)
{
    struct statvfs vfs;
    return fstatvfs(fd, &vfs) == 0 ? (long long)vfs.f_bavail * (long long)vfs.f_frsize / 1024
                                   : -1;
}

int space_reserve(const char *path, const char *name, int create, int64_t bytes, dett_err *e)
{
    struct stat st;
    int fd = open(path, O_RDWR | O_CLOEXEC | (create ? O_CREAT : 0), 0666);
    if (fd < 0)
        return dett_fail(e, "%s: cannot %s %s: %s", name, create ? "create" : "open", path,
                         strerror(errno));
    if (fstat(fd, &st) != 0) {
        int err = errno;
        close(fd);
        return dett_fail(e, "%s: fstat: %s", name, strerror(err));
    }
    int rc = 1;
    if (reserve_off()) {
        rc = 0;
    } else if (bytes > 0 && reserve_call(fd, st.st_size, (off_t)bytes) != 0) {
        int err = errno;
        if (err == EOPNOTSUPP || err == ENOSYS || err == EINVAL) {
            /* no reserve on this file system: the free space is checked
             * instead (weaker: another writer can take it meanwhile, and a
             * quota is not seen) */
            long long avail = free_kb(fd);
            rc = avail >= 0 && avail * 1024 < bytes ? no_room(e, name, bytes, avail, 0) : 0;
        } else if (err == ENOSPC || err == EDQUOT) {
            rc = no_room(e, name, bytes, free_kb(fd), err == EDQUOT);
        } else {
            rc = dett_fail(e, "%s: cannot reserve %lld bytes: %s", name, (long long)bytes,
                           strerror(err));
        }
    }
    if (close(fd) != 0 && rc >= 0)
        rc = dett_fail(e, "%s: close: %s", name, strerror(errno));
    return rc;
}

void space_release(const char *path)
{
    struct stat st;
    int fd = open(path, O_RDWR | O_CLOEXEC);
    if (fd < 0) return;
    if (fstat(fd, &st) == 0) {
        /* tmpfs and xfs free blocks past the end by punching them; ext4
         * frees them on a truncate to the same size */
        if (fallocate(fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, st.st_size,
                      (off_t)1 << 40) != 0) { /* best effort */ }
        if (ftruncate(fd, st.st_size) != 0) { /* best effort */ }
    }
    close(fd);
}
