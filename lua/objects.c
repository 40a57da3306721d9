/* objects.c - the DSL's constructors and the values they return.
 *
 * Every DSL value (dataset, architecture, method, weighting, optimiser,
 * model, grid, sweep) is a full userdata of metatable "dett.object" holding
 * a dobj header (constructor, call site) and, as its user value, a data
 * table of the validated options. Scripts cannot read or change either, so
 * a value stays what its constructor checked. Keyword constructors are one C
 * closure (ctor_call) over a static ctor table that lists each key's kind
 * and range; values are validated when the constructor is called, so errors
 * carry the line of that call.
 */
#define _POSIX_C_SOURCE 200809L
#include "dsl_internal.h"
#include "method.h"
#include <float.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#define OBJ_MT "dett.object"
#define INF HUGE_VAL
#define MAX_SEED 9007199254740992.0   /* 2^53: exact in a double */

extern const ctor dsl_sweep_ctor;

/* ======================================================================== */
/* name suggestions                                                          */
/* ======================================================================== */

static int min3(int a, int b, int c)
{
    int m = a < b ? a : b;
    return m < c ? m : c;
}

/* Edit distance counting a swap of neighbours as one edit (optimal string
 * alignment); names longer than 63 characters count as far. */
static int edit_distance(const char *a, const char *b)
{
    size_t na = strlen(a), nb = strlen(b);
    if (na > 63 || nb > 63) return 99;
    int d[64][64];
    for (size_t i = 0; i <= na; i++) d[i][0] = (int)i;
    for (size_t j = 0; j <= nb; j++) d[0][j] = (int)j;
    for (size_t i = 1; i <= na; i++)
        for (size_t j = 1; j <= nb; j++) {
            d[i][j] = min3(d[i - 1][j] + 1, d[i][j - 1] + 1,
                           d[i - 1][j - 1] + (a[i - 1] != b[j - 1]));
            if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] &&
                d[i - 2][j - 2] + 1 < d[i][j])
                d[i][j] = d[i - 2][j - 2] + 1;
        }
    return d[na][nb];
}

/* Other spellings of a key. An alias is suggested only where its target
 * is a key of the constructor. */
static const char *const aliases[][2] = {
    { "tau", "T" },         { "temperature", "T" },  { "lambda_up", "up" },
    { "weight_decay", "wd" }, { "arch", "student" },  { "model", "arch" },
    { "student", "arch" },  { "seed", "seeds" },      { "seeds", "seed" },
    { "dataset", "data" },  { "eta_q", "eta" },       { "C", "adj" },
    { "weights", "weighting" },
};

/* Suggests a name for a misspelt `key`: an alias, then a case-insensitive
 * match, then the closest name by edit distance (at most 2, and less than
 * the key's length), then a name that is a prefix of the key or has it as a
 * prefix ("upweight" -> "up"). NULL if nothing is close. */
const char *suggest_name(const char *key, const char *const *cands, int n)
{
    for (size_t a = 0; a < sizeof aliases / sizeof aliases[0]; a++)
        if (strcmp(key, aliases[a][0]) == 0)
            for (int i = 0; i < n; i++)
                if (strcmp(cands[i], aliases[a][1]) == 0) return cands[i];
    size_t nk = strlen(key);
    for (int i = 0; i < n; i++) {
        size_t nc = strlen(cands[i]), j = 0;
        if (nc != nk) continue;
        while (j < nk && (key[j] | 32) == (cands[i][j] | 32)) j++;
        if (j == nk) return cands[i];
    }
    const char *best = NULL;
    int bestd = 3;
    for (int i = 0; i < n; i++) {
        int d = edit_distance(key, cands[i]);
        if (d < bestd && (size_t)d < nk) {
            best = cands[i];
            bestd = d;
        }
    }
    if (best) return best;
    for (int i = 0; i < n; i++) {
        size_t nc = strlen(cands[i]);
        if ((nc >= 2 && nc < nk && strncmp(key, cands[i], nc) == 0) ||
            (nk >= 2 && nk < nc && strncmp(cands[i], key, nk) == 0))
            return cands[i];
    }
    return NULL;
}

/* ======================================================================== */
/* DSL values                                                                */
/* ======================================================================== */

static const char *const class_names[] = {
    [OBJ_DATASET] = "dataset", [OBJ_ARCH] = "architecture", [OBJ_METHOD] = "method",
    [OBJ_WEIGHTING] = "weighting", [OBJ_OPTIM] = "optimiser", [OBJ_MODEL] = "model",
    [OBJ_GRID] = "grid", [OBJ_SWEEP] = "sweep",
};

dobj *obj_test(lua_State *L, int idx)
{
    return luaL_testudata(L, idx, OBJ_MT);
}

void obj_push_data(lua_State *L, int idx)
{
    if (lua_getiuservalue(L, idx, 1) != LUA_TTABLE)
        luaL_error(L, "internal error: DSL value without data");
}

/* Pushes a new value of constructor c, data table at data_idx, made at
 * `where` (line `line`). */
