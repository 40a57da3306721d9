/* sandbox.c - the Lua sandbox: which libraries a script sees, how files are
 * read and loaded (text only), `include`, the guard on unknown globals, and
 * the message handler. The memory cap and the instruction budget live in
 * dsl.c, which owns the state. */
#define _XOPEN_SOURCE 700
#include "dsl_internal.h"
#include <errno.h>
#include <limits.h>
#include <lualib.h>
#include <stdlib.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

dsl *sandbox_dsl(lua_State *L)
{
    void *ud = NULL;
    (void)lua_getallocf(L, &ud);
    return ud;
}

void sandbox_registry_table(lua_State *L, const char *name)
{
    if (lua_getfield(L, LUA_REGISTRYINDEX, name) == LUA_TTABLE) return;
    lua_pop(L, 1);
    lua_newtable(L);
    lua_pushvalue(L, -1);
    lua_setfield(L, LUA_REGISTRYINDEX, name);
}

int sandbox_has_where(const char *msg)
{
    const char *c = strchr(msg, ':');
    if (!c || c == msg || memchr(msg, '\n', (size_t)(c - msg))) return 0;
    size_t digits = strspn(c + 1, "0123456789");
    return digits > 0 && c[1 + digits] == ':';
}

int sandbox_msgh(lua_State *L)
{
    if (lua_type(L, 1) == LUA_TNUMBER) {
        lua_tostring(L, 1);
    } else if (obj_test(L, 1)) {    /* a DSL value: its C __tostring */
        luaL_tolstring(L, 1, NULL);
        lua_replace(L, 1);
    } else if (lua_type(L, 1) != LUA_TSTRING) {
        /* no __tostring: it would run script code inside the handler */
        lua_pushfstring(L, "error object is a %s value (not a message)",
                        luaL_typename(L, 1));
        lua_replace(L, 1);
    }
    lua_settop(L, 1);
    const char *msg = lua_tostring(L, 1);
    /* the preallocated memory error: no allocation here */
    if (strcmp(msg, "not enough memory") == 0 || sandbox_has_where(msg)) return 1;
    lua_Debug ar;
    for (int level = 1; lua_getstack(L, level, &ar); level++)
        if (lua_getinfo(L, "Sl", &ar) && ar.currentline > 0) {
            lua_pushfstring(L, "%s:%d: %s", ar.short_src, ar.currentline, msg);
            return 1;
        }
    return 1;
}

const char *sandbox_read_file(lua_State *L, const char *path)
{
    struct stat st;
    if (stat(path, &st) != 0)
        return errno == ENOENT ? "file not found" : strerror(errno);
    if (!S_ISREG(st.st_mode)) return "not a regular file";
    if ((long)st.st_size > DSL_MAX_FILE) return "file too large (16 MB at most)";
    size_t n = (size_t)st.st_size;
    dsl *d = sandbox_dsl(L);
    /* the buffer is a userdata so a Lua error cannot leak it; no Lua call
     * happens between fopen and fclose. The text may be longer than a
     * script's own strings may be (DSL_MAX_STRING). */
    d->trusted++;
    char *buf = lua_newuserdatauv(L, n ? n : 1, 0);
    d->trusted--;
    FILE *f = fopen(path, "rb");
    if (!f) {
        lua_pop(L, 1);
        return strerror(errno);
    }
    size_t got = fread(buf, 1, n, f);
    int bad = ferror(f) || got != n;
    fclose(f);
    if (bad) {
        lua_pop(L, 1);
        return "read error";
    }
    d->trusted++;
    lua_pushlstring(L, buf, n);
    d->trusted--;
    lua_remove(L, -2);
    return NULL;
}

/* Loads the text at text_idx as chunk "@path" in text mode; records the text
 * in registry["dett.sources"] (for hashing weighting functions). Pushes the
 * chunk, or the error message; returns the luaL_loadbufferx status. */
static int load_chunk(lua_State *L, const char *path, int text_idx)
{
    text_idx = lua_absindex(L, text_idx);
    const char *chunkname = lua_pushfstring(L, "@%s", path);
    sandbox_registry_table(L, "dett.sources");
    lua_pushvalue(L, -2);
    lua_pushvalue(L, text_idx);
    lua_rawset(L, -3);
    lua_pop(L, 1);
    size_t n = 0;
    const char *text = lua_tolstring(L, text_idx, &n);
    int status = luaL_loadbufferx(L, text, n, chunkname, "t");
    lua_remove(L, -2);   /* chunkname */
    return status;
}

