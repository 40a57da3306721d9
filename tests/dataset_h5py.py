#!/usr/bin/python3
"""Writes data files the way h5py users do, from a plain dett data file.

usage: dataset_h5py.py PLAIN.h5 PREFIX
Good variants (the same numbers as PLAIN.h5): PREFIX{gzip,lzf,maxshape,
f64,be,int8,int64}.h5 - gzip/lzf compression with chunks that do not divide
the extents, resizable (maxshape=None) chunked datasets, float64 X, big-endian
types, int8 labels, int64 labels (h5py's default). Bad variants:
PREFIX{badchunk,nan,inf,big,half,f64big}.h5 (test_dataset_h5py.c says what
each must be refused with; nan's X is float64, inf's float32, the two ways
dett reads X to check it). Exit 77 (skip) without h5py.
"""
import shutil
import sys

try:
    import h5py
    import numpy as np
except ImportError:
    print("h5py not installed: skipped")
    sys.exit(77)

plain, pre = sys.argv[1], sys.argv[2]


def variant(name, conv):
    with h5py.File(plain, "r") as f, h5py.File(pre + name + ".h5", "w") as g:
        for k, v in f.attrs.items():
            g.attrs[k] = v
        for s in ("train", "val", "test"):
            for n in ("X", "y", "a"):
                d, kw = conv(n, f[s][n][...])
                g.create_dataset(s + "/" + n, data=d, **kw)


def odd_chunks(d, num, den):
    return tuple(max(1, (c * num) // den) for c in d.shape)


variant("gzip", lambda n, d: (d.astype(np.int64) if n != "X" else d,
                              dict(compression="gzip", compression_opts=6,
                                   chunks=odd_chunks(d, 2, 7))))
variant("lzf", lambda n, d: (d, dict(compression="lzf", chunks=odd_chunks(d, 3, 11))))
variant("maxshape", lambda n, d: (d, dict(maxshape=(None,) + d.shape[1:], chunks=True)))
variant("f64", lambda n, d: (d.astype(np.float64) if n == "X" else d, {}))
variant("be", lambda n, d: (d.astype(d.dtype.newbyteorder(">")), {}))
variant("int8", lambda n, d: (d.astype(np.int8) if n != "X" else d, {}))
variant("int64", lambda n, d: (d.astype(np.int64) if n != "X" else d.astype(np.float64), {}))


def edit(name, src, fn):
    out = pre + name + ".h5"
    shutil.copy(src, out)
    with h5py.File(out, "r+") as g:
        fn(g)


def put(g, path, v):
    del g[path]
    g[path] = v


def set_x(split, r, c, v, dtype=np.float64):
    def fn(g):
        x = g[split + "/X"][...].astype(dtype)
        x[r, c] = v
        put(g, split + "/X", x)
    return fn


def set_y(r, v, dtype):
    def fn(g):
        y = g["train/y"][...].astype(dtype)
        y[r] = v
        put(g, "train/y", y)
    return fn


# a damaged gzip chunk: 40 bytes overwritten inside val/X's second chunk
shutil.copy(pre + "gzip.h5", pre + "badchunk.h5")
with h5py.File(pre + "gzip.h5", "r") as f:
    off = f["val/X"].id.get_chunk_info(1).byte_offset
with open(pre + "badchunk.h5", "r+b") as fh:
    fh.seek(off + 10)
    fh.write(b"\xff" * 40)
edit("nan", plain, set_x("val", 7, 2, np.nan))
edit("inf", plain, set_x("test", 3, 0, np.inf, np.float32))   # float32: read as it is
edit("f64big", plain, set_x("train", 11, 1, 1e300))
edit("big", plain, set_y(5, 2**40, np.int64))
edit("half", plain, set_y(9, 0.5, np.float64))
print("wrote", pre + "*.h5")