static dobj *obj_push(lua_State *L, const ctor *c, int data_idx, const char *where, int line)
{
    data_idx = lua_absindex(L, data_idx);
    dobj *o = lua_newuserdatauv(L, sizeof *o, 1);
    o->c = c;
    o->line = line;
    snprintf(o->where, sizeof o->where, "%s", where);
    luaL_setmetatable(L, OBJ_MT);
    lua_pushvalue(L, data_idx);
    if (!lua_setiuservalue(L, -2, 1)) luaL_error(L, "internal error: no user value");
    return o;
}

dobj *obj_push_like(lua_State *L, const dobj *proto, int data_idx)
{
    return obj_push(L, proto->c, data_idx, proto->where, proto->line);
}

int obj_error(lua_State *L, const char *where, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    lua_pushstring(L, where);
    lua_pushstring(L, where[0] ? " " : "");
    lua_pushvfstring(L, fmt, ap);
    va_end(ap);
    lua_concat(L, 3);
    return lua_error(L);
}

/* The "file:line:" of the Lua code that called the running C function. */
static void caller_where(lua_State *L, char where[DSL_WHERE], int *line)
{
    lua_Debug ar;
    where[0] = '\0';
    *line = 0;
    if (lua_getstack(L, 1, &ar) && lua_getinfo(L, "Sl", &ar) && ar.currentline > 0) {
        snprintf(where, DSL_WHERE, "%s:%d:", ar.short_src, ar.currentline);
        *line = ar.currentline;
    }
}

static int ctor_call(lua_State *L);

const char *obj_describe(lua_State *L, int idx)
{
    dobj *o = obj_test(L, idx);
    if (o && o->c->cls == OBJ_SWEEP) return lua_pushliteral(L, "sweep{...}");
    if (o && o->c->cls == OBJ_DATASET) return lua_pushliteral(L, "dataset");
    if (o && o->c->cls == OBJ_WEIGHTING)
        return lua_pushfstring(L, "weighting %s", o->c->name);
    if (o) return lua_pushfstring(L, "%s %s{}", class_names[o->c->cls], o->c->name);
    if (lua_tocfunction(L, idx) == ctor_call) {
        lua_getupvalue(L, idx, 1);
        const ctor *c = lua_touserdata(L, -1);
        lua_pop(L, 1);
        return lua_pushfstring(L, "function %s (did you forget the braces: %s{}?)",
                               c->name, c->name);
    }
    switch (lua_type(L, idx)) {
    case LUA_TNUMBER: return lua_pushfstring(L, "number %s", luaL_tolstring(L, idx, NULL));
    case LUA_TSTRING: return lua_pushfstring(L, "string \"%s\"", lua_tostring(L, idx));
    case LUA_TBOOLEAN: return lua_toboolean(L, idx) ? "true" : "false";
    case LUA_TTABLE: return "table";
    default: return luaL_typename(L, idx);
    }
}

/* __tostring: "kd{} (x.lua:3:)" */
static int obj_tostring(lua_State *L)
{
    dobj *o = luaL_checkudata(L, 1, OBJ_MT);
    if (o->c->cls == OBJ_WEIGHTING) lua_pushstring(L, o->c->name);
    else lua_pushfstring(L, "%s{} (%s)", o->c->name, o->where);
    return 1;
}

/* ======================================================================== */
/* validation                                                                */
/* ======================================================================== */

/* Raises "C{}: LABEL must be WHAT, got VALUE", with a hint for plain tables
 * where a DSL value is expected. */
static int bad_value(lua_State *L, const ctor *c, const char *label, const char *what, int idx)
{
    const char *hint = "";
    if (lua_type(L, idx) == LUA_TTABLE && !obj_test(L, idx) && !strstr(what, "list"))
        hint = " (use sweep{...} to try several values)";
    return luaL_error(L, "%s{}: %s must be %s, got %s%s", c->name, label, what,
                      obj_describe(L, idx), hint);
}

/* The range of k as text: "[0, 1]", "> 0", ">= 0". */
static const char *range_text(lua_State *L, const key_spec *k)
{
    char buf[96];
    if (k->hi == INF) {
        snprintf(buf, sizeof buf, "%s %.14g", (k->flags & K_LO_OPEN) ? ">" : ">=", k->lo);
        return lua_pushstring(L, buf);
    }
    snprintf(buf, sizeof buf, "in %c%.14g, %.14g%c", (k->flags & K_LO_OPEN) ? '(' : '[',
             k->lo, k->hi, (k->flags & K_HI_OPEN) ? ')' : ']');
    return lua_pushstring(L, buf);
}

/* Raises unless lo <= v <= hi (with open ends as flagged). */
static void check_range(lua_State *L, const ctor *c, const char *label, const key_spec *k, double v)
{
    int ok = (k->flags & K_LO_OPEN) ? v > k->lo : v >= k->lo;
    ok = ok && ((k->flags & K_HI_OPEN) ? v < k->hi : v <= k->hi);
    if (!ok) {
        char got[32];
        snprintf(got, sizeof got, "%.14g", v);
        luaL_error(L, "%s{}: %s must be %s, got %s", c->name, label, range_text(L, k), got);
    }
}

/* Pushes and returns "erm{}, groupdro{}, ... or dfr{}": the methods of the
 * table in order, leaving out those with any of the flags `without`. */
