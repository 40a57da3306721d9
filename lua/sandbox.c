/* sandbox.c - the Lua sandbox: which libraries a script sees, how files are
 * read and loaded (text only), `include`, the guard on unknown globals, and
 * the message handler. The memory cap and the instruction budget live in
 * dsl.c, which owns the state. */
#define _POSIX_C_SOURCE 200809L
#include "dsl_internal.h"
#include <errno.h>
#include <lualib.h>
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

int sandbox_msgh(lua_State *L)
{
    if (lua_type(L, 1) == LUA_TSTRING) return 1;
    if (lua_type(L, 1) == LUA_TNUMBER) {
        lua_tostring(L, 1);
        return 1;
    }
    if (luaL_callmeta(L, 1, "__tostring") && lua_type(L, -1) == LUA_TSTRING)
        return 1;
    lua_pushfstring(L, "(error object is a %s value)", luaL_typename(L, 1));
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
    /* the buffer is a userdata so a Lua error cannot leak it; no Lua call
     * happens between fopen and fclose */
    char *buf = lua_newuserdatauv(L, n ? n : 1, 0);
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
    lua_pushlstring(L, buf, n);
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

/* include "file.lua": runs another script file, found relative to the
 * directory of the including file, in the same sandbox; returns its values. */
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
    const char *why = sandbox_read_file(L, path);
    if (why) return luaL_error(L, "include '%s': %s", name, why);
    int status = load_chunk(L, path, -1);
    if (status != LUA_OK) {
        if (status == LUA_ERRSYNTAX && lua_tostring(L, -2)[0] == LUA_SIGNATURE[0])
            return luaL_error(L, "include '%s': %s (scripts are loaded as text only)",
                              name, lua_tostring(L, -1));
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
    lua_pushglobaltable(L);
    remove_fields(L, base_out);
    luaL_setfuncs(L, funcs, 0);
    lua_getfield(L, -1, LUA_STRLIBNAME);
    remove_fields(L, string_out);
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
