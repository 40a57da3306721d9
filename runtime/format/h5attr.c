/* h5attr.c - the attribute reader and writer of dett's HDF5 files (h5attr.h). */
#define _POSIX_C_SOURCE 200809L
#include "h5attr.h"
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* closes id with fn unless it is < 0; a failure turns *rc into -1 with a
 * message (the first message of a failed path stands) */
static void close_id(hid_t id, herr_t (*fn)(hid_t), int *rc, const char *where,
                     const char *name, dett_err *e)
{
    if (id >= 0 && fn(id) < 0 && *rc == 0)
        *rc = dett_fail(e, "%s: attribute %s: cannot close a handle", where, name);
}

void h5attr_type_name(hid_t type, char *buf, size_t len)
{
    H5T_class_t c = H5Tget_class(type);
    size_t bits = H5Tget_size(type) * 8;
    if (c == H5T_INTEGER)
        snprintf(buf, len, "%sint%zu", H5Tget_sign(type) == H5T_SGN_NONE ? "u" : "", bits);
    else if (c == H5T_FLOAT)
        snprintf(buf, len, "float%zu", bits);
    else if (c == H5T_STRING)
        snprintf(buf, len, "string");
    else if (c == H5T_COMPOUND)
        snprintf(buf, len, "compound");
    else
        snprintf(buf, len, "a non-numeric type");
}

/* a variable-length UTF-8 string type, or -1 */
static hid_t vl_utf8(void)
{
    hid_t t = H5Tcopy(H5T_C_S1);
    if (t < 0) return -1;
    if (H5Tset_size(t, H5T_VARIABLE) < 0 || H5Tset_cset(t, H5T_CSET_UTF8) < 0) {
        H5Tclose(t);
        return -1;
    }
    return t;
}

/* ---- writing -------------------------------------------------------------- */

/* creates attribute name of file type ftype over space sp and writes buf
 * (memory type mtype) into it */
static int put(hid_t obj, const char *name, hid_t ftype, hid_t sp, hid_t mtype,
               const void *buf, const char *where, dett_err *e)
{
    hid_t a = -1;
    int rc = -1;
    CHECK_H5(e, a = H5Acreate2(obj, name, ftype, sp, H5P_DEFAULT, H5P_DEFAULT),
             "%s: attribute %s: cannot create it", where, name);
    CHECK_H5(e, H5Awrite(a, mtype, buf), "%s: attribute %s: cannot write it", where, name);
    rc = 0;
fail:
    close_id(a, H5Aclose, &rc, where, name, e);
    return rc;
}

int h5attr_put_texts(hid_t obj, const char *name, const char *const *s, int n,
                     const char *where, dett_err *e)
{
    hid_t t = -1, sp = -1;
    int rc = -1;
    hsize_t dim = (hsize_t)(n > 0 ? n : 0);
    if (n < 1 || !s) return dett_fail(e, "%s: attribute %s: no strings to write", where, name);
    CHECK_H5(e, t = vl_utf8(), "%s: attribute %s: cannot make a string type", where, name);
    CHECK_H5(e, sp = H5Screate_simple(1, &dim, NULL), "%s: attribute %s: H5Screate_simple",
             where, name);
    rc = put(obj, name, t, sp, t, s, where, e);
fail:
    close_id(sp, H5Sclose, &rc, where, name, e);
    close_id(t, H5Tclose, &rc, where, name, e);
    return rc;
}

int h5attr_put_text(hid_t obj, const char *name, const char *s, const char *where,
                    dett_err *e)
{
    hid_t t = -1, sp = -1;
    int rc = -1;
    const char *v = s ? s : "";
    CHECK_H5(e, t = vl_utf8(), "%s: attribute %s: cannot make a string type", where, name);
    CHECK_H5(e, sp = H5Screate(H5S_SCALAR), "%s: attribute %s: H5Screate", where, name);
    rc = put(obj, name, t, sp, t, &v, where, e);
fail:
    close_id(sp, H5Sclose, &rc, where, name, e);
    close_id(t, H5Tclose, &rc, where, name, e);
    return rc;
}

int h5attr_put_int(hid_t obj, const char *name, hid_t ftype, int64_t v, const char *where,
                   dett_err *e)
{
    hid_t sp = -1;
    int rc = -1;
    CHECK_H5(e, sp = H5Screate(H5S_SCALAR), "%s: attribute %s: H5Screate", where, name);
    rc = put(obj, name, ftype, sp, H5T_NATIVE_INT64, &v, where, e);
fail:
    close_id(sp, H5Sclose, &rc, where, name, e);
    return rc;
}