static const char *method_list(lua_State *L, unsigned without)
{
    luaL_Buffer b;
    int n = 0, total = 0;
    for (int k = 0; k < method_count(); k++) total += !(method_get(k)->flags & without);
    luaL_buffinit(L, &b);
    for (int k = 0; k < method_count(); k++) {
        const method_def *d = method_get(k);
        if (d->flags & without) continue;
        if (n++) luaL_addstring(&b, n == total ? " or " : ", ");
        luaL_addstring(&b, d->name);
        luaL_addstring(&b, "{}");
    }
    luaL_pushresult(&b);
    return lua_tostring(L, -1);
}

/* 1 if the value at idx is a DSL value of class cls */
static int is_class(lua_State *L, int idx, obj_class cls)
{
    dobj *o = obj_test(L, idx);
    return o && o->c->cls == cls;
}

/* Checks that the plain table at idx is a list 1..n without holes or other
 * keys, and returns n. */
static lua_Integer check_list(lua_State *L, const ctor *c, const char *label, int idx)
{
    lua_Integer n = (lua_Integer)lua_rawlen(L, idx), count = 0;
    lua_pushnil(L);
    while (lua_next(L, idx)) {
        lua_pop(L, 1);
        if ((count & 1023) == 1023) dsl_charge(L, 1024);
        if (!lua_isinteger(L, -1) || lua_tointeger(L, -1) < 1 || lua_tointeger(L, -1) > n)
            luaL_error(L, "%s{}: %s must be a list (only values 1..n), found key %s", c->name,
                       label, obj_describe(L, -1));
        count++;
    }
    if (count != n) luaL_error(L, "%s{}: %s has holes (nil entries)", c->name, label);
    return n;
}

static void check_value(lua_State *L, const ctor *c, const key_spec *k, const char *label,
                        int idx, int depth);

/* Validates each element of the plain list at idx against `elem` and pushes
 * a copy. */
static void check_list_of(lua_State *L, const ctor *c, const key_spec *elem, const char *label,
                          int idx, int depth, lua_Integer min_n, lua_Integer max_n)
{
    lua_Integer n = check_list(L, c, label, idx);
    if (n < min_n || n > max_n) {
        if (min_n == max_n)
            luaL_error(L, "%s{}: %s must have %d entries, got %d", c->name, label,
                       (int)min_n, (int)n);
        luaL_error(L, "%s{}: %s must have %d to %d entries, got %d", c->name, label,
                   (int)min_n, (int)max_n, (int)n);
    }
    lua_createtable(L, (int)n, 0);
    for (lua_Integer i = 1; i <= n; i++) {
        lua_rawgeti(L, idx, i);
        const char *el = lua_pushfstring(L, "%s[%d]", label, (int)i);
        check_value(L, c, elem, el, -2, depth + 1);
        lua_rawseti(L, -4, i);
        lua_pop(L, 2);
    }
}

/* Validates the value at idx as key k of constructor c and pushes the value
 * to store: lists are copied, sweeps rebuilt from validated elements, a
 * list given to `seeds` becomes a sweep. Raises at the caller's line. */
