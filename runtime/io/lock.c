/* lock.c - the results file's writer lock (see lock.h). */
#define _GNU_SOURCE
#include "lock.h"
#include "agree.h"
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define LOCK_TEXT 1024
#define HOST_LEN 256

/* what a lock file says about its holder */
typedef struct {
    char host[HOST_LEN], boot[64];
    long long pid, since, start;
} holder;

struct results_lock {
    char path[PATH_MAX];          /* the lock file */
    char text[LOCK_TEXT];         /* what this process wrote into it */
    pthread_t beat;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    int stop, beating;
    double every;                 /* heartbeat period, seconds */
};

static results_lock *held;        /* the lock this process holds, for lock_release_held */

static long stale_seconds(void)
{
    const char *v = getenv("DETT_LOCK_STALE_SECONDS");
    long s = v ? strtol(v, NULL, 10) : 300;
    return s > 0 ? s : 300;
}

/* the first line of a small file into out ("" if unreadable) */
static void read_line(const char *file, char *out, size_t n)
{
    FILE *f = fopen(file, "r");
    out[0] = '\0';
    if (!f) return;
    if (!fgets(out, (int)n, f)) out[0] = '\0';
    fclose(f);
    out[strcspn(out, "\n")] = '\0';
}

/* the start time of process pid in clock ticks since boot (field 22 of
 * /proc/pid/stat), -1 if unknown */
static long long proc_start(long long pid)
{
    char file[64], line[1024];
    snprintf(file, sizeof file, "/proc/%lld/stat", pid);
    read_line(file, line, sizeof line);
    const char *p = strrchr(line, ')');   /* the command name may hold anything */
    if (!p) return -1;
    long long v = -1;
    int field = 2;
    for (const char *s = p + 1; *s; s++)
        if (*s == ' ' && ++field == 22) {
            v = strtoll(s + 1, NULL, 10);
            break;
        }
    return v;
}

static void my_holder(holder *h)
{
    memset(h, 0, sizeof *h);
    if (gethostname(h->host, sizeof h->host - 1) != 0) snprintf(h->host, sizeof h->host, "?");
    read_line("/proc/sys/kernel/random/boot_id", h->boot, sizeof h->boot);
    h->pid = (long long)getpid();
    h->since = (long long)time(NULL);
    h->start = proc_start(h->pid);
}

static void holder_text(const holder *h, const char *results, char *out, size_t n)
{
    snprintf(out, n,
             "dett run lock: a dett run writes %s; remove this file only if that run is gone\n"
             "host=%s\npid=%lld\nsince=%lld\nboot=%s\nstart=%lld\n",
             results, h->host, h->pid, h->since, h->boot[0] ? h->boot : "-", h->start);
}

/* parses a lock's text; 0 ok, -1 not a dett lock */
static int parse_holder(const char *text, holder *h)
{
    memset(h, 0, sizeof *h);
    h->pid = h->since = h->start = -1;
    if (strncmp(text, "dett run lock:", 14) != 0) return -1;
    for (const char *l = strchr(text, '\n'); l && l[1]; l = strchr(l + 1, '\n')) {
        const char *v = l + 1;
        int len = (int)strcspn(v, "\n");
        if (!strncmp(v, "host=", 5)) snprintf(h->host, sizeof h->host, "%.*s", len - 5, v + 5);
        else if (!strncmp(v, "boot=", 5)) snprintf(h->boot, sizeof h->boot, "%.*s", len - 5, v + 5);
        else if (!strncmp(v, "pid=", 4)) h->pid = strtoll(v + 4, NULL, 10);
        else if (!strncmp(v, "since=", 6)) h->since = strtoll(v + 6, NULL, 10);
        else if (!strncmp(v, "start=", 6)) h->start = strtoll(v + 6, NULL, 10);
    }
    return h->host[0] && h->pid > 0 && h->since >= 0 ? 0 : -1;
}

