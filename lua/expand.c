/* expand.c - turns a value with sweeps inside into the list of concrete
 * values it stands for.
 *
 * A sweep stands for each of its values in turn (nested sweeps flatten); a
 * DSL value or list stands for the Cartesian product of what its entries
 * stand for, taken in the constructor's key order (the last key varies
 * fastest), then list entries 1..n. So a sweep inside one method multiplies
 * only that method's entries of a method sweep. Every traversal keeps the
 * tables on its current path in a "visiting" set, so a cyclic table is an
 * error rather than a hang.
 */
#include "dsl_internal.h"
#include <string.h>

/* Marks (on = 1) or unmarks the value at idx in the visiting set at vis;
 * raises if it is marked already. */
static void visit(lua_State *L, int vis, int idx, int on, const char *where)
{
    if (on) {
        lua_pushvalue(L, idx);
        if (lua_rawget(L, vis) != LUA_TNIL)
            obj_error(L, where, "cyclic table (a value contains itself)");
        lua_pop(L, 1);
    }
    lua_pushvalue(L, idx);
    if (on) lua_pushboolean(L, 1);
    else lua_pushnil(L);
    lua_rawset(L, vis);
}

/* Pushes the entries of the value at idx to walk: for a DSL value its data
 * table, for a plain table the table itself; returns 0 (pushing nothing)
 * for anything else. */
static int push_entries(lua_State *L, int idx)
{
    if (obj_test(L, idx)) {
        obj_push_data(L, idx);
        return 1;
    }
    if (lua_type(L, idx) == LUA_TTABLE) {
        lua_pushvalue(L, idx);
        return 1;
    }
    return 0;
}

/* 1 if the value at idx has a sweep anywhere inside */
static int has_sweep(lua_State *L, int idx, int vis, const char *where, int depth)
{
    dobj *o = obj_test(L, idx);
    if (o && o->c->cls == OBJ_SWEEP) return 1;
    if (depth > 64) obj_error(L, where, "values nested more than 64 deep");
    luaL_checkstack(L, 8, "values nested too deep");
    if (!push_entries(L, idx)) return 0;
    int found = 0, ent = lua_gettop(L);
    visit(L, vis, idx, 1, where);
    lua_pushnil(L);
    while (!found && lua_next(L, ent)) {
        found = has_sweep(L, lua_gettop(L), vis, where, depth + 1);
        lua_pop(L, 1);
    }
    if (found) lua_pop(L, 1);   /* the key lua_next left */
    visit(L, vis, idx, 0, where);
    lua_pop(L, 1);
    return found;
}

/* Appends the array at src to the array at dst (n entries so far); returns
 * the new count. */
static lua_Integer append_all(lua_State *L, int dst, lua_Integer n, int src, const char *where)
{
    lua_Integer m = (lua_Integer)lua_rawlen(L, src);
    if (n + m > DSL_MAX_JOBS)
        obj_error(L, where, "expands to more than %d values", DSL_MAX_JOBS);
    for (lua_Integer i = 1; i <= m; i++) {
        lua_rawgeti(L, src, i);
        lua_rawseti(L, dst, n + i);
    }
    return n + m;
}

/* Pushes a shallow copy of the table at idx. */
static void copy_table(lua_State *L, int idx)
{
    lua_newtable(L);
    lua_pushnil(L);
    while (lua_next(L, idx)) {
        lua_pushvalue(L, -2);
        lua_insert(L, -2);
        lua_rawset(L, -4);
    }
}

/* Replaces the array of partial tables at parts with the product of it and
 * the expansions of entry `key` (at key_idx) of the value's entries at ent. */
static void extend_parts(lua_State *L, int *parts, int ent, int key_idx, int vis,
                         const char *where, int depth);

static void expand_rec(lua_State *L, int idx, int vis, const char *where, int depth);

/* Pushes the expansion of the DSL value or plain table at idx, known to
 * contain a sweep. */