static void check_value(lua_State *L, const ctor *c, const key_spec *k, const char *label,
                        int idx, int depth)
{
    idx = lua_absindex(L, idx);
    luaL_checkstack(L, 16, "values nested too deep");
    if (depth > 32) luaL_error(L, "%s{}: %s is nested too deep", c->name, label);
    dobj *o = obj_test(L, idx);
    if (o && o->c->cls == OBJ_SWEEP) {
        obj_push_data(L, idx);
        lua_Integer n = (lua_Integer)lua_rawlen(L, -1);
        /* a sweep may hold the same sweep many times: pay per copy */
        dsl_charge(L, (double)n + DSL_CTOR_STEPS);
        lua_createtable(L, (int)n, 0);
        for (lua_Integer i = 1; i <= n; i++) {
            lua_rawgeti(L, -2, i);
            check_value(L, c, k, label, -1, depth + 1);
            lua_rawseti(L, -3, i);
            lua_pop(L, 1);
        }
        obj_push_like(L, o, -1);
        lua_replace(L, -3);
        lua_pop(L, 1);
        return;
    }
    switch (k->kind) {
    case V_NUM:
        if (lua_type(L, idx) != LUA_TNUMBER) bad_value(L, c, label, "a number", idx);
        /* numbers become C floats: beyond FLT_MAX they would turn into inf */
        if (!(fabs(lua_tonumber(L, idx)) <= FLT_MAX))
            bad_value(L, c, label, "a finite number (at most 3.4e38 in magnitude)", idx);
        check_range(L, c, label, k, lua_tonumber(L, idx));
        lua_pushnumber(L, lua_tonumber(L, idx));
        return;
    case V_INT:
    case V_SEEDS: {
        if (k->kind == V_SEEDS && lua_type(L, idx) == LUA_TTABLE) {
            /* a plain list of seeds means a sweep over them */
            key_spec one = *k;
            one.kind = V_INT;
            lua_Integer n = check_list(L, c, label, idx);
            if (n == 0) luaL_error(L, "%s{}: %s is empty (an axis needs at least one value)",
                                   c->name, label);
            check_list_of(L, c, &one, label, idx, depth, 1, DSL_MAX_JOBS);
            char where[DSL_WHERE];
            int line;
            caller_where(L, where, &line);
            obj_push(L, &dsl_sweep_ctor, -1, where, line);
            lua_remove(L, -2);
            return;
        }
        lua_Integer v = 0;
        if (lua_type(L, idx) != LUA_TNUMBER) bad_value(L, c, label, "an integer", idx);
        if (!lua_isinteger(L, idx)) {
            double x = lua_tonumber(L, idx);
            if (!(x == floor(x) && fabs(x) < MAX_SEED)) {
                char got[32];
                snprintf(got, sizeof got, "%.14g", x);
                luaL_error(L, "%s{}: %s must be an integer, got %s", c->name, label, got);
            }
            v = (lua_Integer)x;
        } else {
            v = lua_tointeger(L, idx);
        }
        check_range(L, c, label, k, (double)v);
        lua_pushinteger(L, v);
        return;
    }
    case V_BOOL:
        if (lua_type(L, idx) != LUA_TBOOLEAN) bad_value(L, c, label, "a boolean", idx);
        lua_pushvalue(L, idx);
        return;
    case V_ENUM: {
        luaL_Buffer b;
        const char *s = lua_type(L, idx) == LUA_TSTRING ? lua_tostring(L, idx) : NULL;
        for (const char *const *ch = k->choices; s && *ch; ch++)
            if (strcmp(s, *ch) == 0) {
                lua_pushvalue(L, idx);
                return;
            }
        luaL_buffinit(L, &b);
        luaL_addstring(&b, "one of ");
        for (const char *const *ch = k->choices; *ch; ch++) {
            if (ch != k->choices) luaL_addstring(&b, ", ");
            luaL_addchar(&b, '"');
            luaL_addstring(&b, *ch);
            luaL_addchar(&b, '"');
        }
        luaL_pushresult(&b);
        bad_value(L, c, label, lua_tostring(L, -1), idx);
        return;
    }
    case V_INTLIST: {
        if (lua_type(L, idx) != LUA_TTABLE)
            bad_value(L, c, label, "a list of integers, e.g. {8, 16}", idx);
        key_spec elem = *k;
        elem.kind = V_INT;
        check_list_of(L, c, &elem, label, idx, depth, (k->flags & K_NONEMPTY) ? 1 : 0,
                      JOB_MAX_LAYERS);
        return;
    }
    case V_BETAS: {
        static const key_spec beta = { "betas", V_NUM, 0, 1, K_HI_OPEN, NULL };
        if (lua_type(L, idx) != LUA_TTABLE)
            bad_value(L, c, label, "a list of two numbers, e.g. {0.9, 0.999}", idx);
        check_list_of(L, c, &beta, label, idx, depth, 2, 2);
        return;
    }
    case V_DATA:
        if (!is_class(L, idx, OBJ_DATASET))
            bad_value(L, c, label, "a dataset (dataset \"file.h5\")", idx);
        break;
    case V_ARCH:
        if (!is_class(L, idx, OBJ_ARCH))
            bad_value(L, c, label, "an architecture (mlp{...} or cnn{...})", idx);
        break;
    case V_METHOD:
        if (!is_class(L, idx, OBJ_METHOD))
            bad_value(L, c, label, lua_pushfstring(L, "a method (%s)",
                                                   method_list(L, 0)), idx);
        break;
    case V_OPTIM:
        if (!is_class(L, idx, OBJ_OPTIM))
            bad_value(L, c, label, "an optimiser (sgd{...} or adamw{...})", idx);
        break;
    case V_MODEL:
        if (!is_class(L, idx, OBJ_MODEL))
            bad_value(L, c, label, "a model from train{...} or external \"teacher.h5\"", idx);
        break;
    case V_WEIGHTING: {
        int ok = is_class(L, idx, OBJ_WEIGHTING) ||
                 (o && o->c->method && (o->c->method->flags & MF_WEIGHTING_VALUE)) ||
                 (lua_type(L, idx) == LUA_TFUNCTION && !lua_iscfunction(L, idx));
        if (!ok)
            bad_value(L, c, label, "a weighting (none, group_balanced, jtt{...} or a Lua "
                      "function)", idx);
        break;
    }
    }
    lua_pushvalue(L, idx);
}

/* ======================================================================== */
/* constructors                                                              */
/* ======================================================================== */

/* Pushes an array of the values at idx: the elements of a sweep (nested
 * sweeps flattened) or the value itself. */
static void push_flat(lua_State *L, int idx)
{
    idx = lua_absindex(L, idx);
    lua_newtable(L);
    int out = lua_gettop(L);
    lua_Integer n = 0;
    /* a work stack of values still to look at, kept in a table */
    lua_newtable(L);
    int work = out + 1;
    lua_Integer top = 0;
    lua_pushvalue(L, idx);
    lua_rawseti(L, work, ++top);
    while (top > 0) {
        lua_rawgeti(L, work, top);
        lua_pushnil(L);
        lua_rawseti(L, work, top--);
        if (is_class(L, -1, OBJ_SWEEP)) {
            obj_push_data(L, -1);
            for (lua_Integer i = (lua_Integer)lua_rawlen(L, -1); i >= 1; i--) {
                lua_rawgeti(L, -1, i);
                lua_rawseti(L, work, ++top);
            }
            lua_pop(L, 2);
        } else {
            lua_rawseti(L, out, ++n);
        }
    }
    lua_pop(L, 1);
}

