/* report_tune.c - the keys of `dett report --tune`: which configuration
 * fields a key names, whether it is unambiguous, and the value a row chose.
 *
 * A key is "optim", "batch", "epochs", "METHOD.KEY" (an argument of one
 * method: kd.T is kd's temperature, dett.T dett's identification epochs) or
 * a bare "KEY", accepted only while the jobs of a single method have it
 * (a bare T over kd and dett rows is refused with the qualified names). */
#define _POSIX_C_SOURCE 200809L
#include "report_internal.h"
#include <stdlib.h>
#include <string.h>

int rep_args_get(const char *args, const char *key, char *buf, size_t cap)
{
    const char *p = strchr(args, '(');
    p = p ? p + 1 : args;
    size_t klen = strlen(key);
    while (*p) {
        size_t len = strcspn(p, "=,)");
        if (p[len] == '=' && len == klen && !strncmp(p, key, klen)) {
            const char *v = p + len + 1;
            size_t n = strcspn(v, ",)");
            rep_fmt(buf, cap, "%.*s", (int)n, v);
            return 1;
        }
        p += len;
        p += strcspn(p, ",");        /* skip the value */
        if (*p == ',') p++;
        else if (*p) p++;
    }
    return 0;
}

/* the next key of the comma-separated list at *p into k[cap] (advancing *p);
 * 0 at the end */
static int tn_next(const char **p, char *k, size_t cap)
{
    while (**p == ',') (*p)++;
    if (!**p) return 0;
    size_t len = strcspn(*p, ",");
    rep_fmt(k, cap, "%.*s", (int)len, *p);
    *p += len;
    return 1;
}

/* splits "METHOD.KEY" into its parts (method "" for a bare key) */
static void tn_split(const char *k, char *method, size_t mcap, const char **key)
{
    const char *dot = strchr(k, '.');
    if (dot) {
        rep_fmt(method, mcap, "%.*s", (int)(dot - k), k);
        *key = dot + 1;
    } else {
        method[0] = '\0';
        *key = k;
    }
}

static int tn_special(const char *k)
{
    return !strcmp(k, "optim") || !strcmp(k, "batch") || !strcmp(k, "epochs");
}

/* does job j have argument key (in method_args or its weighting)? */
static int tn_job_has(const rep_job *j, const char *key)
{
    char v[200];
    return rep_args_get(j->method_args, key, v, sizeof v) ||
           rep_args_get(j->weighting, key, v, sizeof v);
}

int rep_tune_check(const rep_data *d, const char *tune, dett_err *e)
{
    char k[64], method[64];
    const char *p = tune, *key;
    if (!tune) return 0;
    if (strlen(tune) >= 256) return dett_fail(e, "report: --tune: list too long");
    while (tn_next(&p, k, sizeof k)) {
        if (tn_special(k)) continue;
        tn_split(k, method, sizeof method, &key);
        if (!*key || (strchr(k, '.') && !*method))
            return dett_fail(e, "report: --tune: '%s' is not KEY or METHOD.KEY", k);
        if (method[0]) {
            int has_method = 0, has_key = 0;
            for (int q = 0; q < d->n_jobs; q++)
                if (!strcmp(d->jobs[q].method, method)) {
                    has_method = 1;
                    has_key |= tn_job_has(&d->jobs[q], key);
                }
            if (!has_method)
                return dett_fail(e, "report: --tune: '%s': no job has method '%s'", k, method);
            if (!has_key)
                return dett_fail(e, "report: --tune: '%s': no %s job has an argument '%s'", k,
                                 method, key);
            continue;
        }
        /* a bare key: the methods whose jobs have it */
        char methods[256] = "", qualified[256] = "";
        int n = 0;
        for (int q = 0; q < d->n_jobs; q++) {
            const rep_job *j = &d->jobs[q];
            if (!tn_job_has(j, key)) continue;
            int seen = 0;
            for (int r = 0; r < q && !seen; r++)
                seen = !strcmp(d->jobs[r].method, j->method) && tn_job_has(&d->jobs[r], key);
            if (seen) continue;
            size_t a = strlen(methods), b = strlen(qualified);
            rep_fmt(methods + a, sizeof methods - a, "%s%s", n ? ", " : "", j->method);
            rep_fmt(qualified + b, sizeof qualified - b, "%s%s.%s", n ? "," : "", j->method,
                    key);
            n++;
        }
        if (n == 0)
            return dett_fail(e, "report: --tune: '%s' is not optim, batch, epochs or a "
                             "method or weighting argument of any job", k);
        if (n > 1)
            return dett_fail(e, "report: --tune: '%s' is an argument of several methods "
                             "(%s) and may mean different things in each; name it per "
                             "method: %s", k, methods, qualified);
    }
    return 0;
}

void rep_job_untuned(const rep_job *j, const char *tune, rep_job *out)
{
    char tmp[sizeof out->method_args], k[64], method[64];
    const char *p = tune, *key;
    *out = *j;
    while (p && tn_next(&p, k, sizeof k)) {
        if (!strcmp(k, "optim")) out->optim[0] = '\0';
        else if (!strcmp(k, "batch")) out->batch = 0;
        else if (!strcmp(k, "epochs")) out->epochs = 0;
        else {
            tn_split(k, method, sizeof method, &key);
            if (method[0] && strcmp(method, j->method)) continue;
            rep_args_without(out->method_args, key, tmp, sizeof tmp);
            snprintf(out->method_args, sizeof out->method_args, "%s", tmp);
            rep_args_without(out->weighting, key, tmp, sizeof tmp);
            snprintf(out->weighting, sizeof out->weighting, "%s", tmp);
        }
    }
}

int rep_tune_value(const rep_job *j, const char *k, char *buf, size_t cap)
{
    char method[64];
    const char *key;
    buf[0] = '\0';
    if (!strcmp(k, "optim")) {
        rep_fmt(buf, cap, "%s", j->optim);
        return j->optim[0] != '\0';
    }
    if (!strcmp(k, "batch") || !strcmp(k, "epochs")) {
        int v = k[0] == 'b' ? j->batch : j->epochs;
        if (v) rep_fmt(buf, cap, "%d", v);
        return v != 0;
    }
    tn_split(k, method, sizeof method, &key);
    if (method[0] && strcmp(method, j->method)) return 0;
    return rep_args_get(j->method_args, key, buf, cap) || rep_args_get(j->weighting, key, buf, cap);
}

int rep_tune_keys(const char *tune, char keys[][64], int cap)
{
    const char *p = tune;
    int n = 0;
    while (p && n < cap && tn_next(&p, keys[n], 64)) {
        int dup = 0;
        for (int q = 0; q < n; q++) dup |= !strcmp(keys[q], keys[n]);
        if (!dup) n++;
    }
    return n;
}
