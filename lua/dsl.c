/* dsl.c - the public API (see dsl.h): owns the lua_State, its memory cap
 * and instruction budget, runs the script and the weighting functions under
 * lua_pcall, and turns Lua errors into dett_err messages. */
#define _XOPEN_SOURCE 700
#include "dsl_internal.h"
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <float.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

int dsl_sha256_hex(const void *buf, size_t n, char hex[65])
{
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int len = 0;
    if (EVP_Digest(buf, n, md, &len, EVP_sha256(), NULL) != 1 || len != 32) return -1;
    for (unsigned i = 0; i < 32; i++) {
        hex[2 * i] = "0123456789abcdef"[md[i] >> 4];
        hex[2 * i + 1] = "0123456789abcdef"[md[i] & 15];
    }
    hex[64] = '\0';
    return 0;
}

double dsl_cpu_seconds(void)
{
    struct timespec ts;
    if (clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts) != 0) return 0;
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* lua_Alloc with a cap: refuses to grow past d->mem_cap (Lua then collects
 * garbage and retries, or raises a memory error), and refuses a new string
 * object longer than DSL_MAX_STRING unless C code asked for it (d->trusted).
 * For a new object Lua passes its type in osize. */
static void *dsl_alloc(void *ud, void *ptr, size_t osize, size_t nsize)
{
    dsl *d = ud;
    size_t old = ptr ? osize : 0;
    if (nsize == 0) {
        free(ptr);
        d->mem -= old;
        return NULL;
    }
    if (!ptr && osize == LUA_TSTRING && nsize > DSL_MAX_STRING + 64 && !d->trusted) {
        d->str_refused = 1;
        return NULL;
    }
    if (nsize > old && nsize - old > d->mem_cap - d->mem) {
        d->mem_refused = 1;
        return NULL;
    }
    void *p = realloc(ptr, nsize);
    if (!p) return NULL;
    d->mem = d->mem - old + nsize;
    if (nsize > old) d->steps += (long long)((nsize - old) / DSL_ALLOC_BYTES);
    return p;
}

static void count_hook(lua_State *L, lua_Debug *ar);

/* The budget is spent: raises the instruction-limit error at the first Lua
 * function from `level` up (0: the running function, 1: its caller; C
 * functions in between, such as a library function's own callbacks, have
 * no line), and from then on the hook fires at every instruction, so a
 * script's own pcall cannot swallow the error and keep going. */
static int budget_spent(lua_State *L, dsl *d, int level, const char *limit)
{
    lua_Debug ar;
    lua_sethook(L, count_hook, LUA_MASKCOUNT | LUA_MASKCALL, 1);
    while (lua_getstack(L, level, &ar) && lua_getinfo(L, "l", &ar) && ar.currentline <= 0)
        level++;
    luaL_where(L, level);
    lua_pushfstring(L, "%s ran too long (%s)", d->budget_what, limit);
    lua_concat(L, 2);
    return lua_error(L);
}

/* Count and call hook: every DSL_HOOK_EVERY instructions, and at every
 * call, which costs DSL_CALL_STEPS plus its argument count (so a C function
 * given a million arguments pays for them). Raises past the budget. */
static void count_hook(lua_State *L, lua_Debug *ar)
{
    dsl *d = sandbox_dsl(L);
    if (ar->event == LUA_HOOKCOUNT) {
        d->steps += DSL_HOOK_EVERY;
        /* work the count cannot see (long strings compared in one
         * instruction): CPU time. Once spent, the hook fires at every
         * instruction, so steps go past the budget too. */
        /* (the clock is a system call: read it every 8th hook, 8000
         * instructions, at most ~0.5 s apart with 1 MB strings) */
        if (d->steps <= d->budget && ++d->count_hooks % 8 == 0 &&
            dsl_cpu_seconds() - d->cpu0 > d->cpu_limit) {
            char why[64];
            snprintf(why, sizeof why, "%g s CPU time limit", d->cpu_limit);
            d->steps = d->budget + 1;
            budget_spent(L, d, 0, why);
        }
    } else {
        d->steps += DSL_CALL_STEPS;
        if (lua_getinfo(L, "r", ar)) d->steps += ar->ntransfer;
    }
    if (d->steps <= d->budget) return;
    if (ar->event != LUA_HOOKCOUNT) {
        /* the message handler runs while an error (maybe this one) is
         * raised: let it turn that error into text */
        int msgh = 0;
        if (lua_getinfo(L, "f", ar)) {
            msgh = lua_tocfunction(L, -1) == sandbox_msgh;
            lua_pop(L, 1);
        }
        if (msgh) return;
    }
    /* at a call, level 0 is the function being called: name its caller */
    budget_spent(L, d, ar->event == LUA_HOOKCOUNT ? 0 : 1, "instruction limit");
}

