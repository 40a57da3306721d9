/* method.c - the method table and what is computed from a row (see method.h). */
#include "method.h"
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define INF HUGE_VAL

/* the built-ins' named arguments sit where their keys put them */
_Static_assert(offsetof(method_spec, eta) == offsetof(method_spec, arg[0]), "groupdro eta");
_Static_assert(offsetof(method_spec, adj) == offsetof(method_spec, arg[1]), "groupdro adj");
_Static_assert(offsetof(method_spec, tau) == offsetof(method_spec, arg[0]), "kd T");
_Static_assert(offsetof(method_spec, alpha) == offsetof(method_spec, arg[1]), "kd alpha");
_Static_assert(offsetof(method_spec, feat_w) == offsetof(method_spec, arg[0]), "fitnet feat_w");
_Static_assert(offsetof(method_spec, ce_w) == offsetof(method_spec, arg[1]), "fitnet ce_w");

#define ARG_KEY(n, lo, hi, fl, def) { n, MKEY_NUM, MROLE_ARG, lo, hi, fl, def }
#define T_KEY(def) { "T", MKEY_INT, MROLE_WEIGHT_T, 1, 10000, 0, def }
#define UP_KEY(def) { "up", MKEY_NUM, MROLE_WEIGHT_UP, 0, 1e6, MKEY_LO_OPEN, def }
#define IDENT_OPTIM_KEY { "ident_optim", MKEY_OPTIM, MROLE_IDENT_OPTIM, 0, 0, 0, 0 }

/* The built-in methods, in method_kind order. */
static const method_def builtin[N_METHODS] = {
    [METHOD_ERM] = { "erm", 0, { { 0 } }, MF_LOGIT_LOSS, OPTIM_SGD, objective_xent, NULL },
    [METHOD_GROUPDRO] = {
        "groupdro", 2,
        { ARG_KEY("eta", 0, INF, MKEY_LO_OPEN, 0.01), ARG_KEY("adj", 0, INF, 0, 0) },
        /* group_DRO's runs pair --robust with --reweight_groups */
        MF_LOGIT_LOSS, OPTIM_SGD, objective_groupdro, objective_groupdro_step,
        SAMPLER_KIND_GROUPS },
    [METHOD_JTT] = {
        "jtt", 4,
        { T_KEY(1), UP_KEY(20), { "resample", MKEY_BOOL, MROLE_WEIGHT_RESAMPLE, 0, 0, 0, 1 },
          IDENT_OPTIM_KEY },
        MF_LOGIT_LOSS | MF_SAMPLE_WEIGHTS | MF_WEIGHTING_VALUE, OPTIM_SGD, objective_xent,
        NULL },
    [METHOD_KD] = {
        "kd", 2,
        { ARG_KEY("T", 0, 100, MKEY_LO_OPEN, 4), ARG_KEY("alpha", 0, 1, 0, 0.9) },
        MF_LOGIT_LOSS | MF_TEACHER_LOGITS, OPTIM_SGD, objective_kd, NULL },
    [METHOD_FITNET] = {
        "fitnet", 2,
        { ARG_KEY("feat_w", 0, INF, 0, 1), ARG_KEY("ce_w", 0, INF, 0, 1) },
        MF_LOGIT_LOSS | MF_FEATURE_LOSS | MF_TEACHER_FEATS | MF_PROJECTOR | MF_DIAGNOSTICS,
        /* feature-MSE students train badly with SGD at small lr */
        OPTIM_ADAMW, objective_fitnet, NULL },
    [METHOD_SIMKD] = {
        "simkd", 0, { { 0 } },
        MF_FEATURE_LOSS | MF_TEACHER_FEATS | MF_TRANSPLANT | MF_DIAGNOSTICS, OPTIM_ADAMW,
        objective_feature_mse, NULL },
    [METHOD_DETT] = {
        "dett", 4,
        { { "weighting", MKEY_WEIGHTING, MROLE_WEIGHTING, 0, 0, 0, 0 }, T_KEY(1), UP_KEY(50),
          IDENT_OPTIM_KEY },
        MF_FEATURE_LOSS | MF_TEACHER_FEATS | MF_TRANSPLANT | MF_DIAGNOSTICS | MF_SAMPLE_WEIGHTS,
        OPTIM_ADAMW, objective_feature_mse, NULL },
    [METHOD_DFR] = { "dfr", 0, { { 0 } }, MF_LOGIT_LOSS | MF_DFR_REFIT, OPTIM_SGD,
                     objective_xent, NULL },
    /* DEDIER (docs/dedier.md): defaults are the authors' run_exp.py for
     * Waterbirds (CUB): KD at T = 3 without CE, alpha 0.05, beta 4, the
     * readout after the first stage */
    [METHOD_DEDIER] = {
        "dedier", 5,
        { ARG_KEY("T", 0, 100, MKEY_LO_OPEN, 3), ARG_KEY("kd_alpha", 0, 1, 0, 1),
          ARG_KEY("alpha", 0, 100, MKEY_LO_OPEN, 0.05), ARG_KEY("beta", 0, 50, 0, 4),
          { "layer", MKEY_INT, MROLE_ARG, 1, JOB_MAX_LAYERS, 0, 1 } },
        MF_LOGIT_LOSS | MF_TEACHER_LOGITS | MF_READOUT, OPTIM_SGD, objective_dedier, NULL },
};

