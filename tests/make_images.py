#!/usr/bin/python3
"""make_images.py OUT.h5 - a small image data file written with plain h5py.

X [n, 2, 6, 6] float32: noise plus a label pattern (a bright 2x2 block whose
place depends on y, channel 0) and an attribute pattern (channel 1 brighter
when a = 1); train P(a = y) = 0.9, val and test balanced. The data-file
format of docs/results-format.md, so dett reads it as it reads its own.
"""
import sys

import h5py
import numpy as np

rng = np.random.default_rng(7)


def split(n, p_maj):
    y = rng.integers(0, 2, n).astype(np.int32)
    maj = rng.random(n) < p_maj
    a = np.where(maj, y, 1 - y).astype(np.int32)
    X = rng.normal(0, 0.6, (n, 2, 6, 6)).astype(np.float32)
    for i in range(n):
        r = 1 if y[i] == 0 else 3
        X[i, 0, r:r + 2, r:r + 2] += 1.0
        X[i, 1] += 0.8 * a[i]
    return X, y, a


with h5py.File(sys.argv[1], "w") as f:
    for name, n, p in (("train", 800, 0.9), ("val", 200, 0.5), ("test", 300, 0.5)):
        X, y, a = split(n, p)
        g = f.create_group(name)
        g["X"], g["y"], g["a"] = X, y, a
    f.attrs["name"] = "images"
    f.attrs["n_classes"] = 2
    f.attrs["n_attrs"] = 2