int dsl_can_afford(lua_State *L, double steps)
{
    const dsl *d = sandbox_dsl(L);
    return steps <= (double)(d->budget - d->steps);
}

void dsl_charge(lua_State *L, double steps)
{
    dsl *d = sandbox_dsl(L);
    if (!dsl_can_afford(L, steps)) {
        d->steps = d->budget + 1;
        budget_spent(L, d, 1, "instruction limit");
    }
    d->steps += (long long)steps;
}

/* Gives the state a fresh instruction budget for one top-level call. */
static void reset_budget(dsl *d, long long budget, double seconds, const char *what)
{
    d->steps = 0;
    d->cpu0 = dsl_cpu_seconds();
    d->cpu_limit = seconds;
    d->budget = budget;
    d->budget_what = what;
    lua_sethook(d->L, count_hook, LUA_MASKCOUNT | LUA_MASKCALL, DSL_HOOK_EVERY);
}

/* 1 if msg already says where: it starts with "path:" or "chunk:LINE:" */
static int has_where(const char *msg, const char *path)
{
    size_t n = strlen(path);
    return (strncmp(msg, path, n) == 0 && msg[n] == ':') || sandbox_has_where(msg);
}

/* Runs f(ud) under lua_pcall with the message handler; on failure writes
 * the first line of the error (or the memory-cap message) into e, always
 * naming the script. */
static int run_protected(dsl *d, lua_CFunction f, void *ud, dett_err *e)
{
    lua_State *L = d->L;
    int top = lua_gettop(L);
    d->mem_refused = 0;
    d->str_refused = 0;
    lua_pushcfunction(L, sandbox_msgh);
    lua_pushcfunction(L, f);
    lua_pushlightuserdata(L, ud);
    int status = lua_pcall(L, 1, 0, top + 1);
    if (status == LUA_OK) {
        lua_settop(L, top);
        return 0;
    }
    const char *msg = lua_tostring(L, -1);
    if (!msg) msg = "(no error message)";
    int nomem = status == LUA_ERRMEM || strstr(msg, "not enough memory");
    if (nomem && d->str_refused)
        dett_fail(e, "%s: script built a string longer than %d MB (the limit for one string)",
                  d->path, (int)(DSL_MAX_STRING >> 20));
    else if (nomem && (status == LUA_ERRMEM || d->mem_refused))
        dett_fail(e, "%s: script exceeded the memory limit (%d MB)", d->path,
                  (int)(d->mem_cap >> 20));
    else if (has_where(msg, d->path))
        dett_fail(e, "%.*s", (int)strcspn(msg, "\n"), msg);
    else
        dett_fail(e, "%s: %.*s", d->path, (int)strcspn(msg, "\n"), msg);
    lua_settop(L, top);
    return -1;
}

typedef struct {
    dsl *d;
    job_list *jobs;
} load_args;

/* Appends the grids of the value at idx (a grid, or a list of grids and
 * lists) to the array at out; vis holds the tables on the current path. */
