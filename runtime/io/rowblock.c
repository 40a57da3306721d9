/* rowblock.c - one HDF5 dataset read in blocks of rows (see rowblock.h). */
#include "rowblock.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void rowblock_init(rowblock *rb)
{
    memset(rb, 0, sizeof *rb);
    rb->dset = rb->type = rb->space = -1;
    rb->row_values = 1;
}

void rowblock_close(rowblock *rb)
{
    if (rb->space >= 0) H5Sclose(rb->space);
    if (rb->type >= 0) H5Tclose(rb->type);
    if (rb->dset >= 0) H5Dclose(rb->dset);
    rb->dset = rb->type = rb->space = -1;
}

int rowblock_open(rowblock *rb, hid_t loc, const char *link, const char *path,
                  const char *name, const char *expect, dett_err *e)
{
    rowblock_init(rb);
    rb->path = path;
    snprintf(rb->name, sizeof rb->name, "%s", name);
    if (expect) {
        htri_t ex = H5Lexists(loc, link, H5P_DEFAULT);
        CHECK_H5(e, ex, "%s:%s: cannot look up the dataset", path, name);
        if (!ex) return dett_fail(e, "%s:%s: missing (expected %s)", path, name, expect);
        CHECK_H5(e, rb->dset = H5Dopen2(loc, link, H5P_DEFAULT),
                 "%s:%s: cannot open (expected a dataset %s)", path, name, expect);
    } else {
        CHECK_H5(e, rb->dset = H5Dopen2(loc, link, H5P_DEFAULT), "%s:%s: cannot open", path, name);
    }
    CHECK_H5(e, rb->type = H5Dget_type(rb->dset), "%s:%s: cannot read its type", path, name);
    CHECK_H5(e, rb->space = H5Dget_space(rb->dset), "%s:%s: cannot read its extent", path, name);
    CHECK_H5(e, rb->rank = H5Sget_simple_extent_ndims(rb->space), "%s:%s: cannot read its extent",
             path, name);
    CHECK_H5(e, H5Sget_simple_extent_dims(rb->space, rb->dims, NULL),
             "%s:%s: cannot read its extent", path, name);
    for (int i = 1; i < rb->rank; i++) rb->row_values *= rb->dims[i];
    return 0;
fail:
    return -1;
}

typedef struct {
    char *buf;
    size_t n;
} why_buf;

/* walk callback of rowblock_h5_why: keeps the innermost description */
static herr_t why_walk(unsigned n, const H5E_error2_t *err, void *data)
{
    why_buf *w = data;
    if (n == 0 && err->desc && err->desc[0]) snprintf(w->buf, w->n, "%s", err->desc);
    return 0;
}

const char *rowblock_h5_why(char *buf, size_t n)
{
    why_buf w = { buf, n };
    snprintf(buf, n, "unknown HDF5 error");
    H5Ewalk2(H5E_DEFAULT, H5E_WALK_UPWARD, why_walk, &w);
    H5Eclear2(H5E_DEFAULT);
    return buf;
}

int rowblock_read(const rowblock *rb, hid_t mtype, hid_t dxpl, hsize_t row0, hsize_t n,
                  void *buf, dett_err *e)
{
    hid_t mem = -1;
    hsize_t start[H5S_MAX_RANK] = { 0 }, count[H5S_MAX_RANK], values = n * rb->row_values;
    long long first = (long long)row0, last = (long long)(row0 + n) - 1;
    if (rb->rank < 1)
        return dett_fail(e, "%s:%s: expected rows, found a scalar", rb->path, rb->name);
    start[0] = row0;
    count[0] = n;
    for (int i = 1; i < rb->rank; i++) count[i] = rb->dims[i];
    if (n == 0)
        CHECK_H5(e, H5Sselect_none(rb->space), "%s:%s: cannot select rows", rb->path, rb->name);
    else
        CHECK_H5(e, H5Sselect_hyperslab(rb->space, H5S_SELECT_SET, start, NULL, count, NULL),
                 "%s:%s: cannot select rows %lld..%lld", rb->path, rb->name, first, last);
    if (values == 0) values = 1;
    CHECK_H5(e, mem = H5Screate_simple(1, &values, NULL), "%s:%s: cannot make a memory space",
             rb->path, rb->name);
    if (n == 0)
        CHECK_H5(e, H5Sselect_none(mem), "%s:%s: cannot select rows", rb->path, rb->name);
    if (H5Dread(rb->dset, mtype, mem, rb->space, dxpl, buf) < 0) {
        char why[128];
        dett_fail(e, "%s:%s: cannot read rows %lld..%lld: HDF5: %s", rb->path, rb->name, first,
                  last, rowblock_h5_why(why, sizeof why));
        goto fail;
    }
    H5Sclose(mem);
    return 0;
fail:
    if (mem >= 0) H5Sclose(mem);
    return -1;
}

int rowblock_each(const rowblock *rb, hid_t mtype, size_t bytes,
                  int (*fn)(void *ctx, const void *block, size_t n), void *ctx, dett_err *e)
{
    if (rb->rank < 1)
        return dett_fail(e, "%s:%s: expected rows, found a scalar", rb->path, rb->name);
    size_t row = H5Tget_size(mtype) * (size_t)rb->row_values;
    hsize_t per = row ? (hsize_t)(bytes / row) : 1;
    if (per > rb->dims[0]) per = rb->dims[0];
    if (per < 1) per = 1;
    int st = 0;
    void *buf = malloc(row * per);
    CHECK_ALLOC(e, buf);
    for (hsize_t r0 = 0; r0 < rb->dims[0] && st == 0; r0 += per) {
        hsize_t m = rb->dims[0] - r0 < per ? rb->dims[0] - r0 : per;
        CHECK(rowblock_read(rb, mtype, H5P_DEFAULT, r0, m, buf, e));
        st = fn(ctx, buf, row * m) ? 1 : 0;
    }
    free(buf);
    return st;
fail:
    free(buf);
    return -1;
}
