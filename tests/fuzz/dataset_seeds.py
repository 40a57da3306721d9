#!/usr/bin/python3
"""Writes the h5py-made seeds of fuzz_dataset whose chunks do not divide the
extents: usage: dataset_seeds.py PLAIN.h5 OUT_DIR, where PLAIN.h5 is a small
dett data file with row counts that few chunk sizes divide, e.g.
  dett data synth -o plain.h5 --n-train 13 --n-val 9 --n-test 7 --d-core 1 \\
      --d-spurious 1 --p-maj 0.6 --seed 5
Writes OUT_DIR/seed_{gzip5,lzf4,maxshape5,be_gzip4,be_lzf_f64}.h5: gzip and
lzf compression, a resizable (maxshape None) dataset and big-endian types,
each with chunks of 4 or 5 rows (partial last chunks). Needs h5py."""
import os
import sys

import h5py
import numpy as np

plain, out = sys.argv[1], sys.argv[2]


def variant(name, conv):
    with h5py.File(plain, "r") as f, h5py.File(os.path.join(out, name + ".h5"), "w") as g:
        for k, v in f.attrs.items():
            g.attrs[k] = v
        for s in ("train", "val", "test"):
            for n in ("X", "y", "a"):
                d, kw = conv(n, f[s][n][...])
                g.create_dataset(s + "/" + n, data=d, **kw)


def rows(d, r):
    return (r,) + tuple(1 if i == 1 else c for i, c in enumerate(d.shape[1:], 1))


def be(d):
    return d.astype(d.dtype.newbyteorder(">"))


variant("seed_gzip5", lambda n, d: (d, dict(compression="gzip", chunks=rows(d, 5))))
variant("seed_lzf4", lambda n, d: (d, dict(compression="lzf", chunks=rows(d, 4))))
variant("seed_maxshape5", lambda n, d: (d, dict(maxshape=(None,) + d.shape[1:],
                                                 chunks=rows(d, 5))))
variant("seed_be_gzip4", lambda n, d: (be(d), dict(compression="gzip", shuffle=True,
                                                   chunks=rows(d, 4))))
variant("seed_be_lzf_f64", lambda n, d: (be(d.astype(np.float64) if n == "X" else d),
                                         dict(compression="lzf", chunks=rows(d, 5))))