static void collect_grids(lua_State *L, int idx, int out, int vis, const char *path, int depth)
{
    idx = lua_absindex(L, idx);
    dobj *o = obj_test(L, idx);
    if (o && o->c->cls == OBJ_GRID) {
        /* every grid has a job; the cap also bounds a list that holds the
         * same sublist many times over */
        lua_Integer n = (lua_Integer)lua_rawlen(L, out);
        if (n >= DSL_MAX_JOBS)
            luaL_error(L, "%s: the script returned more than %d grids", path, DSL_MAX_JOBS);
        lua_pushvalue(L, idx);
        lua_rawseti(L, out, n + 1);
        return;
    }
    if (o || lua_type(L, idx) != LUA_TTABLE)
        luaL_error(L, "%s: the script must return a grid{...} or a list of grids, got %s", path,
                   obj_describe(L, idx));
    if (depth > 32) luaL_error(L, "%s: returned lists nested too deep", path);
    luaL_checkstack(L, 8, "returned lists nested too deep");
    lua_pushvalue(L, idx);
    if (lua_rawget(L, vis) != LUA_TNIL)
        luaL_error(L, "%s: the returned list is a cyclic table (it contains itself)", path);
    lua_pop(L, 1);
    lua_pushvalue(L, idx);
    lua_pushboolean(L, 1);
    lua_rawset(L, vis);
    for (lua_Integer i = 1; i <= (lua_Integer)lua_rawlen(L, idx); i++) {
        dsl_charge(L, DSL_CALL_STEPS);
        lua_rawgeti(L, idx, i);
        collect_grids(L, -1, out, vis, path, depth + 1);
        lua_pop(L, 1);
    }
    lua_pushvalue(L, idx);
    lua_pushnil(L);
    lua_rawset(L, vis);
}

/* Protected body of dsl_load: sandbox, script, grids, jobs. */
static int load_main(lua_State *L)
{
    load_args *a = lua_touserdata(L, 1);
    dsl *d = a->d;
    sandbox_open(L);
    const char *why = sandbox_read_file(L, d->path);
    if (why) return luaL_error(L, "%s: %s", d->path, why);
    size_t n = 0;
    const char *text = lua_tolstring(L, -1, &n);
    d->script = malloc(n + 1);
    if (!d->script) return luaL_error(L, "%s: out of memory", d->path);
    memcpy(d->script, text, n);
    d->script[n] = '\0';
    d->script_len = n;
    sandbox_load_chunk(L, d->path, -1);
    d->loading = 1;
    lua_call(L, 0, 1);
    d->loading = 0;
    lua_newtable(L);
    int grids = lua_gettop(L);
    lua_newtable(L);
    collect_grids(L, grids - 1, grids, lua_gettop(L), d->path, 0);
    lua_pop(L, 1);
    if (lua_rawlen(L, grids) == 0)
        return luaL_error(L, "%s: the script returned an empty list of grids", d->path);
    for (lua_Integer i = 1; i <= (lua_Integer)lua_rawlen(L, grids); i++) {
        lua_rawgeti(L, grids, i);
        jobs_add_grid(L, -1, a->jobs);
        lua_pop(L, 1);
    }
    seal_weightings(L);
    return 0;
}

/* d->root: the canonical directory of the main script; d->incdirs: the
 * canonical --include-path directories. */
static int set_roots(dsl *d, const char *script_path, const char *const *include_path,
                     dett_err *e)
{
    char dir[sizeof d->path];
    snprintf(dir, sizeof dir, "%s", script_path);
    char *slash = strrchr(dir, '/');
    if (!slash) snprintf(dir, sizeof dir, ".");
    else if (slash == dir) dir[1] = '\0';
    else *slash = '\0';
    if (!realpath(dir, d->root))
        return dett_fail(e, "%s: cannot resolve its directory: %s", script_path, strerror(errno));
    for (int i = 0; include_path && include_path[i]; i++) {
        if (i >= DSL_MAX_INCDIRS)
            return dett_fail(e, "--include-path: at most %d directories", DSL_MAX_INCDIRS);
        if (!realpath(include_path[i], d->incdirs[i]))
            return dett_fail(e, "--include-path '%s': %s", include_path[i], strerror(errno));
        struct stat st;
        if (stat(d->incdirs[i], &st) != 0 || !S_ISDIR(st.st_mode))
            return dett_fail(e, "--include-path '%s': not a directory", include_path[i]);
        d->n_incdirs = i + 1;
    }
    return 0;
}

