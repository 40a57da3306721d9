/* dsl_internal.h - shared by the files of lua/: the sandbox state, DSL
 * objects and their constructor tables. Not part of the public API.
 *
 * Every function taking a lua_State runs inside the protected call set up by
 * dsl_load (or dsl_weight) and reports errors by raising a Lua error whose
 * message starts with "FILE:LINE:".
 */
#ifndef DETT_DSL_INTERNAL_H
#define DETT_DSL_INTERNAL_H
#include "dsl.h"
#include "method.h"
#include <lauxlib.h>
#include <lua.h>
#include <stddef.h>

#define DSL_MEM_CAP ((size_t)256 << 20)       /* bytes the script may hold */
#define DSL_LOAD_STEPS 100000000LL            /* instructions to run a script (~1 s) */
#define DSL_WEIGHT_STEPS 1000000LL            /* instructions per dsl_weight */
#define DSL_HOOK_EVERY 1000                   /* count hook period */
/* Work done outside the VM is charged to the same budget, in instructions:
 * every call (Lua or C) costs DSL_CALL_STEPS plus one per argument passed,
 * every DSL_ALLOC_BYTES bytes allocated cost one, and the library functions
 * that loop in C without allocating (see sandbox.c) charge their loop
 * counts before they run. */
#define DSL_CALL_STEPS 20
#define DSL_ALLOC_BYTES 8
#define DSL_CTOR_STEPS 500                    /* a DSL constructor call (~2 us) */
#define DSL_MAX_JOBS 10000                    /* expanded jobs per script */
#define DSL_MAX_INCLUDE 16                    /* include nesting depth */
#define DSL_MAX_FILE ((long)16 << 20)         /* script and include size */
#define DSL_WHERE 96                          /* "file:line:" of an object */
/* One string a script builds may hold at most DSL_MAX_STRING bytes: the VM
 * compares and hashes strings in a single instruction, so their length is
 * work the instruction budget cannot see. What is still unseen is bounded
 * by CPU time, checked at every count hook: DSL_LOAD_SECONDS for the script,
 * DSL_WEIGHT_SECONDS per weighting call. */
#define DSL_MAX_STRING ((size_t)1 << 20)
#define DSL_LOAD_SECONDS 10.0
#define DSL_WEIGHT_SECONDS 1.0
#define DSL_MAX_INCDIRS 16                    /* --include-path directories */

struct dsl {
    lua_State *L;
    size_t mem, mem_cap;        /* bytes in use by L, and the cap */
    int mem_refused;            /* the allocator said no at least once */
    int str_refused;            /* ... to a string longer than DSL_MAX_STRING */
    int trusted;                /* > 0 while C code (not the script) allocates */
    double cpu0, cpu_limit;     /* thread CPU seconds at the call's start, and allowed */
    unsigned count_hooks;       /* count-hook calls (the clock is read every 8th) */
    long long steps, budget;    /* instructions run, and allowed, this call */
    const char *budget_what;    /* what runs on it: "script", "weighting function" */
    int loading;                /* 1 while dsl_load runs the script */
    int include_depth;
    char *script;               /* main script text, malloc'd, NUL-terminated */
    size_t script_len;
    char path[1024];            /* main script path as given */
    char root[4096];            /* realpath of the main script's directory */
    int n_incdirs;              /* --include-path directories (realpath'd) */
    char incdirs[DSL_MAX_INCDIRS][4096];
    int sealed;                 /* weighting functions sealed (see seal.c) */
};

/* ---- dsl.c ------------------------------------------------------------- */

/* Charges `steps` instructions of work done in C to the running call's
 * budget; raises the instruction-limit error (at the calling Lua line) when
 * the budget cannot pay for it, before the work is done. */
void dsl_charge(lua_State *L, double steps);
/* 1 if `steps` more instructions fit in the running call's budget */
int dsl_can_afford(lua_State *L, double steps);

/* ---- sandbox.c --------------------------------------------------------- */

/* Opens the sandboxed libraries and DSL globals in d->L (protected). */
int sandbox_open(lua_State *L);
/* Reads file `path` (at most DSL_MAX_FILE bytes) and pushes its text as a
 * string; on failure pushes nothing and returns a static reason. */
const char *sandbox_read_file(lua_State *L, const char *path);
/* Loads `text` as a text chunk named "@path", records it for function
 * hashing, and pushes the chunk function; raises on a syntax error. */
void sandbox_load_chunk(lua_State *L, const char *path, int text_idx);
/* Message handler for lua_pcall: turns any error object into a string and
 * puts the innermost Lua line in front of one that has no "chunk:LINE:". */