/* 1 if the method at idx needs a teacher */
static int method_needs_teacher_at(lua_State *L, int idx)
{
    dobj *o = obj_test(L, idx);
    return o && o->c->method && method_needs_teacher(o->c->method);
}

/* A method with a weighting key: its keys that describe the default jtt
 * weighting (up, resample) conflict with an explicit weighting, and its T
 * (the identification epochs) is allowed only with Lua functions. */
static void method_check(lua_State *L, const ctor *c, int data)
{
    const method_def *d = c->method;
    int w = -1;
    for (int i = 0; i < d->n_keys; i++)
        if (d->keys[i].role == MROLE_WEIGHTING) w = i;
    if (w < 0) return;
    int has_w = lua_getfield(L, data, d->keys[w].name) != LUA_TNIL;
    lua_pop(L, 1);
    if (!has_w) return;
    for (int i = 0; i < d->n_keys; i++) {
        if (d->keys[i].role != MROLE_WEIGHT_UP && d->keys[i].role != MROLE_WEIGHT_RESAMPLE)
            continue;
        int has = lua_getfield(L, data, d->keys[i].name) != LUA_TNIL;
        lua_pop(L, 1);
        if (has)
            luaL_error(L, "%s{}: '%s' conflicts with '%s' (write %s = jtt{T = ..., up = "
                       "...})", c->name, d->keys[i].name, d->keys[w].name, d->keys[w].name);
    }
    for (int i = 0; i < d->n_keys; i++) {
        if (d->keys[i].role != MROLE_WEIGHT_T) continue;
        int has = lua_getfield(L, data, d->keys[i].name) != LUA_TNIL;
        lua_pop(L, 1);
        if (!has) continue;
        lua_getfield(L, data, d->keys[w].name);
        push_flat(L, -1);
        for (lua_Integer j = 1; j <= (lua_Integer)lua_rawlen(L, -1); j++) {
            if (lua_rawgeti(L, -1, j) != LUA_TFUNCTION)
                luaL_error(L, "%s{}: '%s' conflicts with %s %s (write %s = jtt{T = ..., "
                           "up = ...})", c->name, d->keys[i].name, d->keys[w].name,
                           obj_describe(L, -1), d->keys[w].name);
            lua_pop(L, 1);
        }
        lua_pop(L, 2);
    }
}

/* 1 if any of the values at idx (a value or a sweep of them) is "teacher" */
static int init_teacher_at(lua_State *L, int idx)
{
    int found = 0;
    push_flat(L, idx);
    for (lua_Integer i = 1; i <= (lua_Integer)lua_rawlen(L, -1) && !found; i++) {
        lua_rawgeti(L, -1, i);
        found = lua_type(L, -1) == LUA_TSTRING && strcmp(lua_tostring(L, -1), "teacher") == 0;
        lua_pop(L, 1);
    }
    lua_pop(L, 1);
    return found;
}

/* train{} and grid{}: every method that distils, and init = "teacher",
 * need the value's teacher (a train{} with a teacher is a student that can
 * itself be a teacher: a chain); an external teacher holds only its last
 * layer, so nothing can start from its weights */
static void teacher_check(lua_State *L, const ctor *c, int data)
{
    int has_teacher = lua_getfield(L, data, "teacher") != LUA_TNIL;
    int ext = has_teacher && obj_test(L, -1) && strcmp(obj_test(L, -1)->c->name, "external") == 0;
    lua_pop(L, 1);
    lua_getfield(L, data, "init");
    int init_t = init_teacher_at(L, lua_gettop(L));
    lua_pop(L, 1);
    if (init_t && !has_teacher)
        luaL_error(L, "%s{}: init = \"teacher\" needs a teacher (add teacher = train{...})",
                   c->name);
    if (init_t && ext)
        luaL_error(L, "%s{}: init = \"teacher\" needs a teacher trained by dett: an external "
                   "teacher file holds only its last layer", c->name);
    if (has_teacher) return;
    lua_getfield(L, data, "method");
    push_flat(L, -1);
    for (lua_Integer i = 1; i <= (lua_Integer)lua_rawlen(L, -1); i++) {
        lua_rawgeti(L, -1, i);
        if (method_needs_teacher_at(L, -1))
            luaL_error(L, "%s{}: method %s{} needs a teacher (add teacher = train{...})",
                       c->name, obj_test(L, -1)->c->name);
        lua_pop(L, 1);
    }
    lua_pop(L, 2);
}

static const char *const pool_kinds[] = { "max", "avg", NULL };

