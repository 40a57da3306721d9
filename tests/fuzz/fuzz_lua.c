/* fuzz_lua.c - libFuzzer target for the Lua front end end to end, as
 * `dett check` runs it: script text -> dsl_load -> job list (expansion; each
 * Lua weighting evaluated once) -> validate_grid on MPI_COMM_SELF (data
 * files, digests mixed into the hashes, models built, teachers matched,
 * weightings called on every signal).
 *
 * dsl_load takes a path, so each input is written to fuzz.lua in a private
 * temporary directory that also holds what the seed scripts name: the
 * datasets lua-data/tiny.h5 (8/4/4 rows of 2 features) and lua-data/img.h5
 * (1x2x2 images), links to seeds of fuzz_dataset, and the include files of
 * tests/lua under inc/. MPI is initialised once, in LLVMFuzzerInitialize,
 * and finalised at exit; data digests are cached in the temporary
 * directory. Paths in scripts are relative to the working directory, so
 * each input runs with that directory as the working directory (and the
 * caller's is restored after it): pass an absolute -artifact_prefix=DIR/,
 * or crashing inputs are written into the temporary directory. Besides
 * crashes, leaks, UB and hangs it checks dsl_load's contract: on failure
 * *out is NULL, the job list is empty and the message is one non-empty
 * line; on success every job's dependencies come first;
 * validate_grid fails in one line or leaves every hash 64 hex digits.
 * See docs/reliability.md for how to run it (tests/fuzz/run.sh).
 */
#define _POSIX_C_SOURCE 200809L
#include "dsl.h"
#include "validate.h"
#include <mpi.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#if !defined(DETT_LUA_TEST_DIR) || !defined(DETT_FUZZ_DATA_DIR)
#error "DETT_LUA_TEST_DIR (tests/lua), DETT_FUZZ_DATA_DIR (tests/fuzz/corpus_dataset) needed"
#endif

static char fuzz_dir[] = "/tmp/dett-fuzz-lua-XXXXXX";
static int home_fd = -1;   /* the caller's working directory */

/* the contract broken: report and abort, so libFuzzer keeps the input */
static void fuzz_die(const char *what, const char *msg)
{
    fprintf(stderr, "fuzz_lua: %s: %s\n", what, msg);
    abort();
}

static void write_file(const char *path, const void *buf, size_t n)
{
    FILE *f = fopen(path, "wb");
    if (!f || fwrite(buf, 1, n, f) != n || fclose(f) != 0) fuzz_die("cannot write", path);
}

static void cleanup(void)
{
    static const char *const files[] = { "fuzz.lua", "lua-data/tiny.h5", "lua-data/img.h5",
        "inc/common.lua", "inc/syntax_error.lua", "inc/bytecode.luac", "digests", NULL };
    int fin = 1;
    if (chdir(fuzz_dir) == 0) {
        for (const char *const *f = files; *f; f++) unlink(*f);
        rmdir("lua-data");
        rmdir("inc");
        if (fchdir(home_fd) == 0) rmdir(fuzz_dir);
    }
    if (MPI_Finalized(&fin) == MPI_SUCCESS && !fin) MPI_Finalize();
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    int prefix = 0;
    setenv("HDF5_USE_FILE_LOCKING", "FALSE", 1);
    if (MPI_Init(argc, argv) != MPI_SUCCESS) fuzz_die("MPI_Init", "failed");
    for (int i = 1; i < *argc; i++)
        if (strncmp((*argv)[i], "-artifact_prefix=/", 18) == 0) prefix = 1;
    if (!mkdtemp(fuzz_dir)) fuzz_die("mkdtemp", fuzz_dir);
    if (!prefix)
        fprintf(stderr, "fuzz_lua: no absolute -artifact_prefix: crashing inputs go to %s\n",
                fuzz_dir);
    home_fd = open(".", O_RDONLY | O_DIRECTORY);
    if (home_fd < 0) fuzz_die("cannot open", "the working directory");
    if (chdir(fuzz_dir) != 0 || mkdir("lua-data", 0700) != 0 || mkdir("inc", 0700) != 0)
        fuzz_die("cannot set up", fuzz_dir);
    atexit(cleanup);
    char cache[sizeof fuzz_dir + 16];
    snprintf(cache, sizeof cache, "%s/digests", fuzz_dir);
    setenv("DETT_DIGEST_CACHE", cache, 1);
    static const char *const incs[][2] = {
        { DETT_FUZZ_DATA_DIR "/tiny.h5", "lua-data/tiny.h5" },
        { DETT_FUZZ_DATA_DIR "/img.h5", "lua-data/img.h5" },
        { DETT_LUA_TEST_DIR "/good/inc/common.lua", "inc/common.lua" },
        { DETT_LUA_TEST_DIR "/bad/inc/syntax_error.lua", "inc/syntax_error.lua" },
        { DETT_LUA_TEST_DIR "/bad/inc/bytecode.luac", "inc/bytecode.luac" },
    };
    for (size_t i = 0; i < sizeof incs / sizeof incs[0]; i++)
        if (symlink(incs[i][0], incs[i][1]) != 0) fuzz_die("cannot link", incs[i][0]);
    if (fchdir(home_fd) != 0) fuzz_die("cannot return to", "the working directory");
    return 0;
}