/* rows added by method_register (kinds N_METHODS + i) */
static method_def registered[METHOD_MAX - N_METHODS];
static int n_registered;

const method_def *method_get(int k)
{
    if (k >= 0 && k < N_METHODS) return &builtin[k];
    if (k >= N_METHODS && k < N_METHODS + n_registered) return &registered[k - N_METHODS];
    return NULL;
}

int method_count(void) { return N_METHODS + n_registered; }

int method_find(const char *name)
{
    for (int k = 0; k < method_count(); k++)
        if (strcmp(method_get(k)->name, name) == 0) return k;
    return -1;
}

const char *method_name(int k)
{
    const method_def *d = method_get(k);
    return d ? d->name : "?";
}

int method_needs_teacher(const method_def *d) { return (d->flags & MF_TEACHER) != 0; }

int method_key_index(const method_def *d, const char *name)
{
    for (int i = 0; i < d->n_keys; i++)
        if (strcmp(d->keys[i].name, name) == 0) return i;
    return -1;
}

/* the arg slot of key i (MROLE_ARG keys before it), -1 for other roles */
static int arg_slot(const method_def *d, int i)
{
    if (d->keys[i].role != MROLE_ARG) return -1;
    int slot = 0;
    for (int k = 0; k < i; k++) slot += d->keys[k].role == MROLE_ARG;
    return slot;
}

int method_register(const method_def *d, dett_err *e)
{
    if (method_count() >= METHOD_MAX)
        return dett_fail(e, "method table: full (%d methods)", METHOD_MAX);
    if (!d->name || !d->name[0] || method_find(d->name) >= 0)
        return dett_fail(e, "method table: name '%s' is empty or taken", d->name ? d->name : "");
    if (!d->objective) return dett_fail(e, "method table: %s has no objective", d->name);
    if (d->n_keys < 0 || d->n_keys > METHOD_MAX_KEYS)
        return dett_fail(e, "method table: %s has %d keys (at most %d)", d->name, d->n_keys,
                         METHOD_MAX_KEYS);
    int n_args = 0;
    for (int i = 0; i < d->n_keys; i++) {
        const method_key *k = &d->keys[i];
        int ok = k->name && k->name[0] && method_key_index(d, k->name) == i;
        if (k->role == MROLE_ARG) ok = ok && (k->type == MKEY_NUM || k->type == MKEY_INT) &&
                                      ++n_args <= METHOD_MAX_ARGS;
        else ok = ok && (d->flags & MF_SAMPLE_WEIGHTS);
        if (k->role == MROLE_WEIGHTING) ok = ok && k->type == MKEY_WEIGHTING;
        ok = ok && (k->role == MROLE_IDENT_OPTIM) == (k->type == MKEY_OPTIM);
        if (k->role == MROLE_WEIGHT_RESAMPLE) ok = ok && k->type == MKEY_BOOL;
        if (k->role == MROLE_WEIGHT_T) ok = ok && k->type == MKEY_INT;
        if (!ok)
            return dett_fail(e, "method table: %s: key %d ('%s') is unnamed, repeated, "
                             "of the wrong type for its role, or one argument too many",
                             d->name, i, k->name ? k->name : "");
    }
    registered[n_registered] = *d;
    return N_METHODS + n_registered++;
}

