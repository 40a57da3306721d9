/* jobs.c - concrete DSL values -> job_spec entries, with defaults resolved
 * ("Lua describes; C decides"), canonical text, hashes and deduplication.
 *
 * Canonical text: fields in a fixed order, "key=value" joined by ';', option
 * lists inside parentheses in sorted key order, floats that are whole
 * numbers as integers and others in the shortest %.Ng (N <= 9) that reads
 * back as the same float (0.001, 1e-08), integers in decimal; the
 * data path is the path as written in the script (not resolved). Example:
 *   kind=student;data=d.h5;arch=mlp[64,64];method=dett;
 *   weighting=jtt(T=1,resample=0,up=50);optim=adamw(beta1=0.9,beta2=0.999,
 *   eps=1e-08,lr=0.001,wd=0.0001);epochs=20;batch=64;seed=1;select=val-worst
 * An ident job has no select. A job whose sampler is not its method's
 * default (method.h: groupdro "groups", the others "rows") has
 * ";sampler=<name>" after seed, so default jobs keep their hashes; a job
 * that starts from its teacher's weights has ";init=teacher" after that
 * (init = "random", the default, adds nothing). hash = hex sha256 of
 *   canon + "|" + the hashes of its dependencies (teacher, then ident)
 *   joined by ','.
 * A train{} model with a teacher (a chain: teacher -> mid-size student ->
 * small student) is a JOB_TRAIN job whose teacher is set, so its hash
 * covers its teacher's, and a changed grandparent changes every job below.
 * Two jobs with the same hash are one job: the first one is kept.
 * Once the data files' digests are known, jobs_mix_data_digests replaces
 * "data=<path>" by "data=sha256:<hex of the contents>" in every canon and
 * recomputes the hashes with the same rule (dett check and dett run always
 * do; see runtime/io/digest.h), so a job's identity is its content: the
 * path, the script text around the job, comments, sweep order and the
 * results file name change no hash.
 */
#include "dsl_internal.h"
#include "method.h"
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ======================================================================== */
/* reading concrete values                                                   */
/* ======================================================================== */

/* Pushes field `key` of the DSL value at idx (nil if unset). */
static int get_field(lua_State *L, int idx, const char *key)
{
    obj_push_data(L, idx);
    int t = lua_getfield(L, -1, key);
    lua_remove(L, -2);
    return t;
}

static double get_num(lua_State *L, int idx, const char *key, double def)
{
    double v = get_field(L, idx, key) == LUA_TNIL ? def : lua_tonumber(L, -1);
    lua_pop(L, 1);
    return v;
}

static lua_Integer get_int(lua_State *L, int idx, const char *key, lua_Integer def)
{
    lua_Integer v = get_field(L, idx, key) == LUA_TNIL ? def : lua_tointeger(L, -1);
    lua_pop(L, 1);
    return v;
}

/* Reads the list at the top of the stack (popping it) into v[0..n). */
static int pop_int_list(lua_State *L, int *v, int max)
{
    int n = (int)lua_rawlen(L, -1);
    if (n > max) n = max;
    for (int i = 0; i < n; i++) {
        lua_rawgeti(L, -1, i + 1);
        v[i] = (int)lua_tointeger(L, -1);
        lua_pop(L, 1);
    }
    lua_pop(L, 1);
    return n;
}

/* the ctor name of the DSL value at idx */
static const char *name_of(lua_State *L, int idx)
{
    dobj *o = obj_test(L, idx);
    if (!o) luaL_error(L, "internal error: expected a DSL value, got %s", luaL_typename(L, idx));
    return o->c->name;
}

static void arch_from(lua_State *L, int idx, arch_spec *a)
{
    memset(a, 0, sizeof *a);
    if (strcmp(name_of(L, idx), "mlp") == 0) {
        a->kind = ARCH_MLP;
        obj_push_data(L, idx);
        a->n_widths = pop_int_list(L, a->widths, JOB_MAX_LAYERS);
        return;
    }
    a->kind = ARCH_CNN;
    get_field(L, idx, "channels");
    a->n_channels = pop_int_list(L, a->channels, JOB_MAX_LAYERS);
    a->kernel = (int)get_int(L, idx, "kernel", 3);
    a->pool = (int)get_int(L, idx, "pool", 2);
    get_field(L, idx, "pool_kind");
    a->pool_max = lua_isnil(L, -1) || strcmp(lua_tostring(L, -1), "max") == 0;
    lua_pop(L, 1);
    a->fc = (int)get_int(L, idx, "fc", 0);
}

/* The optimiser at idx (nil: the method's default); unset keys take
 * optim_defaults. */