int h5attr_put_ints(hid_t obj, const char *name, const int *v, int n, const char *where,
                    dett_err *e)
{
    hid_t sp = -1;
    int rc = -1, dummy = 0;
    hsize_t dim = (hsize_t)(n > 0 ? n : 0);
    if (n < 0 || (n > 0 && !v)) return dett_fail(e, "%s: attribute %s: bad array", where, name);
    CHECK_H5(e, sp = H5Screate_simple(1, &dim, NULL), "%s: attribute %s: H5Screate_simple",
             where, name);
    rc = put(obj, name, H5T_STD_I32LE, sp, H5T_NATIVE_INT, n ? (const void *)v : &dummy,
             where, e);
fail:
    close_id(sp, H5Sclose, &rc, where, name, e);
    return rc;
}

int h5attr_put_double(hid_t obj, const char *name, double v, const char *where, dett_err *e)
{
    hid_t sp = -1;
    int rc = -1;
    CHECK_H5(e, sp = H5Screate(H5S_SCALAR), "%s: attribute %s: H5Screate", where, name);
    rc = put(obj, name, H5T_IEEE_F64LE, sp, H5T_NATIVE_DOUBLE, &v, where, e);
fail:
    close_id(sp, H5Sclose, &rc, where, name, e);
    return rc;
}

int h5attr_put_value(hid_t obj, const char *prefix, const h5attr_value *v, const char *where,
                     dett_err *e)
{
    char name[2 * H5ATTR_NAME];
    if (snprintf(name, sizeof name, "%s%s", prefix ? prefix : "", v->name) >= (int)sizeof name)
        return dett_fail(e, "%s: attribute name '%s%s' too long", where, prefix, v->name);
    if (v->is_text) return h5attr_put_text(obj, name, v->text, where, e);
    return h5attr_put_double(obj, name, v->num, where, e);
}

/* ---- reading -------------------------------------------------------------- */

int h5attr_exists(hid_t obj, const char *name, const char *where, dett_err *e)
{
    htri_t ex = H5Aexists(obj, name);
    if (ex < 0) return dett_fail(e, "%s: attribute %s: cannot look it up", where, name);
    return ex > 0;
}

/* an open attribute with its type and element count */
typedef struct {
    hid_t a, type, space;
    hssize_t n;
} attr_h;

static void attr_close(attr_h *h, int *rc, const char *where, const char *name, dett_err *e)
{
    close_id(h->space, H5Sclose, rc, where, name, e);
    close_id(h->type, H5Tclose, rc, where, name, e);
    close_id(h->a, H5Aclose, rc, where, name, e);
    h->a = h->type = h->space = -1;
}

/* Opens attribute name, which must exist, be of class cls (or, for
 * H5T_FLOAT, integer or float) and hold one element unless array;
 * `expect` words what was wanted in messages. */
static int attr_open(attr_h *h, hid_t obj, const char *name, H5T_class_t cls, int array,
                     const char *expect, const char *where, dett_err *e)
{
    char t[32];
    h->a = h->type = h->space = -1;
    int ex = h5attr_exists(obj, name, where, e);
    if (ex < 0) return -1;
    if (!ex) return dett_fail(e, "%s: attribute %s: missing (expected %s)", where, name, expect);
    CHECK_H5(e, h->a = H5Aopen(obj, name, H5P_DEFAULT), "%s: attribute %s: cannot open it",
             where, name);
    CHECK_H5(e, h->type = H5Aget_type(h->a), "%s: attribute %s: cannot read its type", where,
             name);
    CHECK_H5(e, h->space = H5Aget_space(h->a), "%s: attribute %s: cannot read its extent",
             where, name);
    CHECK_H5(e, h->n = H5Sget_simple_extent_npoints(h->space),
             "%s: attribute %s: cannot read its extent", where, name);
    H5T_class_t c = H5Tget_class(h->type);
    int ok = c == cls || (cls == H5T_FLOAT && c == H5T_INTEGER);
    if (!ok || (!array && h->n != 1)) {
        h5attr_type_name(h->type, t, sizeof t);
        dett_fail(e, "%s: attribute %s: expected %s, found %s%s", where, name, expect, t,
                  h->n != 1 ? " array" : "");
        goto fail;
    }
    return 0;
fail: {
    int rc = -1;
    attr_close(h, &rc, where, name, e);
    return -1;
}
}