void sandbox_load_chunk(lua_State *L, const char *path, int text_idx)
{
    text_idx = lua_absindex(L, text_idx);
    int status = load_chunk(L, path, text_idx);
    if (status == LUA_OK) return;
    if (status == LUA_ERRSYNTAX && lua_rawlen(L, text_idx) > 0 &&
        lua_tostring(L, text_idx)[0] == LUA_SIGNATURE[0]) {
        /* Lua's message has no position: name the file */
        lua_pushfstring(L, "%s: %s (scripts are loaded as text only)", path,
                        lua_tostring(L, -1));
    }
    lua_error(L);
}

/* 1 if the canonical path `real` is dir itself or inside it */
static int path_under(const char *real, const char *dir)
{
    size_t n = strlen(dir);
    if (n == 1 && dir[0] == '/') return 1;
    return strncmp(real, dir, n) == 0 && (real[n] == '/' || real[n] == '\0');
}

/* Where a script may include from: the main script's directory tree, and
 * the --include-path directories. Returns NULL if `real` (a canonical
 * path) is allowed, else the reason. Sets *foreign when the file is not a
 * .lua file in the script's own tree (its syntax errors then quote no
 * token of it). */
static const char *include_allowed(const dsl *d, const char *real, int *foreign)
{
    size_t n = strlen(real);
    int in_root = path_under(real, d->root);
    *foreign = !in_root || n < 4 || strcmp(real + n - 4, ".lua") != 0;
    if (in_root) return NULL;
    for (int i = 0; i < d->n_incdirs; i++)
        if (path_under(real, d->incdirs[i])) return NULL;
    return "outside the script's directory (allow its directory with --include-path DIR)";
}

/* Cuts the quoted token from a syntax error at the top of the stack
 * ("...: unexpected symbol near 'secret'" -> "...: unexpected symbol"). */
static void drop_token(lua_State *L)
{
    const char *msg = lua_tostring(L, -1);
    const char *near = msg ? strstr(msg, " near ") : NULL;
    if (!near) return;
    const char *next;
    while ((next = strstr(near + 1, " near "))) near = next;
    lua_pushlstring(L, msg, (size_t)(near - msg));
    lua_pushliteral(L, " (token not shown: not a .lua file of the script's tree)");
    lua_concat(L, 2);
    lua_replace(L, -2);
}

/* include "file.lua": runs another script file, found relative to the
 * directory of the including file, in the same sandbox; returns its values.
 * The file must lie in the main script's directory tree or under an
 * --include-path directory (symbolic links resolved). */
static int l_include(lua_State *L)
{
    dsl *d = sandbox_dsl(L);
    if (lua_gettop(L) != 1 || lua_type(L, 1) != LUA_TSTRING)
        return luaL_error(L, "include: expected a file name (string), got %s",
                          luaL_typename(L, 1));
    const char *name = lua_tostring(L, 1);
    if (!d->loading)
        return luaL_error(L, "include '%s': only allowed while the script loads", name);
    if (d->include_depth >= DSL_MAX_INCLUDE)
        return luaL_error(L, "include '%s': nested more than %d deep (does a file include itself?)",
                          name, DSL_MAX_INCLUDE);
    /* the directory of the calling chunk */
    lua_Debug ar;
    const char *src = "";
    if (lua_getstack(L, 1, &ar) && lua_getinfo(L, "S", &ar) && ar.source[0] == '@')
        src = ar.source + 1;
    const char *slash = strrchr(src, '/');
    if (name[0] == '/' || !slash) {
        lua_pushstring(L, name);
    } else {
        lua_pushlstring(L, src, (size_t)(slash - src + 1));
        lua_pushstring(L, name);
        lua_concat(L, 2);
    }
    const char *path = lua_tostring(L, -1);
    char real[PATH_MAX];
    if (!realpath(path, real))
        return luaL_error(L, "include '%s': %s", name,
                          errno == ENOENT ? "file not found" : strerror(errno));
    int foreign = 1;
    const char *why = include_allowed(d, real, &foreign);
    if (why) return luaL_error(L, "include '%s': %s", name, why);
    why = sandbox_read_file(L, path);
    if (why) return luaL_error(L, "include '%s': %s", name, why);
    int status = load_chunk(L, path, -1);
    if (status != LUA_OK) {
        if (status == LUA_ERRSYNTAX && lua_tostring(L, -2)[0] == LUA_SIGNATURE[0])
            return luaL_error(L, "include '%s': %s (scripts are loaded as text only)",
                              name, lua_tostring(L, -1));
        if (status == LUA_ERRSYNTAX && foreign) drop_token(L);
        return lua_error(L);
    }
    lua_remove(L, -2);              /* the text */
    int base = lua_gettop(L);       /* the chunk's slot: values start here */
    lua_pushcfunction(L, sandbox_msgh);
    lua_insert(L, base);
    d->include_depth++;
    status = lua_pcall(L, 0, LUA_MULTRET, base);
    d->include_depth--;
    if (status != LUA_OK) return lua_error(L);
    return lua_gettop(L) - base;
}

