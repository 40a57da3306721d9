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

/* the test hook DETT_TEST_NO_RESERVE=1 runs without a reserve, as on a
 * file system without fallocate */
static int reserve_off(void)
{
    const char *v = getenv("DETT_TEST_NO_RESERVE");
    return v && v[0] == '1';
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
    } else if (bytes > 0 && fallocate(fd, FALLOC_FL_KEEP_SIZE, st.st_size, (off_t)bytes) != 0) {
        int err = errno;
        struct statvfs vfs;
        if (err == EOPNOTSUPP || err == ENOSYS || err == EINVAL) {
            rc = 0;   /* no reserve on this file system: unprotected */
        } else if (err == ENOSPC || err == EDQUOT) {
            long long avail = fstatvfs(fd, &vfs) == 0
                ? (long long)vfs.f_bavail * (long long)vfs.f_frsize / 1024 : -1;
            rc = dett_fail(e, "%s: not enough free space on its file system for this run's new "
                           "jobs: about %lld KB needed, %lld KB free%s; nothing was written",
                           name, (long long)(bytes + 1023) / 1024, avail,
                           err == EDQUOT ? " (disk quota)" : "");
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