/* one input, run in fuzz_dir */
static void run_one(const uint8_t *data, size_t size)
{
    write_file("fuzz.lua", data, size);
    dsl *d = (dsl *)&d;   /* not NULL: dsl_load must set it */
    job_list jobs = { 0, 0, NULL };
    dett_err e = { { 0 } };
    if (dsl_load("fuzz.lua", &d, &jobs, &e) != 0) {
        if (d) fuzz_die("failed dsl_load left *out set", e.msg);
        if (jobs.n != 0 || jobs.jobs) fuzz_die("failed dsl_load left jobs", e.msg);
        if (!e.msg[0] || strchr(e.msg, '\n')) fuzz_die("error message not one line", e.msg);
        return;
    }
    if (!d || jobs.n < 1) fuzz_die("dsl_load succeeded without a state or jobs", "");
    char hex[65];
    dsl_script_sha256(d, hex);
    if (strlen(hex) != 64 || strlen(dsl_script_text(d)) > size)
        fuzz_die("script text or hash wrong", hex);
    const dsl_signals s = { 0.5f, 1, 2.0f, 0, 1 };
    for (int i = 0; i < jobs.n; i++) {
        const job_spec *j = &jobs.jobs[i];
        if (j->teacher >= i || j->ident >= i || j->teacher < -1 || j->ident < -1)
            fuzz_die("a dependency does not come first", j->id);
        if (strlen(j->hash) != 64) fuzz_die("bad hash", j->id);
        if (j->method.weighting.kind == WEIGHT_LUA) {
            float w = -1;
            dett_err we = { { 0 } };
            if (dsl_weight(d, j->method.weighting.lua_fn, &s, &w, &we) == 0) {
                if (!(w >= 0)) fuzz_die("dsl_weight returned a negative weight", j->id);
            } else if (!we.msg[0] || strchr(we.msg, '\n')) {
                fuzz_die("dsl_weight message not one line", we.msg);
            }
        }
    }
    dett_err ve = { { 0 } };
    if (validate_grid(d, &jobs, MPI_COMM_SELF, NULL, &ve) != 0) {
        if (!ve.msg[0] || strchr(ve.msg, '\n'))
            fuzz_die("validate_grid message not one line", ve.msg);
    } else {
        for (int i = 0; i < jobs.n; i++)
            if (strlen(jobs.jobs[i].hash) != 64)
                fuzz_die("validate_grid left a bad hash", jobs.jobs[i].id);
    }
    job_list_free(&jobs);
    dsl_free(d);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (chdir(fuzz_dir) != 0) fuzz_die("cannot enter", fuzz_dir);
    run_one(data, size);
    if (fchdir(home_fd) != 0) fuzz_die("cannot return to", "the working directory");
    return 0;
}