/* __index of the global table: reading an undefined global is an error that
 * names it and suggests the closest defined name. */
static int global_index(lua_State *L)
{
    if (lua_type(L, 2) != LUA_TSTRING) {
        lua_pushnil(L);
        return 1;
    }
    const char *key = lua_tostring(L, 2);
    const char *names[256];
    int n = 0;
    lua_pushnil(L);
    while (n < 256 && lua_next(L, 1)) {
        if (lua_type(L, -2) == LUA_TSTRING) names[n++] = lua_tostring(L, -2);
        lua_pop(L, 1);
    }
    if (n == 256) lua_pop(L, 1);   /* the key lua_next left */
    const char *s = suggest_name(key, names, n);
    if (s) return luaL_error(L, "unknown name '%s' (did you mean '%s'?)", key, s);
    return luaL_error(L, "unknown name '%s'", key);
}

/* __index of a weighting function's signal table */
static int signal_index(lua_State *L)
{
    const char *key = luaL_tolstring(L, 2, NULL);
    if (strcmp(key, "a") == 0 || strcmp(key, "g") == 0)
        return luaL_error(L, "signal '%s': group labels are not available to weighting functions", key);
    return luaL_error(L, "unknown signal '%s' (signals: id_loss, id_correct, teacher_loss, "
                      "teacher_correct, y)", key);
}

/* ---- library functions that loop in C ---------------------------------- */

/* The instruction budget counts VM instructions and calls; these library
 * functions can loop in C far longer than one call is charged for
 * (string.rep("", 1e15), table.move(t, 1, 1e15, 2), a backtracking pattern),
 * so each is replaced by a guard that charges its loop count first and then
 * runs the original function in the same frame (so its errors still name
 * it). Upvalue 1 is the original, upvalue 2 the guard kind. */
enum { G_REP, G_MOVE, G_SHIFT, G_SORT, G_CONCAT, G_UNPACK, G_BYTE, G_FIND, G_PATTERN,
       G_FORMAT, G_TONUMBER, G_PRINT, G_SETMT, G_RAWSET };

/* integer argument i, or def if absent; *ok = 0 if present but no integer */
static lua_Integer opt_int(lua_State *L, int i, lua_Integer def, int *ok)
{
    if (lua_isnoneornil(L, i)) return def;
    int isnum = 0;
    lua_Integer v = lua_tointegerx(L, i, &isnum);
    if (!isnum) *ok = 0;
    return v;
}

/* #t for a table argument (its __len if it has one), else -1 */
static double table_len(lua_State *L, int i)
{
    if (lua_type(L, i) != LUA_TTABLE) return -1;
    return (double)luaL_len(L, i);
}

/* a string position as string.byte reads it (1-based, negative from the end) */
static double str_pos(lua_Integer pos, size_t len)
{
    if (pos > 0) return (double)pos;
    if (pos == 0 || pos < -(lua_Integer)len) return 1;
    return (double)len + (double)pos + 1;
}

/* Upper bound on the steps of matching pattern p in n bytes: the e items
 * of variable length ('*', '+', '-', %b, back-references) can split the
 * subject C(n + e, e) ways, each '?' doubles that, and an unanchored
 * pattern starts at each of n + 1 positions. Rough, but it grows the way
 * backtracking does. */
static double pattern_steps(const char *p, size_t pl, double n)
{
    double e = 0, branch = 1, starts = (pl > 0 && p[0] == '^') ? 1 : n + 1;
    for (size_t i = 0; i < pl; i++) {
        if (p[i] == '%' && i + 1 < pl) {
            i++;
            if (p[i] == 'b') {
                e++;
                i += 2;
            } else if (p[i] >= '1' && p[i] <= '9') {
                e++;
            }
        } else if (p[i] == '[') {
            size_t j = i + 1;
            if (j < pl && p[j] == '^') j++;
            if (j < pl && p[j] == ']') j++;
            while (j < pl && p[j] != ']') j += (p[j] == '%') ? 2 : 1;
            i = j;
        } else if (p[i] == '*' || p[i] == '+' || p[i] == '-') {
            e++;
        } else if (p[i] == '?') {
            branch *= 2;
        }
    }
    double splits = exp(lgamma(n + e + 1) - lgamma(n + 1) - lgamma(e + 1));
    return starts * splits * branch + (double)pl;
}