static const key_spec mlp_width = { "width", V_INT, 1, 65536, 0, NULL };
/* made by l_dataset, never validated by key: the spec only names the key */
static const key_spec dataset_keys[] = { { "path", V_BOOL, 0, 0, 0, NULL } };
static const key_spec cnn_keys[] = {
    { "channels", V_INTLIST, 1, 4096, K_REQUIRED | K_NONEMPTY, NULL },
    { "kernel", V_INT, 1, 15, 0, NULL },
    { "pool", V_INT, 1, 8, 0, NULL },
    { "pool_kind", V_ENUM, 0, 0, 0, pool_kinds },
    { "fc", V_INT, 0, 65536, 0, NULL },
};
static const key_spec sgd_keys[] = {
    { "lr", V_NUM, 0, 1e9, K_LO_OPEN, NULL },
    { "momentum", V_NUM, 0, 1, K_HI_OPEN, NULL },
    { "wd", V_NUM, 0, INF, 0, NULL },
};
static const key_spec adamw_keys[] = {
    { "lr", V_NUM, 0, 1e9, K_LO_OPEN, NULL },
    { "wd", V_NUM, 0, INF, 0, NULL },
    { "betas", V_BETAS, 0, 0, 0, NULL },
    { "eps", V_NUM, 0, 1, K_LO_OPEN, NULL },
};
/* key order is expansion order: the last key varies fastest */
static const key_spec train_keys[] = {
    { "data", V_DATA, 0, 0, K_REQUIRED, NULL },
    { "teacher", V_MODEL, 0, 0, 0, NULL },
    { "arch", V_ARCH, 0, 0, K_REQUIRED, NULL },
    { "method", V_METHOD, 0, 0, 0, NULL },
    { "optim", V_OPTIM, 0, 0, 0, NULL },
    { "init", V_ENUM, 0, 0, 0, init_names },
    { "epochs", V_INT, 1, 100000, 0, NULL },
    { "batch", V_INT, 1, 1 << 24, 0, NULL },
    { "select", V_ENUM, 0, 0, 0, select_names },
    { "sampler", V_ENUM, 0, 0, 0, sampler_names },
    { "seed", V_INT, 0, INF, 0, NULL },
};
/* grid{}'s teacher_seed: the teacher trains with its own seed (train{}'s
 * `seed`, default 1) for every student, or with each student's seed */
static const char *const teacher_seed_names[] = { "fixed", "paired", NULL };
static const key_spec grid_keys[] = {
    { "data", V_DATA, 0, 0, K_REQUIRED, NULL },
    { "teacher", V_MODEL, 0, 0, 0, NULL },
    { "student", V_ARCH, 0, 0, K_REQUIRED, NULL },
    { "method", V_METHOD, 0, 0, K_REQUIRED, NULL },
    { "optim", V_OPTIM, 0, 0, 0, NULL },
    { "init", V_ENUM, 0, 0, 0, init_names },
    { "epochs", V_INT, 1, 100000, 0, NULL },
    { "batch", V_INT, 1, 1 << 24, 0, NULL },
    { "select", V_ENUM, 0, 0, 0, select_names },
    { "sampler", V_ENUM, 0, 0, 0, sampler_names },
    { "seeds", V_SEEDS, 0, INF, 0, NULL },
    { "teacher_seed", V_ENUM, 0, 0, 0, teacher_seed_names },
};

#define KEYS(k) k, (int)(sizeof k / sizeof k[0])
#define NOKEYS NULL, 0
/* keyword constructors, registered as globals */
/* keyword constructors, registered as globals; the methods' come from the
 * method table (open_methods) */
static const ctor ctors[] = {
    { "mlp", OBJ_ARCH, NOKEYS, &mlp_width, NULL, NULL },
    { "cnn", OBJ_ARCH, KEYS(cnn_keys), NULL, NULL, NULL },
    { "sgd", OBJ_OPTIM, KEYS(sgd_keys), NULL, NULL, NULL },
    { "adamw", OBJ_OPTIM, KEYS(adamw_keys), NULL, NULL, NULL },
    { "train", OBJ_MODEL, KEYS(train_keys), NULL, teacher_check, NULL },
    { "grid", OBJ_GRID, KEYS(grid_keys), NULL, teacher_check, NULL },
};
const ctor dsl_sweep_ctor = { "sweep", OBJ_SWEEP, NOKEYS, NULL, NULL, NULL };
static const ctor dataset_ctor = { "dataset", OBJ_DATASET, KEYS(dataset_keys), NULL, NULL, NULL };
/* made by l_external; "path" as for dataset_ctor */
static const ctor external_ctor = { "external", OBJ_MODEL, KEYS(dataset_keys), NULL, NULL, NULL };
static const ctor none_ctor = { "none", OBJ_WEIGHTING, NOKEYS, NULL, NULL, NULL };
static const ctor balanced_ctor = { "group_balanced", OBJ_WEIGHTING, NOKEYS, NULL, NULL, NULL };

/* a method's constructor, made from its table row; lives in Lua memory,
 * kept by registry["dett.method_ctors"] for as long as the state */
typedef struct {
    ctor c;
    key_spec keys[METHOD_MAX_KEYS];
} method_ctor;

/* the DSL key spec of a method key */
static key_spec key_of(const method_key *k)
{
    static const value_kind kinds[] = { [MKEY_NUM] = V_NUM, [MKEY_INT] = V_INT,
                                        [MKEY_BOOL] = V_BOOL, [MKEY_WEIGHTING] = V_WEIGHTING,
                                        [MKEY_OPTIM] = V_OPTIM };
    key_spec s = { k->name, kinds[k->type], k->lo, k->hi, 0, NULL };
    if (k->flags & MKEY_LO_OPEN) s.flags |= K_LO_OPEN;
    if (k->flags & MKEY_HI_OPEN) s.flags |= K_HI_OPEN;
    return s;
}