static void expand_compound(lua_State *L, int idx, int vis, const char *where, int depth)
{
    dobj *o = obj_test(L, idx);
    push_entries(L, idx);
    int ent = lua_gettop(L);
    visit(L, vis, idx, 1, where);
    lua_newtable(L);             /* parts: one empty partial table */
    lua_newtable(L);
    lua_rawseti(L, -2, 1);
    int parts = lua_gettop(L);
    if (o) {
        for (int k = 0; k < o->c->n_keys; k++) {
            lua_pushstring(L, o->c->keys[k].name);
            extend_parts(L, &parts, ent, lua_gettop(L), vis, where, depth);
            lua_pop(L, 1);
        }
    }
    lua_Integer n = (lua_Integer)lua_rawlen(L, ent);
    for (lua_Integer i = 1; i <= n; i++) {
        lua_pushinteger(L, i);
        extend_parts(L, &parts, ent, lua_gettop(L), vis, where, depth);
        lua_pop(L, 1);
    }
    if (o) {   /* wrap each concrete data table as a value like o */
        lua_Integer m = (lua_Integer)lua_rawlen(L, parts);
        for (lua_Integer i = 1; i <= m; i++) {
            lua_rawgeti(L, parts, i);
            obj_push_like(L, o, -1);
            lua_rawseti(L, parts, i);
            lua_pop(L, 1);
        }
    }
    visit(L, vis, idx, 0, where);
    lua_remove(L, ent);
}

static void extend_parts(lua_State *L, int *parts, int ent, int key_idx, int vis,
                         const char *where, int depth)
{
    lua_pushvalue(L, key_idx);
    if (lua_rawget(L, ent) == LUA_TNIL) {
        lua_pop(L, 1);
        return;
    }
    expand_rec(L, lua_gettop(L), vis, where, depth + 1);
    int sub = lua_gettop(L);
    lua_Integer np = (lua_Integer)lua_rawlen(L, *parts), ns = (lua_Integer)lua_rawlen(L, sub);
    if (np * ns > DSL_MAX_JOBS)
        obj_error(L, where, "expands to more than %d values", DSL_MAX_JOBS);
    lua_createtable(L, (int)(np * ns), 0);
    int out = lua_gettop(L);
    lua_Integer n = 0;
    for (lua_Integer p = 1; p <= np; p++) {
        lua_rawgeti(L, *parts, p);
        int part = lua_gettop(L);
        for (lua_Integer s = 1; s <= ns; s++) {
            copy_table(L, part);
            lua_pushvalue(L, key_idx);
            lua_rawgeti(L, sub, s);
            lua_rawset(L, -3);
            lua_rawseti(L, out, ++n);
        }
        lua_pop(L, 1);
    }
    lua_replace(L, *parts);   /* out becomes parts */
    lua_pop(L, 2);            /* sub, value */
}

/* Pushes the array of concrete values of the value at idx. */
static void expand_rec(lua_State *L, int idx, int vis, const char *where, int depth)
{
    idx = lua_absindex(L, idx);
    luaL_checkstack(L, 16, "values nested too deep");
    if (depth > 64) obj_error(L, where, "values nested more than 64 deep");
    dobj *o = obj_test(L, idx);
    if (o && o->c->cls == OBJ_SWEEP) {
        lua_newtable(L);
        int out = lua_gettop(L);
        lua_Integer n = 0;
        obj_push_data(L, idx);
        int data = lua_gettop(L);
        for (lua_Integer i = 1; i <= (lua_Integer)lua_rawlen(L, data); i++) {
            lua_rawgeti(L, data, i);
            expand_rec(L, lua_gettop(L), vis, where, depth + 1);
            n = append_all(L, out, n, lua_gettop(L), where);
            lua_pop(L, 2);
        }
        lua_pop(L, 1);
        return;
    }
    if (!has_sweep(L, idx, vis, where, depth)) {
        lua_createtable(L, 1, 0);
        lua_pushvalue(L, idx);
        lua_rawseti(L, -2, 1);
        return;
    }
    expand_compound(L, idx, vis, where, depth);
}

void expand_value(lua_State *L, int idx, const char *where)
{
    idx = lua_absindex(L, idx);
    lua_newtable(L);
    int vis = lua_gettop(L);
    expand_rec(L, idx, vis, where, 0);
    lua_remove(L, vis);
}