static int guard_call(lua_State *L)
{
    int kind = (int)lua_tointeger(L, lua_upvalueindex(2));
    int ok = 1;
    double cost = 0;
    size_t l = 0, l2 = 0;
    switch (kind) {
    case G_REP: {   /* string.rep(s, n [, sep]): an empty result loops n times */
        const char *s = lua_type(L, 1) == LUA_TSTRING ? lua_tolstring(L, 1, &l) : NULL;
        (void)opt_int(L, 2, 0, &ok);
        if (lua_type(L, 3) == LUA_TSTRING) lua_tolstring(L, 3, &l2);
        else if (!lua_isnoneornil(L, 3)) ok = 0;
        if (s && ok && !lua_isnoneornil(L, 2) && l + l2 == 0) {
            lua_pushliteral(L, "");
            return 1;
        }
        break;
    }
    case G_MOVE: {  /* table.move(a1, f, e, t [, a2]) */
        lua_Integer f = opt_int(L, 2, 1, &ok), e = opt_int(L, 3, 0, &ok);
        if (ok && e >= f) cost = (double)e - (double)f + 1;
        break;
    }
    case G_SHIFT:   /* table.insert, table.remove: shift up to #t entries */
        cost = table_len(L, 1);
        break;
    case G_SORT: {
        double n = table_len(L, 1);
        if (n > 1) cost = n * (log2(n) + 1) * 2;
        break;
    }
    case G_CONCAT:  /* table.concat(t, sep, i, j) */
    case G_UNPACK: {  /* table.unpack(t, i, j) */
        int a = kind == G_CONCAT ? 3 : 2;
        lua_Integer i = opt_int(L, a, 1, &ok);
        double j = lua_isnoneornil(L, a + 1) ? table_len(L, 1) : (double)opt_int(L, a + 1, 0, &ok);
        if (ok && j >= (double)i) cost = j - (double)i + 1;
        /* beyond the stack's limit unpack refuses at once: let it say so */
        if (kind == G_UNPACK && cost > 1e7) cost = 0;
        break;
    }
    case G_BYTE: {  /* string.byte(s, i, j) */
        if (lua_type(L, 1) != LUA_TSTRING) break;
        lua_tolstring(L, 1, &l);
        lua_Integer i = opt_int(L, 2, 1, &ok);
        double lo = str_pos(i, l), hi = str_pos(opt_int(L, 3, i, &ok), l);
        if (hi > (double)l) hi = (double)l;
        if (ok && hi >= lo) cost = hi - lo + 1;
        break;
    }
    case G_FIND:    /* string.find(s, p, init, plain) */
    case G_PATTERN: {  /* string.match, string.gmatch, string.gsub */
        int plain = kind == G_FIND && lua_toboolean(L, 4);
        if (lua_type(L, 1) == LUA_TNUMBER || lua_type(L, 1) == LUA_TSTRING) lua_tolstring(L, 1, &l);
        if (lua_type(L, 2) != LUA_TSTRING) break;
        const char *p = lua_tolstring(L, 2, &l2);
        if (plain) {
            cost = (double)l + (double)l2;
            break;
        }
        cost = pattern_steps(p, l2, (double)l);
        if (!dsl_can_afford(L, cost))
            return luaL_error(L, "pattern too complex for a %I-byte subject (it could exceed "
                              "the instruction limit)", (lua_Integer)l);
        break;
    }
    case G_FORMAT:  /* string.pack, string.unpack, string.packsize: the format */
        if (lua_type(L, 1) == LUA_TSTRING) lua_tolstring(L, 1, &l);
        cost = (double)l;
        break;
    case G_TONUMBER:
        if (lua_type(L, 1) == LUA_TSTRING) lua_tolstring(L, 1, &l);
        cost = (double)l;
        break;
    case G_SETMT:   /* finalizers run with hooks off: no limit could stop one */
        if (lua_type(L, 2) == LUA_TTABLE) {
            lua_pushliteral(L, "__gc");
            int gc = lua_rawget(L, 2) != LUA_TNIL;
            lua_pop(L, 1);
            if (gc) return luaL_error(L, "setmetatable: __gc finalizers are not allowed in scripts");
        }
        break;
    case G_RAWSET:
        if (seal_is_view(L, 1))
            return luaL_error(L, "rawset: weighting functions cannot change tables that "
                              "outlive the call (weighting functions are stateless)");
        break;
    case G_PRINT:
        for (int i = 1; i <= lua_gettop(L); i++)
            if (lua_type(L, i) == LUA_TSTRING) {
                lua_tolstring(L, i, &l);
                cost += (double)l;
            }
        break;
    }
    if (cost > 0) dsl_charge(L, cost);
    return lua_tocfunction(L, lua_upvalueindex(1))(L);
}