int h5attr_get_text(hid_t obj, const char *name, char *buf, size_t cap, int mode,
                    const char *where, dett_err *e)
{
    attr_h h;
    hid_t mt = -1;
    char *vs = NULL, *fs = NULL;
    int rc = -1;
    if (cap == 0) return dett_fail(e, "%s: attribute %s: no room", where, name);
    buf[0] = '\0';
    if (attr_open(&h, obj, name, H5T_STRING, 0, "a string", where, e)) return -1;
    htri_t var;
    H5T_cset_t cset;
    CHECK_H5(e, var = H5Tis_variable_str(h.type), "%s: attribute %s: bad string type", where,
             name);
    CHECK_H5(e, cset = H5Tget_cset(h.type), "%s: attribute %s: bad string type", where, name);
    /* the file's character set: HDF5 converts between no two of them */
    CHECK_H5(e, mt = H5Tcopy(H5T_C_S1), "%s: attribute %s: H5Tcopy", where, name);
    CHECK_H5(e, H5Tset_cset(mt, cset), "%s: attribute %s: H5Tset_cset", where, name);
    const char *s;
    if (var) {
        CHECK_H5(e, H5Tset_size(mt, H5T_VARIABLE), "%s: attribute %s: H5Tset_size", where,
                 name);
        CHECK_H5(e, H5Aread(h.a, mt, &vs), "%s: attribute %s: cannot read it", where, name);
        s = vs ? vs : "";
    } else {
        size_t n = H5Tget_size(h.type);
        if (n == 0) {
            dett_fail(e, "%s: attribute %s: bad string size", where, name);
            goto fail;
        }
        CHECK_ALLOC(e, fs = calloc(n + 1, 1));
        /* one byte more than stored, NUL-terminated: space- and NUL-padded
         * strings of full width read whole */
        CHECK_H5(e, H5Tset_size(mt, n + 1), "%s: attribute %s: H5Tset_size", where, name);
        CHECK_H5(e, H5Tset_strpad(mt, H5T_STR_NULLTERM), "%s: attribute %s: H5Tset_strpad",
                 where, name);
        CHECK_H5(e, H5Aread(h.a, mt, fs), "%s: attribute %s: cannot read it", where, name);
        s = fs;
    }
    size_t len = strlen(s);
    if (len >= cap && mode != H5ATTR_TRUNCATE) {
        dett_fail(e, "%s: attribute %s: longer than %zu bytes", where, name, cap - 1);
        goto fail;
    }
    if (len >= cap) len = cap - 1;
    memcpy(buf, s, len);
    buf[len] = '\0';
    rc = 0;
fail:
    if (vs && H5free_memory(vs) < 0 && rc == 0)
        rc = dett_fail(e, "%s: attribute %s: H5free_memory failed", where, name);
    free(fs);
    close_id(mt, H5Tclose, &rc, where, name, e);
    attr_close(&h, &rc, where, name, e);
    return rc;
}

/* "an integer >= 1", "an integer in [0, 9]", "an integer" */
static void int_expect(char *buf, size_t cap, long long lo, long long hi)
{
    if (lo == LLONG_MIN && hi == LLONG_MAX) snprintf(buf, cap, "an integer");
    else if (hi == LLONG_MAX || hi == INT_MAX) snprintf(buf, cap, "an integer >= %lld", lo);
    else snprintf(buf, cap, "an integer in [%lld, %lld]", lo, hi);
}

int h5attr_get_int(hid_t obj, const char *name, long long lo, long long hi, long long *v,
                   const char *where, dett_err *e)
{
    attr_h h;
    char expect[80];
    long long x = 0;
    int rc = -1;
    int_expect(expect, sizeof expect, lo, hi);
    if (attr_open(&h, obj, name, H5T_INTEGER, 0, expect, where, e)) return -1;
    CHECK_H5(e, H5Aread(h.a, H5T_NATIVE_LLONG, &x), "%s: attribute %s: cannot read it", where,
             name);
    if (x < lo || x > hi) {
        dett_fail(e, "%s: attribute %s: expected %s, found %lld", where, name, expect, x);
        goto fail;
    }
    *v = x;
    rc = 0;
fail:
    attr_close(&h, &rc, where, name, e);
    return rc;
}

int h5attr_get_double(hid_t obj, const char *name, double *v, const char *where, dett_err *e)
{
    attr_h h;
    int rc = -1;
    if (attr_open(&h, obj, name, H5T_FLOAT, 0, "a number", where, e)) return -1;
    CHECK_H5(e, H5Aread(h.a, H5T_NATIVE_DOUBLE, v), "%s: attribute %s: cannot read it", where,
             name);
    rc = 0;
fail:
    attr_close(&h, &rc, where, name, e);
    return rc;
}