double method_role_default(const method_def *d, method_key_role r)
{
    for (int i = 0; i < d->n_keys; i++)
        if (d->keys[i].role == r) return d->keys[i].def;
    return 0.0;
}

void weighting_set(weighting_spec *w, method_key_role r, double v)
{
    if (r == MROLE_WEIGHT_T) w->T = (int)v;
    else if (r == MROLE_WEIGHT_UP) w->up = (float)v;
    else if (r == MROLE_WEIGHT_RESAMPLE) w->resample = v != 0.0;
}

int method_defaults(int k, method_spec *m)
{
    const method_def *d = method_get(k);
    memset(m, 0, sizeof *m);
    m->kind = (method_kind)k;
    m->weighting.kind = WEIGHT_NONE;
    m->weighting.lua_fn = -1;
    if (!d) return -1;
    for (int i = 0; i < d->n_keys; i++)
        if (d->keys[i].role == MROLE_ARG) m->arg[arg_slot(d, i)] = (float)d->keys[i].def;
    if (d->flags & MF_SAMPLE_WEIGHTS) {
        m->weighting.kind = WEIGHT_JTT;
        for (method_key_role r = MROLE_WEIGHT_T; r <= MROLE_WEIGHT_RESAMPLE; r++)
            weighting_set(&m->weighting, r, method_role_default(d, r));
    }
    return 0;
}

int method_set(method_spec *m, const char *name, double v)
{
    const method_def *d = method_get(m->kind);
    int i = d ? method_key_index(d, name) : -1;
    if (i < 0) return -1;
    if (d->keys[i].role == MROLE_WEIGHTING || d->keys[i].role == MROLE_IDENT_OPTIM) return -1;
    if (d->keys[i].role == MROLE_ARG) m->arg[arg_slot(d, i)] = (float)v;
    else weighting_set(&m->weighting, d->keys[i].role, v);
    return 0;
}

int method_ident_epochs(const method_spec *m)
{
    if (m->weighting.kind == WEIGHT_JTT || m->weighting.kind == WEIGHT_LUA) return m->weighting.T;
    return 0;
}

optim_cfg method_ident_optim(const method_spec *m)
{
    return m->weighting.has_ident_optim ? m->weighting.ident_optim
                                        : method_default_optim(METHOD_ERM);
}

optim_cfg method_default_optim(int k)
{
    const method_def *d = method_get(k);
    return optim_defaults(d ? d->optim : OPTIM_SGD);
}

/* ---- text forms ---------------------------------------------------------- */

typedef struct {
    char *buf;
    size_t cap, n;
    int overflow;
} tbuf;