typedef struct {
    const char *name;
    int kind;
} guard_spec;

/* Replaces the C functions named in `g` of the table at the top of the
 * stack by guards. */
static void guard_funcs(lua_State *L, const guard_spec *g)
{
    for (; g->name; g++) {
        lua_getfield(L, -1, g->name);
        lua_CFunction f = lua_tocfunction(L, -1);
        lua_pop(L, 1);
        if (!f) luaL_error(L, "internal error: no C function %s to guard", g->name);
        lua_pushcfunction(L, f);
        lua_pushinteger(L, g->kind);
        lua_pushcclosure(L, guard_call, 2);
        lua_setfield(L, -2, g->name);
    }
}

/* Removes t[name] for each name, t at the top of the stack. */
static void remove_fields(lua_State *L, const char *const *names)
{
    for (; *names; names++) {
        lua_pushnil(L);
        lua_setfield(L, -2, *names);
    }
}

int sandbox_open(lua_State *L)
{
    static const luaL_Reg libs[] = {
        { LUA_GNAME, luaopen_base },          { LUA_TABLIBNAME, luaopen_table },
        { LUA_STRLIBNAME, luaopen_string },   { LUA_MATHLIBNAME, luaopen_math },
        { NULL, NULL },
    };
    static const char *const base_out[] = { "dofile", "loadfile", "load", "require",
                                            "collectgarbage", NULL };
    static const char *const string_out[] = { "dump", NULL };
    /* scripts must be deterministic: their hashes name cached results */
    static const char *const math_out[] = { "random", "randomseed", NULL };
    static const luaL_Reg funcs[] = { { "include", l_include }, { NULL, NULL } };

    for (const luaL_Reg *l = libs; l->name; l++) {
        luaL_requiref(L, l->name, l->func, 1);
        lua_pop(L, 1);
    }
    static const guard_spec base_guards[] = {
        { "tonumber", G_TONUMBER }, { "print", G_PRINT }, { "setmetatable", G_SETMT },
        { "rawset", G_RAWSET }, { NULL, 0 } };
    static const guard_spec string_guards[] = {
        { "rep", G_REP }, { "byte", G_BYTE }, { "find", G_FIND }, { "match", G_PATTERN },
        { "gmatch", G_PATTERN }, { "gsub", G_PATTERN }, { "pack", G_FORMAT },
        { "unpack", G_FORMAT }, { "packsize", G_FORMAT }, { NULL, 0 } };
    static const guard_spec table_guards[] = {
        { "move", G_MOVE }, { "insert", G_SHIFT }, { "remove", G_SHIFT }, { "sort", G_SORT },
        { "concat", G_CONCAT }, { "unpack", G_UNPACK }, { NULL, 0 } };

    lua_pushglobaltable(L);
    remove_fields(L, base_out);
    guard_funcs(L, base_guards);
    luaL_setfuncs(L, funcs, 0);
    lua_getfield(L, -1, LUA_STRLIBNAME);
    remove_fields(L, string_out);
    guard_funcs(L, string_guards);
    lua_pop(L, 1);
    lua_getfield(L, -1, LUA_TABLIBNAME);
    guard_funcs(L, table_guards);
    lua_pop(L, 1);
    lua_getfield(L, -1, LUA_MATHLIBNAME);
    remove_fields(L, math_out);
    lua_pop(L, 1);

    /* the string metatable is shared by every string: lock it so
     * getmetatable("") cannot reach or change it */
    lua_pushliteral(L, "");
    if (!lua_getmetatable(L, -1)) return luaL_error(L, "string metatable missing");
    lua_pushboolean(L, 0);
    lua_setfield(L, -2, "__metatable");
    lua_pop(L, 2);

    objects_open(L);

    /* signal tables of weighting functions */
    lua_newtable(L);
    lua_pushcfunction(L, signal_index);
    lua_setfield(L, -2, "__index");
    lua_setfield(L, LUA_REGISTRYINDEX, "dett.signals_mt");

    /* last: the guard on unknown globals */
    lua_newtable(L);
    lua_pushcfunction(L, global_index);
    lua_setfield(L, -2, "__index");
    lua_pushboolean(L, 0);
    lua_setfield(L, -2, "__metatable");
    lua_setmetatable(L, -2);
    lua_pop(L, 1);
    return 0;
}
