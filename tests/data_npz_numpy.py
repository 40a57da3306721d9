#!/usr/bin/python3
"""`dett data npz` / `dett data npy` on archives numpy writes.

usage: data_npz_numpy.py DETT
Writes a small data set as every supported layout (per-split arrays; one
set with a split array; one set split by fractions; np.savez_compressed;
float64 / big-endian / Fortran-order X; uint8, bool, float labels; images
[n, c, h, w] and [n, h, w]; a directory of .npy files), imports each, and
compares every split with h5py: the numbers must be identical. Then the
refusals (exit 1, one "dett:" line naming the array). Exit 77 without
numpy/h5py.
"""
import os
import subprocess
import sys

try:
    import h5py
    import numpy as np
except ImportError:
    print("numpy/h5py not installed: skipped")
    sys.exit(77)

DETT = sys.argv[1]
rs = np.random.RandomState(3)
n = {"train": 120, "val": 40, "test": 44}
ref = {}
for s, m in n.items():
    ref[s] = (rs.randn(m, 5).astype(np.float32), np.arange(m) % 2, (np.arange(m) // 2) % 2)
failures = []


def run(args):
    p = subprocess.run([DETT, "data"] + args, capture_output=True, text=True)
    return p.returncode, p.stderr


def check_same(out, want, shape=None):
    with h5py.File(out, "r") as f:
        for s in ("train", "val", "test"):
            X, y, a = want[s]
            got = f[s]["X"][...]
            if shape:
                if got.shape[1:] != shape:
                    failures.append("%s %s: X shape %s, want %s" % (out, s, got.shape, shape))
                X = X.reshape((X.shape[0],) + shape)
            if not (np.array_equal(got, X.astype(np.float32)) and np.array_equal(f[s]["y"][...], y)
                    and np.array_equal(f[s]["a"][...], a)):
                failures.append("%s: split %s differs" % (out, s))


def per_split(conv=lambda k, v: v):
    d = {}
    for s, (X, y, a) in ref.items():
        d["X_" + s], d["y_" + s], d["a_" + s] = conv("X", X), conv("y", y), conv("a", a)
    return d


def good(name, args, want=ref, shape=None):
    out = "npz_" + name + ".h5"
    rc, err = run(args + ["-o", out])
    if rc != 0:
        failures.append("%s: exit %d: %s" % (name, rc, err.strip()))
        return
    check_same(out, want, shape)
    print("ok", name)


np.savez("npz_per.npz", **per_split())
good("per", ["npz", "npz_per.npz"])
np.savez_compressed("npz_comp.npz", **per_split(
    lambda k, v: np.asfortranarray(v.astype(">f8")) if k == "X" else v.astype(np.uint8)))
good("compressed_f64_be_fortran", ["npz", "npz_comp.npz"])
np.savez("npz_lab.npz", **per_split(lambda k, v: v.astype(np.float32) if k == "y" else
                                    (v.astype(bool) if k == "a" else v)))
good("float_and_bool_labels", ["npz", "npz_lab.npz"])
X = np.concatenate([ref[s][0] for s in n]); y = np.concatenate([ref[s][1] for s in n])
a = np.concatenate([ref[s][2] for s in n])
split = np.concatenate([np.full(m, k, np.int64) for k, m in enumerate(n.values())])
np.savez("npz_one.npz", X=X, y=y, a=a, split=split)
good("one_set_split", ["npz", "npz_one.npz"])
os.makedirs("npz_dir", exist_ok=True)
for k, v in per_split().items():
    np.save(os.path.join("npz_dir", k + ".npy"), v)
good("npy_dir", ["npy", "npz_dir"])
# images: [n, 3, 2, 2] stay; [n, 4, 5] become [n, 1, 4, 5]
img = {s: (np.random.RandomState(k).rand(m, 12).astype(np.float32), y_, a_)
       for k, (s, (X_, y_, a_)) in enumerate(ref.items()) for m in [X_.shape[0]]}
np.savez("npz_img.npz", **{k: (v.reshape(v.shape[0], 3, 2, 2) if k[0] == "X" else v)
                           for k, v in {kk: vv for s, (Xi, yi, ai) in img.items()
                                        for kk, vv in (("X_" + s, Xi), ("y_" + s, yi), ("a_" + s, ai))}.items()})
good("images_nchw", ["npz", "npz_img.npz"], img, (3, 2, 2))
np.savez("npz_img3.npz", **{k: (v.reshape(v.shape[0], 3, 4) if k[0] == "X" else v)
                            for k, v in {kk: vv for s, (Xi, yi, ai) in img.items()
                                         for kk, vv in (("X_" + s, Xi), ("y_" + s, yi), ("a_" + s, ai))}.items()})
good("images_nhw", ["npz", "npz_img3.npz"], img, (1, 3, 4))
# fractions: every row lands in exactly one split, groups stratified
np.savez("npz_frac.npz", X=X, y=y, a=a)
rc, err = run(["npz", "npz_frac.npz", "-o", "npz_frac.h5", "--val-frac", "0.25", "--test-frac", "0.25"])
if rc != 0:
    failures.append("frac: " + err)
else:
    with h5py.File("npz_frac.h5", "r") as f:
        rows = sorted(map(tuple, np.concatenate([f[s]["X"][...] for s in ("train", "val", "test")])))
        if rows != sorted(map(tuple, X)):
            failures.append("frac: the rows are not a partition of X")
        g = y * 2 + a
        want = sum(int(np.floor(0.25 * np.sum(g == k) + 0.5)) for k in range(4))
        if f["val/X"].shape[0] != want:
            failures.append("frac: %d val rows, want %d" % (f["val/X"].shape[0], want))
    print("ok fractions")

bad = []
def refuse(name, arrays, frag, extra=()):
    path = "npz_bad_" + name + ".npz"
    np.savez(path, **arrays)
    rc, err = run(["npz", path, "-o", "npz_bad.h5"] + list(extra))
    lines = [l for l in err.splitlines() if l.startswith("dett:")]
    if rc != 1 or len(lines) != 1 or frag not in err or os.path.exists("npz_bad.h5"):
        failures.append("%s: exit %d, stderr %r (want %r)" % (name, rc, err, frag))
    else:
        print("refused", name + ":", lines[0])


base = per_split()
refuse("nan", dict(base, X_val=np.where(np.arange(40 * 5).reshape(40, 5) == 7, np.nan, base["X_val"])),
       "X_val: value nan at row 1, column 2 is not finite")
refuse("label_half", dict(base, y_train=base["y_train"] + 0.5), "y_train: value 0.5 at row 0 is not an integer")
refuse("label_big", dict(base, a_test=base["a_test"] * 2**40), "a_test: value 1.09951e+12 at row 2 is not an integer in 0..63")
refuse("missing", {k: v for k, v in base.items() if k != "a_val"}, "missing array 'a_val'")
refuse("unknown", dict(base, z=np.zeros(3)), "unknown array 'z'")
refuse("both", dict(base, X=X), "both X and X_train")
refuse("complex", dict(base, X_train=base["X_train"].astype(np.complex64)), "dtype '<c8' is not supported")
refuse("float16", dict(base, X_train=base["X_train"].astype(np.float16)), "float16) is not supported")
refuse("rows", dict(base, y_val=base["y_val"][:-1]), "y_val: expected shape (40,)")
refuse("shape", dict(base, X_test=np.zeros((44, 6), np.float32)), "X_test: the per-row shape differs")
refuse("emptygroup", dict(base, a_val=np.zeros(40, np.int64)), "has no rows in val")
refuse("split_vals", dict(X=X, y=y, a=a, split=split * 2), "split: value 4 at row")
refuse("split_and_frac", dict(X=X, y=y, a=a, split=split), "drop --val-frac", ["--val-frac", "0.1", "--test-frac", "0.1"])
with open("npz_bad_notzip.npz", "wb") as fh:
    fh.write(b"PK\x03\x04 this is no zip archive")
rc, err = run(["npz", "npz_bad_notzip.npz", "-o", "npz_bad.h5"])
if rc != 1 or "cannot open as a .npz (zip) archive" not in err:
    failures.append("notzip: %d %r" % (rc, err))
if failures:
    print("FAILED:\n  " + "\n  ".join(failures))
    sys.exit(1)
print("1 passed, 0 failed")
