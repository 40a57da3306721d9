/* seal.c - weighting functions are stateless.
 *
 * Each rank calls a weighting function on its own rows, in its own order, so
 * a function that remembers anything between calls (a counter in an upvalue,
 * a global, a field of a captured table) would give weights, and results,
 * that depend on the rank count. dett refuses such functions:
 *
 * - once the script has run, every table a weighting function can reach
 *   (through its upvalues, the globals, and the functions and tables those
 *   reach) is replaced, in the upvalues of every Lua function reached, by a
 *   read-only view: reads go through to the table (tables read through a
 *   view come back as views), writes and rawset raise;
 * - the upvalues of those functions that hold numbers, strings, booleans or
 *   nil are recorded; after each call they are compared with the record,
 *   restored, and a change is an error naming the variable.
 * Tables a call creates itself are ordinary tables. A view's raw content is
 * empty: next(t) and rawget see nothing (pairs, ipairs, # and t[k] work).
 *
 * Registry: "dett.view_mt" (the views' metatable), "dett.views" (table ->
 * view) and "dett.viewof" (view -> table), both weak-keyed, "dett.upvals"
 * (array of {f = function, i = upvalue index, v = value}).
 */
#include "dsl_internal.h"
#include <string.h>

/* the table a view stands for (pushed) */
static void push_orig(lua_State *L, int view)
{
    view = lua_absindex(L, view);
    lua_getfield(L, LUA_REGISTRYINDEX, "dett.viewof");
    lua_pushvalue(L, view);
    lua_rawget(L, -2);
    lua_remove(L, -2);
}

/* Replaces the table at idx by its view (created on first use); any other
 * value is left alone. */
static void to_view(lua_State *L, int idx)
{
    idx = lua_absindex(L, idx);
    if (lua_type(L, idx) != LUA_TTABLE || seal_is_view(L, idx)) return;
    lua_getfield(L, LUA_REGISTRYINDEX, "dett.views");
    lua_pushvalue(L, idx);
    if (lua_rawget(L, -2) == LUA_TTABLE) {
        lua_replace(L, idx);
        lua_pop(L, 1);
        return;
    }
    lua_pop(L, 1);
    lua_newtable(L);                              /* the view */
    lua_getfield(L, LUA_REGISTRYINDEX, "dett.view_mt");
    lua_setmetatable(L, -2);
    lua_pushvalue(L, idx);
    lua_pushvalue(L, -2);
    lua_rawset(L, -4);                            /* views[t] = view */
    lua_getfield(L, LUA_REGISTRYINDEX, "dett.viewof");
    lua_pushvalue(L, -2);
    lua_pushvalue(L, idx);
    lua_rawset(L, -3);                            /* viewof[view] = t */
    lua_pop(L, 1);
    lua_replace(L, idx);
    lua_pop(L, 1);
}

int seal_is_view(lua_State *L, int idx)
{
    if (lua_type(L, idx) != LUA_TTABLE || !lua_getmetatable(L, idx)) return 0;
    lua_getfield(L, LUA_REGISTRYINDEX, "dett.view_mt");
    int is = lua_rawequal(L, -1, -2);
    lua_pop(L, 2);
    return is;
}

/* __index(view, k): t[k], through t's own __index (a Lua __index function
 * is given the view, not t); a table comes back as its view */
static int view_index(lua_State *L)
{
    push_orig(L, 1);                              /* 3: t */
    lua_pushvalue(L, 2);
    if (lua_rawget(L, 3) == LUA_TNIL && lua_getmetatable(L, 3)) {
        lua_pushliteral(L, "__index");
        int t = lua_rawget(L, -2);
        if (t == LUA_TTABLE) {
            to_view(L, -1);
            lua_pushvalue(L, 2);
            lua_gettable(L, -2);
        } else if (t == LUA_TFUNCTION) {
            lua_pushvalue(L, lua_iscfunction(L, -1) ? 3 : 1);
            lua_pushvalue(L, 2);
            lua_call(L, 2, 1);
        } else {
            lua_pushnil(L);
        }
    }
    to_view(L, -1);
    return 1;
}

static int view_newindex(lua_State *L)
{
    push_orig(L, 1);
    lua_rawgeti(L, LUA_REGISTRYINDEX, LUA_RIDX_GLOBALS);
    int global = lua_rawequal(L, -1, -2);
    const char *k = luaL_tolstring(L, 2, NULL);
    if (global)
        return luaL_error(L, "cannot assign global '%s' in a weighting function (weighting "
                          "functions are stateless: results must not depend on the rank count)", k);
    return luaL_error(L, "cannot set field '%s' of a table from outside the weighting function "
                      "(weighting functions are stateless: results must not depend on the rank "
                      "count)", k);
}

static int view_len(lua_State *L)
{
    push_orig(L, 1);
    lua_pushinteger(L, (lua_Integer)lua_rawlen(L, -1));
    return 1;
}

/* the iterator of pairs(view): next over t, tables as views */
static int view_next(lua_State *L)
{
    lua_settop(L, 2);
    push_orig(L, 1);
    lua_pushvalue(L, 2);
    if (!lua_next(L, 3)) {
        lua_pushnil(L);
        return 1;
    }
    to_view(L, -1);
    return 2;
}

static int view_pairs(lua_State *L)
{
    lua_pushcfunction(L, view_next);
    lua_pushvalue(L, 1);
    lua_pushnil(L);
    return 3;
}

/* Appends the value at idx to the work list at `todo` if it is a table or
 * Lua function not seen yet. */