/* the whole file (up to n - 1 bytes) into out; -1 with errno */
static int read_all(const char *file, char *out, size_t n)
{
    int fd = open(file, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return -1;
    ssize_t k, got = 0;
    while ((size_t)got < n - 1 && (k = read(fd, out + got, n - 1 - (size_t)got)) > 0) got += k;
    int err = errno;
    close(fd);
    out[got > 0 ? got : 0] = '\0';
    if (k < 0) { errno = err; return -1; }
    return 0;
}

/* "2024-06-10 12:13:20 +0200" */
static void when(long long t, char *out, size_t n)
{
    time_t tt = (time_t)t;
    struct tm tm;
    if (!localtime_r(&tt, &tm) || !strftime(out, n, "%Y-%m-%d %H:%M:%S %z", &tm))
        snprintf(out, n, "%lld", t);
}

/* 1 if the lock of h (file mtime mtime) is stale, with the reason in why */
static int is_stale(const holder *h, time_t mtime, char *why, size_t n)
{
    holder me;
    my_holder(&me);
    if (strcmp(h->host, me.host) != 0) {
        long age = (long)(time(NULL) - mtime), lim = stale_seconds();
        if (age <= lim) return 0;
        snprintf(why, n, "not refreshed for %ld s (limit %ld s, DETT_LOCK_STALE_SECONDS)", age, lim);
        return 1;
    }
    if (h->boot[0] && strcmp(h->boot, "-") && me.boot[0] && strcmp(h->boot, me.boot)) {
        snprintf(why, n, "the host has rebooted since");
        return 1;
    }
    if (h->pid == me.pid) {
        snprintf(why, n, "its pid is this process now");
        return 1;
    }
    if (kill((pid_t)h->pid, 0) != 0 && errno == ESRCH) {
        snprintf(why, n, "no such process");
        return 1;
    }
    long long st = proc_start(h->pid);
    if (h->start >= 0 && st >= 0 && st != h->start) {
        snprintf(why, n, "pid %lld is another process now", h->pid);
        return 1;
    }
    return 0;
}

/* link(tmp, lock); NFS may report a failure for a link that happened: the
 * link count of tmp tells. 0 linked, -1 with errno */
static int link_lock(const char *tmp, const char *lock)
{
    if (link(tmp, lock) == 0) return 0;
    int err = errno;
    struct stat st;
    if (err != EEXIST && stat(tmp, &st) == 0 && st.st_nlink == 2) return 0;
    errno = err;
    return -1;
}

static void *heartbeat(void *arg)
{
    results_lock *l = arg;
    pthread_mutex_lock(&l->mu);
    while (!l->stop) {
        struct timespec until;
        clock_gettime(CLOCK_REALTIME, &until);
        until.tv_sec += (time_t)l->every;
        pthread_cond_timedwait(&l->cv, &l->mu, &until);
        if (!l->stop) utimensat(AT_FDCWD, l->path, NULL, 0);   /* best effort */
    }
    pthread_mutex_unlock(&l->mu);
    return NULL;
}

/* one attempt outcome of take_once */
enum { TAKEN, RETRY, REFUSED, FAILED };

/* tries to link tmp as the lock; handles an existing one (refuse or take
 * over, appending to note) */
static int take_once(const char *results, const char *lock, const char *tmp, char *note,
                     size_t note_len, dett_err *e)
{
    char text[LOCK_TEXT], again[LOCK_TEXT], why[160], since[64];
    holder h;
    struct stat st;
    if (link_lock(tmp, lock) == 0) return TAKEN;
    if (errno != EEXIST) {
        dett_fail(e, "%s: cannot create the lock %s: %s", results, lock, strerror(errno));
        return FAILED;
    }
    if (stat(lock, &st) != 0 || read_all(lock, text, sizeof text) != 0)
        return errno == ENOENT ? RETRY : (dett_fail(e, "%s: cannot read the lock %s: %s",
                                                    results, lock, strerror(errno)), FAILED);
    if (parse_holder(text, &h) != 0) {
        dett_fail(e, "%s: %s exists and is not a dett lock; remove it if no dett run writes "
                  "%s", results, lock, results);
        return REFUSED;
    }
    when(h.since, since, sizeof since);
    if (!is_stale(&h, st.st_mtime, why, sizeof why)) {
        dett_fail(e, "%s: in use by another dett run (host %s, pid %lld, since %s; lock %s); "
                  "wait for it to finish, or remove %s if that run is gone", results, h.host,
                  h.pid, since, lock, lock);
        return REFUSED;
    }
    /* stale: move it aside, and make sure it is the one judged stale */
    char aside[PATH_MAX + 64];
    snprintf(aside, sizeof aside, "%s.stale.%ld", lock, (long)getpid());
    if (rename(lock, aside) != 0) {
        if (errno == ENOENT) return RETRY;
        dett_fail(e, "%s: cannot take over the stale lock %s: %s", results, lock, strerror(errno));
        return FAILED;
    }
    if (read_all(aside, again, sizeof again) != 0 || strcmp(again, text) != 0) {
        /* it was another run's fresh lock: put it back (unless a third took the name) */
        int restored = link(aside, lock) == 0;
        (void)restored;
        unlink(aside);
        return RETRY;
    }
    unlink(aside);
    snprintf(note, note_len, "%s: took over the lock of a dett run that is gone (host %s, "
             "pid %lld, since %s: %s)", results, h.host, h.pid, since, why);
    return RETRY;
}

int lock_take(const char *results_path, results_lock **out, char *note, size_t note_len,
              dett_err *e)
{
    holder me;
    char tmp[PATH_MAX + HOST_LEN + 64];
    *out = NULL;
    note[0] = '\0';
    results_lock *l = calloc(1, sizeof *l);
    if (!l) return dett_fail(e, "%s: out of memory for the lock", results_path);
    if (snprintf(l->path, sizeof l->path, "%s.lock", results_path) >= (int)sizeof l->path) {
        free(l);
        return dett_fail(e, "%s: path too long", results_path);
    }
    my_holder(&me);
    holder_text(&me, results_path, l->text, sizeof l->text);
    snprintf(tmp, sizeof tmp, "%s.%s.%lld.tmp", l->path, me.host, me.pid);
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0) {
        dett_fail(e, "%s: cannot create the lock %s: %s", results_path, tmp, strerror(errno));
        free(l);
        return -1;
    }
    size_t len = strlen(l->text);
    int ok = write(fd, l->text, len) == (ssize_t)len && fsync(fd) == 0;
    int err = errno;
    if (close(fd) != 0 && ok) { ok = 0; err = errno; }
    if (!ok) {
        unlink(tmp);
        free(l);
        return dett_fail(e, "%s: cannot write the lock %s: %s", results_path, tmp, strerror(err));
    }
    int r = RETRY;
    for (int i = 0; i < 8 && r == RETRY; i++)
        r = take_once(results_path, l->path, tmp, note, note_len, e);
    unlink(tmp);
    if (r == RETRY) dett_fail(e, "%s: the lock %s keeps changing; is another run starting?",
                              results_path, l->path);
    if (r != TAKEN) {
        free(l);
        return -1;
    }
    pthread_mutex_init(&l->mu, NULL);
    pthread_cond_init(&l->cv, NULL);
    l->every = (double)stale_seconds() / 10;
    if (l->every > 30) l->every = 30;
    if (l->every < 1) l->every = 1;
    l->beating = pthread_create(&l->beat, NULL, heartbeat, l) == 0;
    held = l;
    *out = l;
    return 0;
}