int dsl_load_opts(const char *script_path, const char *const *include_path, dsl **out,
                  job_list *jobs, dett_err *e)
{
    *out = NULL;
    jobs->n = jobs->cap = 0;
    jobs->jobs = NULL;
    dsl *d = calloc(1, sizeof *d);
    if (!d) return dett_fail(e, "%s: out of memory", script_path);
    if (strlen(script_path) >= sizeof d->path) {
        free(d);
        return dett_fail(e, "%.64s...: script path too long", script_path);
    }
    strcpy(d->path, script_path);
    if (set_roots(d, script_path, include_path, e)) {
        free(d);
        return -1;
    }
    d->mem_cap = DSL_MEM_CAP;
    d->L = lua_newstate(dsl_alloc, d);
    if (!d->L) {
        free(d);
        return dett_fail(e, "%s: cannot create a Lua state", script_path);
    }
    reset_budget(d, DSL_LOAD_STEPS, DSL_LOAD_SECONDS, "script");
    load_args a = { d, jobs };
    if (run_protected(d, load_main, &a, e) != 0) {
        job_list_free(jobs);
        dsl_free(d);
        return -1;
    }
    lua_gc(d->L, LUA_GCCOLLECT);
    *out = d;
    return 0;
}

int dsl_load(const char *script_path, dsl **out, job_list *jobs, dett_err *e)
{
    return dsl_load_opts(script_path, NULL, out, jobs, e);
}

void dsl_free(dsl *d)
{
    if (!d) return;
    if (d->L) lua_close(d->L);
    free(d->script);
    free(d);
}

const char *dsl_script_text(const dsl *d)
{
    return d && d->script ? d->script : "";
}

void dsl_script_sha256(const dsl *d, char hex[65])
{
    const char *s = dsl_script_text(d);
    if (dsl_sha256_hex(s, d ? d->script_len : 0, hex) != 0) hex[0] = '\0';
}

typedef struct {
    int fn;
    const dsl_signals *s;
    float w;
} weight_args;

/* Protected body of dsl_weight. */
static int weight_main(lua_State *L)
{
    weight_args *a = lua_touserdata(L, 1);
    if (lua_rawgeti(L, LUA_REGISTRYINDEX, a->fn) != LUA_TFUNCTION ||
        lua_iscfunction(L, -1))
        return luaL_error(L, "dsl_weight: no weighting function %d", a->fn);
    lua_Debug ar;
    lua_pushvalue(L, -1);
    if (!lua_getinfo(L, ">S", &ar)) return luaL_error(L, "dsl_weight: no function info");
    lua_createtable(L, 0, 5);
    lua_pushnumber(L, a->s->id_loss);
    lua_setfield(L, -2, "id_loss");
    lua_pushboolean(L, a->s->id_correct);
    lua_setfield(L, -2, "id_correct");
    lua_pushnumber(L, a->s->teacher_loss);
    lua_setfield(L, -2, "teacher_loss");
    lua_pushboolean(L, a->s->teacher_correct);
    lua_setfield(L, -2, "teacher_correct");
    lua_pushinteger(L, a->s->y);
    lua_setfield(L, -2, "y");
    lua_getfield(L, LUA_REGISTRYINDEX, "dett.signals_mt");
    lua_setmetatable(L, -2);
    lua_call(L, 1, 1);
    const char *changed = seal_check(L);
    if (changed)
        return luaL_error(L, "%s:%d: weighting function changed '%s', a variable from outside "
                          "it (weighting functions must be stateless: results must not depend "
                          "on the rank count)", ar.short_src, ar.linedefined, changed);
    if (lua_type(L, -1) != LUA_TNUMBER)
        return luaL_error(L, "%s:%d: weighting function returned %s, expected a number >= 0",
                          ar.short_src, ar.linedefined, luaL_typename(L, -1));
    double w = lua_tonumber(L, -1);
    if (!(w >= 0 && w <= FLT_MAX)) {
        char got[32];
        snprintf(got, sizeof got, "%g", w);
        return luaL_error(L, "%s:%d: weighting function returned %s (weights must be finite "
                          "and >= 0)", ar.short_src, ar.linedefined, got);
    }
    a->w = (float)w;
    return 0;
}

int dsl_weight(dsl *d, int fn, const dsl_signals *s, float *w, dett_err *e)
{
    if (!d || !d->L || !s || !w) return dett_fail(e, "dsl_weight: bad arguments");
    weight_args a = { fn, s, 0 };
    reset_budget(d, DSL_WEIGHT_STEPS, DSL_WEIGHT_SECONDS, "weighting function");
    if (run_protected(d, weight_main, &a, e) != 0) return -1;
    *w = a.w;
    return 0;
}