int sandbox_msgh(lua_State *L);
/* 1 if msg starts with "chunk:LINE:" */
int sandbox_has_where(const char *msg);
/* The dsl that owns L (kept as the allocator's userdata). */
dsl *sandbox_dsl(lua_State *L);
/* Pushes the registry table named `name`, creating it on first use. */
void sandbox_registry_table(lua_State *L, const char *name);

/* Thread CPU time in seconds (0 if the clock is unavailable). */
double dsl_cpu_seconds(void);

/* ---- seal.c: weighting functions are stateless ------------------------ */

/* After the script ran (protected): makes every table and global a weighting
 * function can reach read-only for it, and records the scalar upvalues of
 * every Lua function it can reach. */
void seal_weightings(lua_State *L);
/* After a weighting call: restores every recorded upvalue the call changed;
 * returns the name of the first one changed, or NULL if none was. */
const char *seal_check(lua_State *L);
/* 1 if the table at idx is a read-only view made by seal_weightings */
int seal_is_view(lua_State *L, int idx);

/* ---- objects.c: DSL values ----------------------------------------------- */

typedef enum { OBJ_DATASET, OBJ_ARCH, OBJ_METHOD, OBJ_WEIGHTING, OBJ_OPTIM,
               OBJ_MODEL, OBJ_GRID, OBJ_SWEEP } obj_class;

typedef enum {
    V_NUM,        /* a finite number in a range */
    V_INT,        /* an integer in a range */
    V_BOOL,
    V_ENUM,       /* one of `choices` */
    V_INTLIST,    /* a plain list of integers in a range (JOB_MAX_LAYERS at most) */
    V_BETAS,      /* a plain list of two numbers in [0, 1) */
    V_DATA, V_ARCH, V_METHOD, V_OPTIM, V_MODEL,
    V_WEIGHTING,  /* none, group_balanced, jtt{...} or a Lua function */
    V_SEEDS       /* an integer, or a list of them meaning a sweep */
} value_kind;

#define K_REQUIRED 1u   /* the key must be given */
#define K_LO_OPEN 2u    /* range excludes lo */
#define K_HI_OPEN 4u    /* range excludes hi */
#define K_NONEMPTY 8u   /* lists: at least one element */

typedef struct {
    const char *name;
    value_kind kind;
    double lo, hi;                  /* range (numbers, integers, list elements) */
    unsigned flags;
    const char *const *choices;     /* V_ENUM, NULL-terminated */
} key_spec;

typedef struct ctor ctor;
struct ctor {
    const char *name;               /* "kd": messages say "kd{}" */
    obj_class cls;
    const key_spec *keys;           /* in expansion order */
    int n_keys;
    const key_spec *positional;     /* mlp: the spec of each list element */
    /* cross-key checks after each key passed; data table at index `data` */
    void (*check)(lua_State *L, const ctor *c, int data);
    const method_def *method;       /* OBJ_METHOD: its row of the method table */
};

/* a DSL value: full userdata with one user value, its data table */
typedef struct {
    const ctor *c;
    int line;                       /* line of the constructor call */
    char where[DSL_WHERE];          /* "file:line:" of the constructor call */
} dobj;

/* Registers the DSL globals. */
void objects_open(lua_State *L);
/* The dobj at idx, or NULL if it is no DSL value. */
dobj *obj_test(lua_State *L, int idx);
/* Pushes a new DSL value like `proto` whose data table is at data_idx. */
dobj *obj_push_like(lua_State *L, const dobj *proto, int data_idx);
/* Pushes the data table of the DSL value at idx. */
void obj_push_data(lua_State *L, int idx);
/* Raises "<where> <message>". */
int obj_error(lua_State *L, const char *where, const char *fmt, ...);
/* Short description of the value at idx for messages ("method kd{}"). */
const char *obj_describe(lua_State *L, int idx);
/* Lowest edit-distance candidate for a misspelt name, or NULL. */
const char *suggest_name(const char *key, const char *const *cands, int n);

/* ---- expand.c ----------------------------------------------------------- */

/* Pushes an array of the concrete values the value at idx stands for: one per
 * point of the Cartesian product of every sweep inside it. `where` is used
 * in errors (cycles, too many points). */
void expand_value(lua_State *L, int idx, const char *where);

/* ---- jobs.c ------------------------------------------------------------- */

/* Expands the grid object at idx and appends its jobs to *jobs, deduplicated
 * by hash through the registry table "dett.seen". */
void jobs_add_grid(lua_State *L, int idx, job_list *jobs);
/* hex SHA-256 of buf[0..n) */
int dsl_sha256_hex(const void *buf, size_t n, char hex[65]);
/* Copies the value of field `key` of canonical text `canon` into out[n]
 * ("" if absent). */

#endif