/* removes the lock file if its text is still ours (a run that took it
 * over as stale keeps its own) */
static void remove_if_ours(const results_lock *l)
{
    char text[LOCK_TEXT];
    if (read_all(l->path, text, sizeof text) == 0 && strcmp(text, l->text) == 0) unlink(l->path);
}

void lock_release(results_lock *l)
{
    if (!l) return;
    if (l->beating) {
        pthread_mutex_lock(&l->mu);
        l->stop = 1;
        pthread_cond_signal(&l->cv);
        pthread_mutex_unlock(&l->mu);
        pthread_join(l->beat, NULL);
    }
    pthread_mutex_destroy(&l->mu);
    pthread_cond_destroy(&l->cv);
    remove_if_ours(l);
    if (held == l) held = NULL;
    free(l);
}

void lock_release_held(void)
{
    if (held) remove_if_ours(held);
    held = NULL;
}

int lock_take_shared(const char *results_path, MPI_Comm comm, results_lock **out, dett_err *e)
{
    int rank;
    char note[1024] = "";
    *out = NULL;
    if (MPI_Comm_rank(comm, &rank) != MPI_SUCCESS) return dett_fail(e, "MPI_Comm_rank failed");
    int rc = rank == 0 ? lock_take(results_path, out, note, sizeof note, e) : 0;
    if (note[0]) {
        fprintf(stderr, "dett: %s\n", note);
        fflush(stderr);
    }
    if (agree(comm, rc, e)) {
        lock_release(*out);
        *out = NULL;
        return -1;
    }
    return 0;
}
