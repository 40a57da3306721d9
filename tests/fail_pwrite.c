/* fail_pwrite.c - an LD_PRELOAD library for e2e_iofail.sh: makes one real
 * write(2)-family call on a chosen file fail with EIO, below HDF5 and
 * MPI-IO, so HDF5's own handling of a failed raw write is exercised.
 *   FAIL_PWRITE_FILE=<path suffix>  the file (matched on /proc/self/fd)
 *   FAIL_PWRITE_NTH=<n>             the n-th write to it fails (from 1)
 *   FAIL_PWRITE_ALL=1               ... and every later one (a dead disk)
 *   FAIL_PWRITE_LOG=1               each write to it on stderr ("write N gen G
 *                                   TAG": G counts the descriptors that wrote
 *                                   to it and were closed before, so the
 *                                   writes of one open share a G; TAG is
 *                                   FAIL_PWRITE_TAG)
 * Test code only: never linked into dett. */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <sys/uio.h>
#include <unistd.h>

static long gen;              /* closed descriptors that wrote to the file */
static unsigned char wrote[4096];   /* 1: this descriptor wrote to it */

/* 1 if fd is open on the chosen file (its path ends in FAIL_PWRITE_FILE) */
static int chosen(int fd)
{
    const char *want = getenv("FAIL_PWRITE_FILE");
    char link[64], path[4096];
    if (!want || !getenv("FAIL_PWRITE_NTH")) return 0;
    snprintf(link, sizeof link, "/proc/self/fd/%d", fd);
    ssize_t k = readlink(link, path, sizeof path - 1);
    if (k < 0) return 0;
    path[k] = '\0';
    size_t lw = strlen(want), lp = (size_t)k;
    return lp >= lw && strcmp(path + lp - lw, want) == 0;
}

/* 1 if this write to fd must fail (counts the writes to the chosen file) */
static int must_fail(int fd)
{
    static long n;
    const char *nth = getenv("FAIL_PWRITE_NTH"), *tag = getenv("FAIL_PWRITE_TAG");
    if (!chosen(fd)) return 0;
    n++;
    if (fd >= 0 && fd < (int)sizeof wrote) wrote[fd] = 1;
    if (getenv("FAIL_PWRITE_LOG"))
        fprintf(stderr, "write %ld gen %ld %s\n", n, gen, tag ? tag : "");
    return getenv("FAIL_PWRITE_ALL") ? n >= atol(nth) : n == atol(nth);
}

typedef ssize_t (*pwrite_fn)(int, const void *, size_t, off_t);
typedef ssize_t (*pwritev_fn)(int, const struct iovec *, int, off_t);
typedef ssize_t (*write_fn)(int, const void *, size_t);
typedef int (*close_fn)(int);

/* the next definition of name (libc's), as a function pointer */
static void *next_fn(const char *name) { return dlsym(RTLD_NEXT, name); }

ssize_t pwrite(int fd, const void *b, size_t len, off_t off)
{
    static pwrite_fn real;
    if (!real) *(void **)&real = next_fn("pwrite");
    if (must_fail(fd)) { errno = EIO; return -1; }
    return real(fd, b, len, off);
}

ssize_t pwrite64(int fd, const void *b, size_t len, off_t off)
{
    static pwrite_fn real;
    if (!real) *(void **)&real = next_fn("pwrite64");
    if (must_fail(fd)) { errno = EIO; return -1; }
    return real(fd, b, len, off);
}

ssize_t pwritev(int fd, const struct iovec *v, int cnt, off_t off)
{
    static pwritev_fn real;
    if (!real) *(void **)&real = next_fn("pwritev");
    if (must_fail(fd)) { errno = EIO; return -1; }
    return real(fd, v, cnt, off);
}

ssize_t write(int fd, const void *b, size_t len)
{
    static write_fn real;
    if (!real) *(void **)&real = next_fn("write");
    if (must_fail(fd)) { errno = EIO; return -1; }
    return real(fd, b, len);
}

int close(int fd)
{
    static close_fn real;
    if (!real) *(void **)&real = next_fn("close");
    if (fd >= 0 && fd < (int)sizeof wrote && wrote[fd]) {
        wrote[fd] = 0;
        gen++;
    }
    return real(fd);
}