static void tb_add(tbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void tb_add(tbuf *b, const char *fmt, ...)
{
    if (b->overflow || b->cap == 0) return;
    va_list ap;
    va_start(ap, fmt);
    int k = vsnprintf(b->buf + b->n, b->cap - b->n, fmt, ap);
    va_end(ap);
    if (k < 0 || (size_t)k >= b->cap - b->n) {
        b->overflow = 1;
        b->buf[0] = '\0';
        return;
    }
    b->n += (size_t)k;
}

void method_canon(const method_spec *m, char *buf, size_t len)
{
    const method_def *d = method_get(m->kind);
    tbuf b = { buf, len, 0, 0 };
    if (len) buf[0] = '\0';
    tb_add(&b, "%s", method_name(m->kind));
    if (!d) return;
    /* the MROLE_ARG keys in strcmp order (selection by the smallest name
     * after the last one printed: there are a handful) */
    const char *last = NULL;
    for (int printed = 0;; printed++) {
        int best = -1;
        for (int i = 0; i < d->n_keys; i++) {
            if (d->keys[i].role != MROLE_ARG) continue;
            if (last && strcmp(d->keys[i].name, last) <= 0) continue;
            if (best < 0 || strcmp(d->keys[i].name, d->keys[best].name) < 0) best = i;
        }
        if (best < 0) {
            if (printed) tb_add(&b, ")");
            return;
        }
        char x[32];
        tb_add(&b, "%s%s=%s", printed ? "," : "(", d->keys[best].name,
               jobspec_fmt_float(x, m->arg[arg_slot(d, best)]));
        last = d->keys[best].name;
    }
}

void weighting_label(const weighting_spec *w, char *buf, size_t len)
{
    switch (w->kind) {
    case WEIGHT_JTT: snprintf(buf, len, "jtt(T=%d,up=%g)", w->T, w->up); break;
    case WEIGHT_GROUP_BALANCED: snprintf(buf, len, "group_balanced"); break;
    case WEIGHT_LUA: snprintf(buf, len, "lua#%d", w->lua_fn); break;
    default: snprintf(buf, len, "none"); break;
    }
}

void method_label_args(const method_spec *m, char *buf, size_t len)
{
    const method_def *d = method_get(m->kind);
    tbuf b = { buf, len, 0, 0 };
    if (len) buf[0] = '\0';
    if (!d) return;
    for (int i = 0; i < d->n_keys; i++)
        if (d->keys[i].role == MROLE_ARG)
            tb_add(&b, "%s%s=%g", b.n ? "," : "", d->keys[i].name, m->arg[arg_slot(d, i)]);
    if (!(d->flags & MF_SAMPLE_WEIGHTS)) return;
    char w[128];
    if (m->weighting.kind == WEIGHT_JTT)
        snprintf(w, sizeof w, "T=%d,up=%g", m->weighting.T, m->weighting.up);
    else
        weighting_label(&m->weighting, w, sizeof w);
    tb_add(&b, "%s%s", b.n ? "," : "", w);
}

int method_args(const method_spec *m, method_arg *out, int max)
{
    static const char *const wnames[] = { [WEIGHT_NONE] = "none", [WEIGHT_JTT] = "jtt",
                                          [WEIGHT_GROUP_BALANCED] = "group_balanced",
                                          [WEIGHT_LUA] = "lua" };
    const method_def *d = method_get(m->kind);
    int n = 0;
#define PUT(nm, ty, v, s)                                                    \
    do {                                                                     \
        if (n < max) out[n] = (method_arg){ nm, ty, v, s };                  \
        n++;                                                                 \
    } while (0)
    if (!d) return 0;
    for (int i = 0; i < d->n_keys; i++)
        if (d->keys[i].role == MROLE_ARG)
            PUT(d->keys[i].name, MARG_REAL, (double)m->arg[arg_slot(d, i)], NULL);
    if (!(d->flags & MF_SAMPLE_WEIGHTS)) return n;
    const weighting_spec *w = &m->weighting;
    PUT("weighting", MARG_STR, 0.0, wnames[w->kind]);
    if (w->kind == WEIGHT_JTT) {
        PUT("T", MARG_INT, (double)w->T, NULL);
        PUT("up", MARG_REAL, (double)w->up, NULL);
        PUT("resample", MARG_INT, (double)w->resample, NULL);
    } else if (w->kind == WEIGHT_LUA) {
        PUT("T", MARG_INT, (double)w->T, NULL);
    }
#undef PUT
    return n;
}