int h5attr_get_ints(hid_t obj, const char *name, int *v, int cap, int *n, const char *where,
                    dett_err *e)
{
    attr_h h;
    int rc = -1;
    long long *tmp = NULL;
    if (attr_open(&h, obj, name, H5T_INTEGER, 1, "integers", where, e)) return -1;
    if (h.n > cap) {
        dett_fail(e, "%s: attribute %s: %lld values, at most %d expected", where, name,
                  (long long)h.n, cap);
        goto fail;
    }
    *n = (int)h.n;
    if (h.n > 0) {
        CHECK_ALLOC(e, tmp = malloc((size_t)h.n * sizeof *tmp));
        CHECK_H5(e, H5Aread(h.a, H5T_NATIVE_LLONG, tmp), "%s: attribute %s: cannot read it",
                 where, name);
        for (hssize_t i = 0; i < h.n; i++) {
            if (tmp[i] < INT_MIN || tmp[i] > INT_MAX) {
                dett_fail(e, "%s: attribute %s: value %lld out of range", where, name, tmp[i]);
                goto fail;
            }
            v[i] = (int)tmp[i];
        }
    }
    rc = 0;
fail:
    free(tmp);
    attr_close(&h, &rc, where, name, e);
    return rc;
}

/* the names collected by h5attr_list's iteration */
typedef struct {
    const char *prefix;
    size_t plen;
    char (*names)[H5ATTR_NAME];
    int cap, n, overflow;
} name_list;

static herr_t collect(hid_t loc, const char *name, const H5A_info_t *info, void *op)
{
    (void)loc;
    (void)info;
    name_list *l = op;
    if (strncmp(name, l->prefix, l->plen) != 0) return 0;
    if (l->n == l->cap || strlen(name) >= H5ATTR_NAME) {
        l->overflow = 1;
        return 1;   /* stop */
    }
    snprintf(l->names[l->n++], H5ATTR_NAME, "%s", name);
    return 0;
}

int h5attr_list(hid_t obj, const char *prefix, h5attr_value *out, int cap, int *n,
                const char *where, dett_err *e)
{
    name_list l = {prefix, strlen(prefix), NULL, cap, 0, 0};
    int rc = -1;
    *n = 0;
    if (cap < 0) return dett_fail(e, "%s: attributes %s*: bad capacity", where, prefix);
    CHECK_ALLOC(e, l.names = calloc((size_t)(cap ? cap : 1), sizeof *l.names));
    hsize_t idx = 0;
    CHECK_H5(e, H5Aiterate2(obj, H5_INDEX_NAME, H5_ITER_INC, &idx, collect, &l),
             "%s: cannot list the attributes %s*", where, prefix);
    if (l.overflow) {
        dett_fail(e, "%s: more than %d attributes %s* (or a name over %d bytes)", where, cap,
                  prefix, H5ATTR_NAME - 1);
        goto fail;
    }
    for (int k = 0; k < l.n; k++) {
        h5attr_value *v = &out[*n];
        hid_t a = -1, t = -1, sp = -1;
        memset(v, 0, sizeof *v);
        snprintf(v->name, sizeof v->name, "%s", l.names[k] + l.plen);
        CHECK_H5(e, a = H5Aopen(obj, l.names[k], H5P_DEFAULT), "%s: attribute %s: cannot open",
                 where, l.names[k]);
        t = H5Aget_type(a);
        sp = H5Aget_space(a);
        hssize_t np = sp >= 0 ? H5Sget_simple_extent_npoints(sp) : -1;
        H5T_class_t c = t >= 0 ? H5Tget_class(t) : H5T_NO_CLASS;
        int cr = 0;
        close_id(sp, H5Sclose, &cr, where, l.names[k], e);
        close_id(t, H5Tclose, &cr, where, l.names[k], e);
        close_id(a, H5Aclose, &cr, where, l.names[k], e);
        if (cr || np < 0 || c == H5T_NO_CLASS) {
            if (!cr) dett_fail(e, "%s: attribute %s: cannot read its type", where, l.names[k]);
            goto fail;
        }
        if (np != 1) continue;   /* arrays are not values */
        if (c == H5T_STRING) {
            v->is_text = 1;
            CHECK(h5attr_get_text(obj, l.names[k], v->text, sizeof v->text, H5ATTR_EXACT,
                                  where, e));
        } else if (c == H5T_INTEGER || c == H5T_FLOAT) {
            CHECK(h5attr_get_double(obj, l.names[k], &v->num, where, e));
        } else {
            continue;
        }
        (*n)++;
    }
    rc = 0;
fail:
    free(l.names);
    return rc;
}
