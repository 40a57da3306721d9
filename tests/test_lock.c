/* test_lock.c - the results file's lock (runtime/io/lock.h) without MPI
 * runs: a child process holds it (refused, holder named), the heartbeat
 * refreshes it, the child killed with SIGKILL leaves a stale lock that is
 * taken over with a note, lock_release removes only its own lock. Runs in
 * test-tmp/lock-test. */
#define _POSIX_C_SOURCE 200809L
#include "check.h"
#include "lock.h"
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define DIR "lock-test"
#define RES DIR "/r.h5"

static double mtime_of(const char *f)
{
    struct stat st;
    if (stat(f, &st) != 0) return -1;
    return (double)st.st_mtim.tv_sec + 1e-9 * (double)st.st_mtim.tv_nsec;
}

int main(void)
{
    dett_err e = { { 0 } };
    char note[1024], want[128];
    results_lock *l = NULL;
    if (system("rm -rf " DIR) != 0) fprintf(stderr, "cannot clean " DIR "\n");
    mkdir(DIR, 0777);
    setenv("DETT_LOCK_STALE_SECONDS", "5", 1);   /* heartbeat every 1 s */

    int ready[2];
    EXPECT(pipe(ready) == 0, "pipe");
    pid_t child = fork();
    if (child == 0) {   /* the holder: takes the lock, says so, waits to be killed */
        results_lock *mine = NULL;
        char n[256];
        int ok = lock_take(RES, &mine, n, sizeof n, NULL) == 0;
        if (write(ready[1], ok ? "1" : "0", 1) != 1) _exit(2);
        for (;;) pause();
    }
    char c = 0;
    EXPECT(read(ready[0], &c, 1) == 1 && c == '1', "the child took the lock");

    /* held by a live process: refused, naming it */
    EXPECT(lock_take(RES, &l, note, sizeof note, &e) == -1 && l == NULL, "a held lock refused");
    snprintf(want, sizeof want, "pid %ld, since ", (long)child);
    EXPECT(strstr(e.msg, "r.h5: in use by another dett run (host ") && strstr(e.msg, want) &&
           strstr(e.msg, "r.h5.lock"), "refusal: %s", e.msg);

    /* the holder's heartbeat refreshes the lock */
    double t0 = mtime_of(RES ".lock");
    struct timespec wait = { 2, 200000000 };
    nanosleep(&wait, NULL);
    EXPECT(mtime_of(RES ".lock") > t0, "heartbeat: mtime %f -> %f", t0, mtime_of(RES ".lock"));

    /* killed: the lock stays, and is taken over with a note */
    kill(child, SIGKILL);
    waitpid(child, NULL, 0);
    EXPECT(mtime_of(RES ".lock") > 0, "a killed holder leaves its lock");
    EXPECT(lock_take(RES, &l, note, sizeof note, &e) == 0 && l != NULL, "take over: %s", e.msg);
    snprintf(want, sizeof want, "pid %ld, since ", (long)child);
    EXPECT(strstr(note, "took over the lock of a dett run that is gone") && strstr(note, want) &&
           strstr(note, "no such process"), "note: %s", note);
    /* no stray files: only the lock itself */
    EXPECT(system("test $(ls -A " DIR " | wc -l) = 1") == 0, "stray files in " DIR);
    lock_release(l);
    EXPECT(mtime_of(RES ".lock") < 0, "released: the lock file is gone");

    /* a lock replaced by another run (taken over as stale) is not removed */
    EXPECT(lock_take(RES, &l, note, sizeof note, &e) == 0 && !note[0], "take: %s", e.msg);
    FILE *f = fopen(RES ".lock", "w");
    if (f) { fputs("dett run lock: other\nhost=x\npid=1\nsince=1\n", f); fclose(f); }
    lock_release(l);
    EXPECT(mtime_of(RES ".lock") > 0, "another run's lock survives lock_release");
    return TEST_END();
}