static void push_work(lua_State *L, int idx, int todo, int seen)
{
    idx = lua_absindex(L, idx);
    int t = lua_type(L, idx);
    if (!(t == LUA_TTABLE || (t == LUA_TFUNCTION && !lua_iscfunction(L, idx)))) return;
    if (seal_is_view(L, idx)) return;
    lua_pushvalue(L, idx);
    if (lua_rawget(L, seen) != LUA_TNIL) {
        lua_pop(L, 1);
        return;
    }
    lua_pop(L, 1);
    lua_pushvalue(L, idx);
    lua_pushboolean(L, 1);
    lua_rawset(L, seen);
    lua_pushvalue(L, idx);
    lua_rawseti(L, todo, (lua_Integer)lua_rawlen(L, todo) + 1);
}

/* The upvalues of the Lua function at f: tables become views (and are
 * walked), functions are walked, plain values are recorded. */
static void seal_function(lua_State *L, int f, int todo, int seen, int upvals)
{
    for (int i = 1;; i++) {
        luaL_checkstack(L, 6, "sealing weighting functions");
        if (!lua_getupvalue(L, f, i)) break;
        int t = lua_type(L, -1);
        dsl_charge(L, 1);
        if (t == LUA_TTABLE) {
            push_work(L, -1, todo, seen);
            to_view(L, -1);
            if (!lua_setupvalue(L, f, i)) lua_pop(L, 1);
            continue;
        }
        if (t == LUA_TFUNCTION) {
            push_work(L, -1, todo, seen);
        } else if (t == LUA_TNIL || t == LUA_TBOOLEAN || t == LUA_TNUMBER ||
                   t == LUA_TSTRING || t == LUA_TLIGHTUSERDATA) {
            lua_createtable(L, 0, 3);
            lua_pushvalue(L, f);
            lua_setfield(L, -2, "f");
            lua_pushinteger(L, i);
            lua_setfield(L, -2, "i");
            lua_pushvalue(L, -2);
            lua_setfield(L, -2, "v");
            lua_rawseti(L, upvals, (lua_Integer)lua_rawlen(L, upvals) + 1);
        }
        lua_pop(L, 1);
    }
}

void seal_weightings(lua_State *L)
{
    dsl *d = sandbox_dsl(L);
    if (lua_getfield(L, LUA_REGISTRYINDEX, "dett.fnref") != LUA_TTABLE) {
        lua_pop(L, 1);
        return;
    }
    int fns = lua_gettop(L);
    static const luaL_Reg mt[] = { { "__index", view_index }, { "__newindex", view_newindex },
                                   { "__len", view_len }, { "__pairs", view_pairs },
                                   { NULL, NULL } };
    lua_newtable(L);
    luaL_setfuncs(L, mt, 0);
    lua_pushboolean(L, 0);
    lua_setfield(L, -2, "__metatable");
    lua_setfield(L, LUA_REGISTRYINDEX, "dett.view_mt");
    for (int k = 0; k < 2; k++) {
        lua_newtable(L);
        lua_newtable(L);
        lua_pushliteral(L, "k");
        lua_setfield(L, -2, "__mode");
        lua_setmetatable(L, -2);
        lua_setfield(L, LUA_REGISTRYINDEX, k ? "dett.viewof" : "dett.views");
    }
    lua_newtable(L);
    int upvals = lua_gettop(L);
    lua_pushvalue(L, upvals);
    lua_setfield(L, LUA_REGISTRYINDEX, "dett.upvals");
    lua_newtable(L);
    int todo = lua_gettop(L);
    lua_newtable(L);
    int seen = lua_gettop(L);
    lua_pushnil(L);
    while (lua_next(L, fns)) {
        lua_pop(L, 1);
        push_work(L, -1, todo, seen);
    }
    /* work list: tables are walked (keys, values, metatable), functions
     * sealed; each item costs from the script's instruction budget */
    for (lua_Integer n = (lua_Integer)lua_rawlen(L, todo); n > 0;
         n = (lua_Integer)lua_rawlen(L, todo)) {
        lua_rawgeti(L, todo, n);
        lua_pushnil(L);
        lua_rawseti(L, todo, n);
        int item = lua_gettop(L);
        if (lua_type(L, item) == LUA_TFUNCTION) {
            seal_function(L, item, todo, seen, upvals);
        } else {
            if (lua_getmetatable(L, item)) {
                push_work(L, -1, todo, seen);
                lua_pop(L, 1);
            }
            lua_pushnil(L);
            while (lua_next(L, item)) {
                dsl_charge(L, 1);
                push_work(L, -2, todo, seen);
                push_work(L, -1, todo, seen);
                lua_pop(L, 1);
            }
        }
        lua_settop(L, item - 1);
    }
    d->sealed = 1;
    lua_settop(L, fns - 1);
}

const char *seal_check(lua_State *L)
{
    dsl *d = sandbox_dsl(L);
    if (!d->sealed) return NULL;
    const char *changed = NULL;
    luaL_checkstack(L, 6, "checking weighting function state");
    lua_getfield(L, LUA_REGISTRYINDEX, "dett.upvals");
    lua_Integer n = (lua_Integer)lua_rawlen(L, -1);
    for (lua_Integer k = 1; k <= n; k++) {
        lua_rawgeti(L, -1, k);
        lua_getfield(L, -1, "f");
        lua_getfield(L, -2, "i");
        int i = (int)lua_tointeger(L, -1);
        lua_pop(L, 1);
        lua_getfield(L, -2, "v");                 /* entry f v */
        const char *name = lua_getupvalue(L, -2, i);
        if (name && !lua_rawequal(L, -1, -2)) {
            if (!changed) changed = name;
            lua_pop(L, 1);
            lua_pushvalue(L, -1);
            lua_setupvalue(L, -3, i);
        } else if (name) {
            lua_pop(L, 1);
        }
        lua_pop(L, 3);
    }
    lua_pop(L, 1);
    return changed;
}