/* Sets a global constructor for every row of the method table (the table
 * at index globals). */
static void open_methods(lua_State *L, int globals)
{
    sandbox_registry_table(L, "dett.method_ctors");
    for (int k = 0; k < method_count(); k++) {
        const method_def *d = method_get(k);
        method_ctor *mc = lua_newuserdatauv(L, sizeof *mc, 0);
        memset(mc, 0, sizeof *mc);
        for (int i = 0; i < d->n_keys; i++) mc->keys[i] = key_of(&d->keys[i]);
        mc->c = (ctor){ d->name, OBJ_METHOD, mc->keys, d->n_keys, NULL, method_check, d };
        lua_rawseti(L, -2, k + 1);
        lua_pushlightuserdata(L, &mc->c);
        lua_pushcclosure(L, ctor_call, 1);
        lua_setfield(L, globals, d->name);
    }
    lua_pop(L, 1);
}

/* Raises the unknown-key error for `key`, with a suggestion or the list of
 * keys c knows. */
static int unknown_key(lua_State *L, const ctor *c, const char *key)
{
    const char *names[16];
    int n = 0;
    for (int i = 0; i < c->n_keys && n < 16; i++) names[n++] = c->keys[i].name;
    const char *s = suggest_name(key, names, n);
    if (s) return luaL_error(L, "%s{}: unknown key '%s' (did you mean '%s'?)", c->name, key, s);
    if (c->positional)
        return luaL_error(L, "%s{}: unknown key '%s' (%s{} takes a list, e.g. %s{64, 64})",
                          c->name, key, c->name, c->name);
    if (n == 0) return luaL_error(L, "%s{}: unknown key '%s' (%s{} takes no options)",
                                  c->name, key, c->name);
    luaL_Buffer b;
    luaL_buffinit(L, &b);
    for (int i = 0; i < n; i++) {
        if (i) luaL_addstring(&b, ", ");
        luaL_addstring(&b, names[i]);
    }
    luaL_pushresult(&b);
    return luaL_error(L, "%s{}: unknown key '%s' (keys: %s)", c->name, key, lua_tostring(L, -1));
}

/* The keyword constructor: upvalue 1 is its ctor. Validates every key of
 * the option table and returns a new DSL value. */
static int ctor_call(lua_State *L)
{
    const ctor *c = lua_touserdata(L, lua_upvalueindex(1));
    if (lua_gettop(L) != 1 || lua_type(L, 1) != LUA_TTABLE)
        return luaL_error(L, "%s{}: expected a table of options, e.g. %s{ ... }, got %s",
                          c->name, c->name, lua_gettop(L) ? obj_describe(L, 1) : "nothing");
    dsl_charge(L, DSL_CTOR_STEPS);
    lua_newtable(L);
    int data = lua_gettop(L);
    lua_Integer count = 0;
    lua_pushnil(L);
    while (lua_next(L, 1)) {
        if ((++count & 1023) == 0) dsl_charge(L, 1024);
        if (lua_type(L, -2) == LUA_TSTRING) {
            const char *key = lua_tostring(L, -2);
            const key_spec *k = NULL;
            for (int i = 0; i < c->n_keys; i++)
                if (strcmp(c->keys[i].name, key) == 0) k = &c->keys[i];
            if (!k) unknown_key(L, c, key);
            const char *label = lua_pushfstring(L, "'%s'", key);
            check_value(L, c, k, label, -2, 0);
            lua_setfield(L, data, key);
            lua_pop(L, 1);
        } else if (!c->positional) {
            return luaL_error(L, "%s{}: unexpected value at position %s (options are named, "
                              "e.g. %s{ %s = ... })", c->name, luaL_tolstring(L, -2, NULL),
                              c->name, c->n_keys ? c->keys[0].name : "key");
        }
        lua_pop(L, 1);
    }
    if (c->positional) {
        check_list_of(L, c, c->positional, "widths", 1, 0, 0, JOB_MAX_LAYERS);
        /* the widths become data[1..n] */
        for (lua_Integer i = 1; i <= (lua_Integer)lua_rawlen(L, -1); i++) {
            lua_rawgeti(L, -1, i);
            lua_rawseti(L, data, i);
        }
        lua_pop(L, 1);
    }
    for (int i = 0; i < c->n_keys; i++) {
        if (!(c->keys[i].flags & K_REQUIRED)) continue;
        if (lua_getfield(L, data, c->keys[i].name) == LUA_TNIL)
            return luaL_error(L, "%s{}: '%s' is required", c->name, c->keys[i].name);
        lua_pop(L, 1);
    }
    if (c->check) c->check(L, c, data);
    char where[DSL_WHERE];
    int line;
    caller_where(L, where, &line);
    obj_push(L, c, data, where, line);
    return 1;
}

/* The object of a file-naming constructor (dataset, external) for the path
 * at stack index 1: checks that it names a regular file, then pushes
 * {path = ...} as an object of ctor c. what names the constructor in errors. */