static optim_cfg optim_from(lua_State *L, int idx, method_kind m)
{
    if (lua_isnil(L, idx)) return method_default_optim(m);
    int adam = strcmp(name_of(L, idx), "adamw") == 0;
    optim_cfg o = optim_defaults(adam ? OPTIM_ADAMW : OPTIM_SGD);
    o.lr = (float)get_num(L, idx, "lr", o.lr);
    o.wd = (float)get_num(L, idx, "wd", o.wd);
    if (!adam) {
        o.momentum = (float)get_num(L, idx, "momentum", o.momentum);
        return o;
    }
    o.eps = (float)get_num(L, idx, "eps", o.eps);
    if (get_field(L, idx, "betas") != LUA_TNIL) {
        lua_rawgeti(L, -1, 1);
        lua_rawgeti(L, -2, 2);
        o.beta1 = (float)lua_tonumber(L, -2);
        o.beta2 = (float)lua_tonumber(L, -1);
        lua_pop(L, 2);
    }
    lua_pop(L, 1);
    return o;
}

/* ---- hashing a weighting function ----------------------------------- */

#define FN_TEXT_MAX ((size_t)16 << 20)   /* captured values hashed, at most */

typedef struct {
    char *buf;
    size_t n, cap;
} fn_text;

static void ft_put(lua_State *L, fn_text *t, const char *s, size_t n)
{
    if (t->n + n + 1 > FN_TEXT_MAX)
        luaL_error(L, "a weighting function captures more than %d MB of values",
                   (int)(FN_TEXT_MAX >> 20));
    if (t->n + n + 1 > t->cap) {
        size_t cap = t->cap ? t->cap : 4096;
        while (cap < t->n + n + 1) cap *= 2;
        char *b = realloc(t->buf, cap);
        if (!b) luaL_error(L, "out of memory hashing a weighting function");
        t->buf = b;
        t->cap = cap;
    }
    memcpy(t->buf + t->n, s, n);
    t->n += n;
    t->buf[t->n] = '\0';
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static void function_text(lua_State *L, int idx, fn_text *t, int seen, int depth);

/* Appends a canonical text of the value at idx: scalars by type and value,
 * tables by their entries sorted by text (recursively; a table met again on
 * the way down is "<cycle>"), Lua functions by their source and captured
 * values, anything else by its type. `seen` (a table at index seen) marks
 * the tables on the current path. */
static void value_text(lua_State *L, int idx, fn_text *t, int seen, int depth)
{
    idx = lua_absindex(L, idx);
    luaL_checkstack(L, 8, "weighting function values nest too deeply");
    int ty = lua_type(L, idx);
    if (depth > 32) luaL_error(L, "a weighting function's captured values nest too deeply");
    if (ty == LUA_TNUMBER || ty == LUA_TSTRING || ty == LUA_TBOOLEAN || ty == LUA_TNIL) {
        lua_pushfstring(L, "%s:", lua_typename(L, ty));
        size_t n;
        const char *s = lua_tolstring(L, -1, &n);
        ft_put(L, t, s, n);
        lua_pop(L, 1);
        s = luaL_tolstring(L, idx, &n);
        ft_put(L, t, s, n);
        lua_pop(L, 1);
    } else if (ty == LUA_TTABLE) {
        lua_pushvalue(L, idx);
        if (lua_rawget(L, seen) != LUA_TNIL) {
            lua_pop(L, 1);
            ft_put(L, t, "<cycle>", 7);
            return;
        }
        lua_pop(L, 1);
        lua_pushvalue(L, idx);
        lua_pushboolean(L, 1);
        lua_rawset(L, seen);
        /* each entry as its own text, then sorted: pairs() order is not fixed */
        size_t ne = 0, cape = 0;
        char **ent = NULL;
        lua_pushnil(L);
        while (lua_next(L, idx)) {
            fn_text e = {0};
            value_text(L, -2, &e, seen, depth + 1);
            ft_put(L, &e, "=", 1);
            value_text(L, -1, &e, seen, depth + 1);
            lua_pop(L, 1);
            if (ne == cape) {
                cape = cape ? 2 * cape : 16;
                char **g = realloc(ent, cape * sizeof *ent);
                if (!g) {
                    free(e.buf);
                    luaL_error(L, "out of memory hashing a weighting function");
                }
                ent = g;
            }
            ent[ne++] = e.buf ? e.buf : calloc(1, 1);
        }
        if (ne) qsort(ent, ne, sizeof *ent, cmp_str);   /* an empty table: ent is NULL */
        ft_put(L, t, "{", 1);
        for (size_t k = 0; k < ne; k++) {
            if (ent[k]) {
                ft_put(L, t, ent[k], strlen(ent[k]));
                ft_put(L, t, ";", 1);
            }
            free(ent[k]);
        }
        free(ent);
        ft_put(L, t, "}", 1);
        lua_pushvalue(L, idx);
        lua_pushnil(L);
        lua_rawset(L, seen);
    } else if (ty == LUA_TFUNCTION && !lua_iscfunction(L, idx)) {
        lua_pushvalue(L, idx);
        if (lua_rawget(L, seen) != LUA_TNIL) {   /* recursion: f reaches itself */
            lua_pop(L, 1);
            ft_put(L, t, "<cycle>", 7);
            return;
        }
        lua_pop(L, 1);
        ft_put(L, t, "function:", 9);
        function_text(L, idx, t, seen, depth + 1);
    } else {
        const char *tn = lua_typename(L, ty);
        ft_put(L, t, tn, strlen(tn));
    }
}

/* Appends a Lua function's canonical text: its source lines (linedefined
 * through lastlinedefined of the file it was written in) and the names and
 * canonical values (value_text) of its upvalues: numbers, strings, captured
 * tables, the globals it can read (_ENV) and the functions it calls. */
static void function_text(lua_State *L, int idx, fn_text *t, int seen, int depth)
{
    lua_Debug ar;
    idx = lua_absindex(L, idx);
    lua_pushvalue(L, idx);
    if (!lua_getinfo(L, ">S", &ar) || strcmp(ar.what, "C") == 0)
        luaL_error(L, "weighting function must be written in Lua");
    sandbox_registry_table(L, "dett.sources");
    lua_getfield(L, -1, ar.source);
    lua_remove(L, -2);
    size_t n = 0;
    const char *text = lua_tolstring(L, -1, &n);
    const char *start = text, *end = text ? text + n : NULL;
    for (int line = 1; text && start < end && line < ar.linedefined; start++)
        if (*start == '\n') line++;
    const char *stop = start;
    for (int line = ar.linedefined; text && stop < end; stop++)
        if (*stop == '\n' && ++line > ar.lastlinedefined) break;
    if (text) {
        ft_put(L, t, start, (size_t)(stop - start));
    } else {
        lua_pushfstring(L, "%s:%d-%d", ar.source, ar.linedefined, ar.lastlinedefined);
        ft_put(L, t, lua_tostring(L, -1), strlen(lua_tostring(L, -1)));
        lua_pop(L, 1);
    }
    lua_pop(L, 1);
    lua_pushvalue(L, idx);   /* this function is on the path now */
    lua_pushboolean(L, 1);
    lua_rawset(L, seen);
    for (int i = 1;; i++) {
        luaL_checkstack(L, 4, "too many upvalues");
        const char *name = lua_getupvalue(L, idx, i);
        if (!name) break;
        ft_put(L, t, "\n", 1);
        ft_put(L, t, name, strlen(name));
        ft_put(L, t, "=", 1);
        value_text(L, -1, t, seen, depth);
        lua_pop(L, 1);
    }
    lua_pushvalue(L, idx);
    lua_pushnil(L);
    lua_rawset(L, seen);
}

/* Hashes a Lua weighting function (function_text): equal text, equal job. */
static void function_hash(lua_State *L, int idx, char hex[65])
{
    fn_text t = {0};
    idx = lua_absindex(L, idx);
    lua_newtable(L);   /* the tables and functions on the current path */
    function_text(L, idx, &t, lua_gettop(L), 0);
    lua_pop(L, 1);
    int rc = dsl_sha256_hex(t.buf ? t.buf : "", t.n, hex);
    free(t.buf);
    if (rc != 0) luaL_error(L, "sha256 failed");
}

/* The registry reference of the Lua function at idx (one per function),
 * with its hash in registry["dett.fnhash"][ref]. */
static int function_ref(lua_State *L, int idx)
{
    idx = lua_absindex(L, idx);
    sandbox_registry_table(L, "dett.fnref");
    lua_pushvalue(L, idx);
    if (lua_rawget(L, -2) == LUA_TNUMBER) {
        int ref = (int)lua_tointeger(L, -1);
        lua_pop(L, 2);
        return ref;
    }
    lua_pop(L, 1);
    char hex[65];
    function_hash(L, idx, hex);
    lua_pushvalue(L, idx);
    int ref = luaL_ref(L, LUA_REGISTRYINDEX);
    if (ref == LUA_REFNIL || ref == LUA_NOREF) luaL_error(L, "cannot keep weighting function");
    lua_pushvalue(L, idx);
    lua_pushinteger(L, ref);
    lua_rawset(L, -3);
    lua_pop(L, 1);
    sandbox_registry_table(L, "dett.fnhash");
    lua_pushstring(L, hex);
    lua_rawseti(L, -2, ref);
    lua_pop(L, 1);
    return ref;
}

/* The weighting at idx given to method row d (none, group_balanced, a
 * jtt{} value whose unset keys take d's defaults, or a Lua function with T
 * identification epochs); `outer` is the method's own weighting, whose
 * ident_optim applies unless the jtt{} value gives its own. */
static weighting_spec weighting_from(lua_State *L, int idx, const method_def *d, int T,
                                     const weighting_spec *outer)
{
    weighting_spec w = { WEIGHT_NONE, 0, 0, 0, -1, 0, { 0 } };
    if (lua_type(L, idx) == LUA_TFUNCTION) {
        w.kind = WEIGHT_LUA;
        w.T = T;
        w.lua_fn = function_ref(L, idx);
        w.has_ident_optim = outer->has_ident_optim;
        w.ident_optim = outer->ident_optim;
        return w;
    }
    const dobj *o = obj_test(L, idx);
    if (o && o->c->cls == OBJ_WEIGHTING && strcmp(o->c->name, "group_balanced") == 0)
        w.kind = WEIGHT_GROUP_BALANCED;
    if (o && o->c->method && (o->c->method->flags & MF_WEIGHTING_VALUE)) {
        const method_def *v = o->c->method;
        w.kind = WEIGHT_JTT;
        w.has_ident_optim = outer->has_ident_optim;
        w.ident_optim = outer->ident_optim;
        for (int i = 0; i < v->n_keys; i++) {
            const method_key *k = &v->keys[i];
            if (k->role == MROLE_IDENT_OPTIM) {
                if (get_field(L, idx, k->name) != LUA_TNIL) {
                    w.ident_optim = optim_from(L, lua_gettop(L), METHOD_ERM);
                    w.has_ident_optim = 1;
                }
                lua_pop(L, 1);
                continue;
            }
            double x = method_role_default(d, k->role);
            if (get_field(L, idx, k->name) != LUA_TNIL)
                x = k->type == MKEY_BOOL ? lua_toboolean(L, -1) : lua_tonumber(L, -1);
            lua_pop(L, 1);
            weighting_set(&w, k->role, x);
        }
    }
    return w;
}

/* The method at idx (nil: erm{}), defaults resolved from its table row. */
static method_spec method_from(lua_State *L, int idx)
{
    method_spec m;
    if (lua_isnil(L, idx)) {
        method_defaults(METHOD_ERM, &m);
        return m;
    }
    const dobj *o = obj_test(L, idx);
    if (!o || !o->c->method) luaL_error(L, "internal error: expected a method");
    const method_def *d = o->c->method;
    method_defaults(method_find(d->name), &m);
    int weighting_key = -1;
    for (int i = 0; i < d->n_keys; i++) {
        const method_key *k = &d->keys[i];
        if (k->role == MROLE_WEIGHTING) {
            weighting_key = i;
            continue;
        }
        if (k->role == MROLE_IDENT_OPTIM) {
            if (get_field(L, idx, k->name) != LUA_TNIL) {
                m.weighting.ident_optim = optim_from(L, lua_gettop(L), METHOD_ERM);
                m.weighting.has_ident_optim = 1;
            }
            lua_pop(L, 1);
            continue;
        }
        if (get_field(L, idx, k->name) != LUA_TNIL)
            method_set(&m, k->name, k->type == MKEY_BOOL ? lua_toboolean(L, -1)
                                                         : lua_tonumber(L, -1));
        lua_pop(L, 1);
    }
    /* after the other keys: a Lua function takes the method's T */
    if (weighting_key >= 0 && get_field(L, idx, d->keys[weighting_key].name) != LUA_TNIL)
        m.weighting = weighting_from(L, lua_gettop(L), d, m.weighting.T, &m.weighting);
    if (weighting_key >= 0) lua_pop(L, 1);
    return m;
}

/* ======================================================================== */
/* canonical text                                                            */
/* ======================================================================== */

typedef struct {
    char *buf;
    size_t cap, n;
    int overflow;
} sbuf;

static void sb_add(sbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void sb_add(sbuf *b, const char *fmt, ...)
{
    if (b->overflow) return;
    va_list ap;
    va_start(ap, fmt);
    int k = vsnprintf(b->buf + b->n, b->cap - b->n, fmt, ap);
    va_end(ap);
    if (k < 0 || (size_t)k >= b->cap - b->n) {
        b->overflow = 1;
        b->buf[b->cap - 1] = '\0';
        return;
    }
    b->n += (size_t)k;
}

static void canon_list(sbuf *b, const int *v, int n)
{
    sb_add(b, "[");
    for (int i = 0; i < n; i++) sb_add(b, "%s%d", i ? "," : "", v[i]);
    sb_add(b, "]");
}

static void canon_arch(sbuf *b, const arch_spec *a)
{
    if (a->kind == ARCH_MLP) {
        sb_add(b, "mlp");
        canon_list(b, a->widths, a->n_widths);
        return;
    }
    sb_add(b, "cnn(channels=");
    canon_list(b, a->channels, a->n_channels);
    sb_add(b, ",fc=%d,kernel=%d,pool=%d,pool_kind=%s)", a->fc, a->kernel, a->pool,
           a->pool_max ? "max" : "avg");
}

static void canon_method(sbuf *b, const method_spec *m)
{
    char text[JOB_CANON];
    method_canon(m, text, sizeof text);
    sb_add(b, "%s", text);
}

static void canon_weighting(lua_State *L, sbuf *b, const weighting_spec *w)
{
    char x[32];
    switch (w->kind) {
    case WEIGHT_NONE: sb_add(b, "none"); break;
    case WEIGHT_GROUP_BALANCED: sb_add(b, "group_balanced"); break;
    case WEIGHT_JTT:
        sb_add(b, "jtt(T=%d,resample=%d,up=%s)", w->T, w->resample, jobspec_fmt_float(x, w->up));
        break;
    case WEIGHT_LUA:
        sandbox_registry_table(L, "dett.fnhash");
        lua_rawgeti(L, -1, w->lua_fn);
        sb_add(b, "lua:%s(T=%d)", lua_tostring(L, -1), w->T);
        lua_pop(L, 2);
        break;
    }
}

static void canon_optim(sbuf *b, const optim_cfg *o)
{
    char x[32], y[32], z[32];
    if (o->kind == OPTIM_SGD) {
        sb_add(b, "sgd(lr=%s,momentum=%s,", jobspec_fmt_float(x, o->lr), jobspec_fmt_float(y, o->momentum));
        sb_add(b, "wd=%s)", jobspec_fmt_float(z, o->wd));
        return;
    }
    sb_add(b, "adamw(beta1=%s,beta2=%s,", jobspec_fmt_float(x, o->beta1), jobspec_fmt_float(y, o->beta2));
    sb_add(b, "eps=%s,lr=%s,", jobspec_fmt_float(x, o->eps), jobspec_fmt_float(y, o->lr));
    sb_add(b, "wd=%s)", jobspec_fmt_float(z, o->wd));
}

static void canon_job(lua_State *L, job_spec *j)
{
    sbuf b = { j->canon, sizeof j->canon, 0, 0 };
    if (j->teacher_file[0]) {   /* an external teacher: its file and the data it is for */
        sb_add(&b, "kind=%s;data=%s;external=%s", job_kind_names[j->kind], j->data,
               j->teacher_file);
        if (b.overflow) luaL_error(L, "job config text longer than %d bytes", JOB_CANON - 1);
        return;
    }
    sb_add(&b, "kind=%s;data=%s;arch=", job_kind_names[j->kind], j->data);
    canon_arch(&b, &j->arch);
    sb_add(&b, ";method=");
    canon_method(&b, &j->method);
    sb_add(&b, ";weighting=");
    canon_weighting(L, &b, &j->method.weighting);
    sb_add(&b, ";optim=");
    canon_optim(&b, &j->optim);
    sb_add(&b, ";epochs=%d;batch=%d;seed=%llu", j->epochs, j->batch,
           (unsigned long long)j->seed);
    const method_def *md = method_get(j->method.kind);
    if (md && j->sampler != md->sampler) sb_add(&b, ";sampler=%s", sampler_names[j->sampler]);
    if (j->init != INIT_RANDOM) sb_add(&b, ";init=%s", init_names[j->init]);
    if (j->kind != JOB_IDENT) sb_add(&b, ";select=%s", select_names[j->select]);
    if (b.overflow) luaL_error(L, "job config text longer than %d bytes", JOB_CANON - 1);
}

/* ======================================================================== */
/* the job list                                                              */
/* ======================================================================== */

/* j->hash from its canon and its dependencies' hashes (see the top) */
static int job_hash(const job_list *jobs, job_spec *j)
{
    char in[JOB_CANON + 160];
    snprintf(in, sizeof in, "%s|%s%s%s", j->canon,
             j->teacher >= 0 ? jobs->jobs[j->teacher].hash : "",
             j->teacher >= 0 && j->ident >= 0 ? "," : "",
             j->ident >= 0 ? jobs->jobs[j->ident].hash : "");
    return dsl_sha256_hex(in, strlen(in), j->hash);
}

/* Finishes j (canon, hash, id) and appends it unless a job with the same
 * hash exists; returns the index of the job in the list. */
static int add_job(lua_State *L, job_list *jobs, job_spec *j)
{
    canon_job(L, j);
    if (job_hash(jobs, j) != 0) luaL_error(L, "sha256 failed");
    sandbox_registry_table(L, "dett.seen");
    if (lua_getfield(L, -1, j->hash) == LUA_TNUMBER) {
        int at = (int)lua_tointeger(L, -1);
        lua_pop(L, 2);
        return at;
    }
    lua_pop(L, 1);
    if (jobs->n >= DSL_MAX_JOBS)
        luaL_error(L, "the script expands to more than %d jobs", DSL_MAX_JOBS);
    if (jobs->n == jobs->cap) {
        int cap = jobs->cap ? 2 * jobs->cap : 16;
        job_spec *p = realloc(jobs->jobs, (size_t)cap * sizeof *p);
        if (!p) luaL_error(L, "out of memory for %d jobs", cap);
        jobs->jobs = p;
        jobs->cap = cap;
    }
    snprintf(j->id, sizeof j->id, "j%03d", jobs->n);
    jobs->jobs[jobs->n] = *j;
    lua_pushinteger(L, jobs->n);
    lua_setfield(L, -2, j->hash);
    lua_pop(L, 1);
    return jobs->n++;
}

/* The identification job of `of`: ERM on the same data, architecture,
 * batch and seed, for T epochs, with the weighting's ident_optim (default
 * ERM's SGD, as JTT; not the student's optimiser). */
static int add_ident(lua_State *L, job_list *jobs, const job_spec *of, int T)
{
    job_spec j;
    memset(&j, 0, sizeof j);
    j.kind = JOB_IDENT;
    memcpy(j.data, of->data, sizeof j.data);
    j.arch = of->arch;
    lua_pushnil(L);
    j.method = method_from(L, lua_gettop(L));   /* nil: plain erm */
    lua_pop(L, 1);
    j.optim = method_ident_optim(&of->method);
    j.epochs = T;
    j.batch = of->batch;
    j.seed = of->seed;
    j.select = of->select;   /* not used: an ident model is its last epoch */
    j.teacher = j.ident = -1;
    j.script_line = of->script_line;
    memcpy(j.where, of->where, sizeof j.where);
    return add_job(L, jobs, &j);
}

/* Copies the dataset path of the DSL value at idx's field "data" into out. */
static void data_from(lua_State *L, int idx, char out[JOB_PATH])
{
    get_field(L, idx, "data");
    get_field(L, lua_gettop(L), "path");
    snprintf(out, JOB_PATH, "%s", lua_tostring(L, -1));
    lua_pop(L, 2);
}

/* Fills the fields shared by train{} models and grid cells. */
static void common_from(lua_State *L, int idx, job_spec *j, const char *arch_key,
                        const char *seed_key)
{
    const dobj *o = obj_test(L, idx);
    data_from(L, idx, j->data);
    get_field(L, idx, arch_key);
    arch_from(L, lua_gettop(L), &j->arch);
    lua_pop(L, 1);
    get_field(L, idx, "method");
    j->method = method_from(L, lua_gettop(L));
    lua_pop(L, 1);
    get_field(L, idx, "optim");
    j->optim = optim_from(L, lua_gettop(L), j->method.kind);
    lua_pop(L, 1);
    j->epochs = (int)get_int(L, idx, "epochs", 20);
    j->batch = (int)get_int(L, idx, "batch", 64);
    j->seed = (uint64_t)get_int(L, idx, seed_key, 1);
    j->select = SELECT_VAL_WORST;
    if (get_field(L, idx, "select") != LUA_TNIL && select_find(lua_tostring(L, -1)) >= 0)
        j->select = (select_kind)select_find(lua_tostring(L, -1));
    lua_pop(L, 1);
    j->sampler = method_get(j->method.kind)->sampler;
    if (get_field(L, idx, "sampler") != LUA_TNIL && sampler_find(lua_tostring(L, -1)) >= 0)
        j->sampler = (sampler_kind)sampler_find(lua_tostring(L, -1));
    lua_pop(L, 1);
    if (j->sampler != SAMPLER_KIND_ROWS && j->method.weighting.kind == WEIGHT_JTT &&
        j->method.weighting.resample && (method_get(j->method.kind)->flags & MF_SAMPLE_WEIGHTS))
        obj_error(L, o->where, "%s{}: sampler \"%s\" does not combine with %s's upsampling "
                  "(resample = true); use resample = false or sampler = \"rows\"",
                  o->c->name, sampler_names[j->sampler], method_name(j->method.kind));
    j->init = INIT_RANDOM;
    if (get_field(L, idx, "init") != LUA_TNIL && strcmp(lua_tostring(L, -1), "teacher") == 0)
        j->init = INIT_TEACHER;
    lua_pop(L, 1);
    j->teacher = j->ident = -1;
    j->script_line = o->line;
    size_t w = strlen(o->where);   /* "file:line:" -> "file:line" */
    snprintf(j->where, sizeof j->where, "%.*s", (int)(w && o->where[w - 1] == ':' ? w - 1 : w),
             o->where);
}

/* The job of an external teacher (external "t.h5") of student `of`: a
 * JOB_TRAIN job that trains nothing (runtime/train/teacher_ext.h). It is
 * bound to the student's data file, which dett check and dett run check the
 * teacher file against; its hash gets the file's content digest
 * (jobs_mix_data_digests). */
static int add_external(lua_State *L, job_list *jobs, int idx, const job_spec *of)
{
    job_spec j;
    const dobj *o = obj_test(L, idx);
    memset(&j, 0, sizeof j);
    j.kind = JOB_TRAIN;
    memcpy(j.data, of->data, sizeof j.data);
    get_field(L, idx, "path");
    snprintf(j.teacher_file, sizeof j.teacher_file, "%s", lua_tostring(L, -1));
    lua_pop(L, 1);
    method_defaults(METHOD_ERM, &j.method);
    j.optim = of->optim;
    j.epochs = 1;              /* one row of curves: the teacher's own accuracy */
    j.batch = of->batch;       /* the data plan needs one; nothing is trained */
    j.select = SELECT_VAL_WORST;
    j.teacher = j.ident = -1;
    j.script_line = o->line;
    size_t w = strlen(o->where);
    snprintf(j.where, sizeof j.where, "%.*s", (int)(w && o->where[w - 1] == ':' ? w - 1 : w),
             o->where);
    return add_job(L, jobs, &j);
}

static int add_model(lua_State *L, job_list *jobs, int idx, const uint64_t *seed);

/* j's teacher (field "teacher" of the value at idx), added with its own
 * dependencies first, when j's method distils or j starts from the
 * teacher's weights; a value without either ignores its teacher. `seed`
 * (grid{ teacher_seed = "paired" }) is the seed of every trained model up
 * the chain (an external teacher has none); `paired` says the grid asked
 * for it directly, where an external teacher is an error. */
static void teacher_from(lua_State *L, job_list *jobs, int idx, job_spec *j,
                         const uint64_t *seed, int paired)
{
    if (!method_needs_teacher(method_get(j->method.kind)) && j->init != INIT_TEACHER) return;
    const dobj *o = obj_test(L, idx);
    if (get_field(L, idx, "teacher") == LUA_TNIL)
        obj_error(L, o->where, "%s{}: method %s{} needs a teacher", o->c->name,
                  method_name(j->method.kind));
    int t = lua_gettop(L);
    int ext = strcmp(name_of(L, t), "external") == 0;
    if (paired && ext)
        obj_error(L, o->where, "grid{}: teacher_seed = \"paired\" needs a train{} teacher "
                  "(an external teacher has no seed)");
    luaL_checkstack(L, 16, "a chain of teachers nests too deeply");
    j->teacher = ext ? add_external(L, jobs, t, j) : add_model(L, jobs, t, seed);
    lua_pop(L, 1);
}

/* Adds the jobs of a concrete train{} model (its teacher chain and its
 * ident job first, if it has them); returns the model's job index. seed
 * (NULL: the model's own `seed`) overrides the seed of the model and of
 * every trained model up its chain: grid{ teacher_seed = "paired" }. */
static int add_model(lua_State *L, job_list *jobs, int idx, const uint64_t *seed)
{
    job_spec j;
    memset(&j, 0, sizeof j);
    j.kind = JOB_TRAIN;
    common_from(L, idx, &j, "arch", "seed");
    if (seed) j.seed = *seed;
    teacher_from(L, jobs, idx, &j, seed, 0);
    int T = method_ident_epochs(&j.method);
    if (T > 0) j.ident = add_ident(L, jobs, &j, T);
    return add_job(L, jobs, &j);
}

/* Adds the jobs of one concrete grid cell at idx. */
static void add_cell(lua_State *L, job_list *jobs, int idx)
{
    job_spec j;
    memset(&j, 0, sizeof j);
    j.kind = JOB_STUDENT;
    common_from(L, idx, &j, "student", "seeds");
    int paired = get_field(L, idx, "teacher_seed") != LUA_TNIL &&
                 strcmp(lua_tostring(L, -1), "paired") == 0;
    lua_pop(L, 1);
    teacher_from(L, jobs, idx, &j, paired ? &j.seed : NULL, paired);
    int T = method_ident_epochs(&j.method);
    if (T > 0) j.ident = add_ident(L, jobs, &j, T);
    add_job(L, jobs, &j);
}

void jobs_add_grid(lua_State *L, int idx, job_list *jobs)
{
    idx = lua_absindex(L, idx);
    dobj *g = obj_test(L, idx);
    expand_value(L, idx, g->where);
    int cells = lua_gettop(L);
    for (lua_Integer i = 1; i <= (lua_Integer)lua_rawlen(L, cells); i++) {
        dsl_charge(L, DSL_CTOR_STEPS);   /* a cell: canonical text, hashes, lookups */
        lua_rawgeti(L, cells, i);
        add_cell(L, jobs, lua_gettop(L));
        lua_pop(L, 1);
    }
    lua_pop(L, 1);
}

void jobs_canon_field(const char *canon, const char *key, char *out, size_t n)
{
    size_t k = strlen(key);
    const char *p = canon;
    out[0] = '\0';
    while (p && *p) {
        if (strncmp(p, key, k) == 0 && p[k] == '=') {
            const char *v = p + k + 1, *e = strchr(v, ';');
            size_t len = e ? (size_t)(e - v) : strlen(v);
            if (len >= n) len = n - 1;
            memcpy(out, v, len);
            out[len] = '\0';
            return;
        }
        p = strchr(p, ';');
        if (p) p++;
    }
}

/* Replaces the "data=<path>" field of j's canon (written by canon_job as
 * "kind=<k>;data=<path>;arch=...") with "data=sha256:<hex>". */
static int canon_swap_data(job_spec *j, const char *hex, dett_err *e)
{
    char head[64], out[JOB_CANON];
    int h = snprintf(head, sizeof head, "kind=%s;data=", job_kind_names[j->kind]);
    size_t pl = strlen(j->data);
    if (h < 0 || strncmp(j->canon, head, (size_t)h) != 0 ||
        strncmp(j->canon + h, j->data, pl) != 0 || j->canon[h + pl] != ';')
        return dett_fail(e, "%s: canonical text does not start with '%s%s;'", j->id, head,
                         j->data);
    if (snprintf(out, sizeof out, "%ssha256:%s%s", head, hex, j->canon + h + pl) >=
        (int)sizeof out)
        return dett_fail(e, "%s: job config text longer than %d bytes", j->id, JOB_CANON - 1);
    memcpy(j->canon, out, strlen(out) + 1);
    return 0;
}

/* The data-digest hook (issue 15): runs after the script, once the data
 * files' digests are known (lua/ cannot read them). A job's identity is its
 * content: the path is replaced by the digest in the hashed text (the path
 * stays in job->data), so two paths to the same contents give one job,
 * which is kept once (first occurrence; ids renumbered in order). */
int jobs_mix_data_digests(job_list *jobs, jobs_digest_fn digest, void *ctx, dett_err *e)
{
    int *map = malloc((size_t)(jobs->n ? jobs->n : 1) * sizeof *map), kept = 0;
    if (!map) return dett_fail(e, "out of memory for %d jobs", jobs->n);
    for (int i = 0; i < jobs->n; i++) {   /* dependencies come first */
        job_spec j = jobs->jobs[i];
        char hex[65];
        if (j.teacher >= 0) j.teacher = map[j.teacher];
        if (j.ident >= 0) j.ident = map[j.ident];
        if (digest(ctx, j.data, hex, e) != 0 || canon_swap_data(&j, hex, e) != 0) {
            free(map);
            return -1;
        }
        if (j.teacher_file[0]) {   /* an external teacher: what its file holds */
            size_t n = strlen(j.canon);
            if (digest(ctx, j.teacher_file, hex, e) != 0) {
                free(map);
                return -1;
            }
            if (snprintf(j.canon + n, sizeof j.canon - n, ";teacher_digest=%s", hex) >=
                (int)(sizeof j.canon - n)) {
                free(map);
                return dett_fail(e, "%s: job config text longer than %d bytes", j.id,
                                 JOB_CANON - 1);
            }
        }
        if (job_hash(jobs, &j) != 0) {   /* reads kept dependencies only */
            free(map);
            return dett_fail(e, "%s: sha256 failed", j.id);
        }
        map[i] = -1;
        for (int k = 0; k < kept && map[i] < 0; k++)
            if (memcmp(jobs->jobs[k].hash, j.hash, sizeof j.hash) == 0) map[i] = k;
        if (map[i] >= 0) continue;   /* the same content as an earlier job */
        map[i] = kept;
        snprintf(j.id, sizeof j.id, "j%03d", kept);
        jobs->jobs[kept++] = j;
    }
    jobs->n = kept;
    free(map);
    return 0;
}