static int file_object(lua_State *L, const ctor *c, const char *what)
{
    size_t n = 0;
    const char *path = lua_tolstring(L, 1, &n);
    if (n == 0 || n >= JOB_PATH || strlen(path) != n)
        return luaL_error(L, "%s '%s': bad file name (empty, too long or with NUL bytes)", what,
                          path);
    struct stat st;
    if (stat(path, &st) != 0) return luaL_error(L, "%s '%s': file not found", what, path);
    if (!S_ISREG(st.st_mode)) return luaL_error(L, "%s '%s': not a regular file", what, path);
    lua_newtable(L);
    lua_pushvalue(L, 1);
    lua_setfield(L, -2, "path");
    char where[DSL_WHERE];
    int line;
    caller_where(L, where, &line);
    obj_push(L, c, -1, where, line);
    return 1;
}

/* dataset "file.h5": the file must exist (relative to the working
 * directory); its contents are checked when a job opens it. */
static int l_dataset(lua_State *L)
{
    if (lua_gettop(L) != 1 || lua_type(L, 1) != LUA_TSTRING)
        return luaL_error(L, "dataset: expected a file name (string), got %s",
                          lua_gettop(L) ? obj_describe(L, 1) : "nothing");
    dsl_charge(L, DSL_CTOR_STEPS);
    return file_object(L, &dataset_ctor, "dataset");
}

/* external "teacher.h5" or external{ path = "teacher.h5" }: a teacher
 * trained elsewhere (runtime/io/teacher_file.h); the file must exist
 * (relative to the working directory); its contents are checked, against
 * the student's data, by dett check and dett run. */
static int l_external(lua_State *L)
{
    int n_args = lua_gettop(L);
    dsl_charge(L, DSL_CTOR_STEPS);
    if (n_args == 1 && lua_type(L, 1) == LUA_TTABLE) {
        lua_pushnil(L);
        while (lua_next(L, 1)) {
            if (lua_type(L, -2) != LUA_TSTRING || strcmp(lua_tostring(L, -2), "path") != 0)
                return luaL_error(L, "external{}: unknown key '%s' (keys: path)",
                                  luaL_tolstring(L, -2, NULL));
            lua_pop(L, 1);
        }
        if (lua_getfield(L, 1, "path") != LUA_TSTRING)
            return luaL_error(L, "external{}: 'path' is required (a file name)");
        lua_replace(L, 1);
    } else if (n_args != 1 || lua_type(L, 1) != LUA_TSTRING) {
        return luaL_error(L, "external: expected a teacher file name (string) or "
                          "external{ path = ... }, got %s",
                          n_args ? obj_describe(L, 1) : "nothing");
    }
    return file_object(L, &external_ctor, "external");
}

/* sweep{v1, v2, ...}: an axis of the grid; values are checked by the
 * constructor they are given to. */
static int l_sweep(lua_State *L)
{
    if (lua_gettop(L) != 1 || lua_type(L, 1) != LUA_TTABLE)
        return luaL_error(L, "sweep{}: expected a list of values, e.g. sweep{1, 2, 3}, got %s",
                          lua_gettop(L) ? obj_describe(L, 1) : "nothing");
    dsl_charge(L, DSL_CTOR_STEPS);
    lua_Integer n = check_list(L, &dsl_sweep_ctor, "the value list", 1);
    if (n == 0) return luaL_error(L, "sweep{}: empty sweep (an axis needs at least one value)");
    if (n > DSL_MAX_JOBS)
        return luaL_error(L, "sweep{}: more than %d values", DSL_MAX_JOBS);
    lua_createtable(L, (int)n, 0);
    for (lua_Integer i = 1; i <= n; i++) {
        lua_rawgeti(L, 1, i);
        lua_rawseti(L, -2, i);
    }
    char where[DSL_WHERE];
    int line;
    caller_where(L, where, &line);
    obj_push(L, &dsl_sweep_ctor, -1, where, line);
    return 1;
}

void objects_open(lua_State *L)
{
    static const luaL_Reg mt[] = { { "__tostring", obj_tostring }, { NULL, NULL } };
    static const luaL_Reg funcs[] = { { "dataset", l_dataset }, { "sweep", l_sweep },
                                      { "external", l_external },
                                      { NULL, NULL } };
    if (!luaL_newmetatable(L, OBJ_MT)) luaL_error(L, "internal error: %s exists", OBJ_MT);
    luaL_setfuncs(L, mt, 0);
    lua_pushliteral(L, "dett object");
    lua_setfield(L, -2, "__metatable");
    lua_pop(L, 1);

    lua_pushglobaltable(L);
    luaL_setfuncs(L, funcs, 0);
    for (size_t i = 0; i < sizeof ctors / sizeof ctors[0]; i++) {
        lua_pushlightuserdata(L, (void *)&ctors[i]);
        lua_pushcclosure(L, ctor_call, 1);
        lua_setfield(L, -2, ctors[i].name);
    }
    open_methods(L, lua_gettop(L));
    lua_newtable(L);
    obj_push(L, &none_ctor, -1, "", 0);
    lua_setfield(L, -3, "none");
    obj_push(L, &balanced_ctor, -1, "", 0);
    lua_setfield(L, -3, "group_balanced");
    lua_pop(L, 2);
}
