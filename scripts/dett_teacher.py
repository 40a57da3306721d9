"""dett_teacher - write an external teacher file for dett (numpy and h5py only).

A teacher file holds a teacher's penultimate features of every training row
of a dett data file (in the data file's row order), its last layer (W, b),
optionally its features of the val and test rows, and the digest of the data
file's labels that binds it to that data (docs/results-format.md, "Teacher
file"). A grid uses it with ``teacher = external "teacher.h5"``.

    import dett_teacher
    dett_teacher.write("teacher.h5", "data.h5", train_features, W, b,
                       val_features=..., test_features=...)

``label_digest(data_path)`` is the same SHA-256 dett computes in C
(runtime/io/teacher_file.c): "dett-label-digest/1\\n", then for train, val
and test the row count as int64 little-endian, every y and every a as int32
little-endian.  scripts/teacher_from_torch.py makes the features with a
PyTorch model.
"""
import hashlib

import h5py
import numpy as np

FORMAT = "dett-teacher"
FORMAT_VERSION = 1
SPLITS = ("train", "val", "test")


def label_digest(data_path):
    """hex SHA-256 of the labels (y, a) of every split of a dett data file"""
    h = hashlib.sha256(b"dett-label-digest/1\n")
    with h5py.File(data_path, "r") as f:
        for s in SPLITS:
            y = np.asarray(f[s]["y"][()]).astype("<i4", casting="unsafe").ravel()
            a = np.asarray(f[s]["a"][()]).astype("<i4", casting="unsafe").ravel()
            h.update(np.int64(y.shape[0]).astype("<i8").tobytes())
            h.update(y.tobytes())
            h.update(a.tobytes())
    return h.hexdigest()


def read_data(data_path):
    """{split: (X, y, a)} of a dett data file, as stored"""
    out = {}
    with h5py.File(data_path, "r") as f:
        for s in SPLITS:
            out[s] = (f[s]["X"][()], f[s]["y"][()], f[s]["a"][()])
    return out


def _features(name, v, n, f):
    v = np.ascontiguousarray(np.asarray(v, dtype=np.float32))
    if v.ndim != 2 or v.shape[0] != n or (f is not None and v.shape[1] != f):
        raise ValueError("%s: expected [%d, %s], got %s" % (name, n, f if f else "f", v.shape))
    if not np.all(np.isfinite(v)):
        raise ValueError("%s: non-finite values" % name)
    return v


def write(path, data_path, train_features, W, b, val_features=None, test_features=None,
          source=""):
    """Writes the teacher file at path for the data file data_path: features
    [n_split, f] in the data file's row order, W [C, f], b [C]
    (logits = features @ W.T + b). Checks the shapes against the data."""
    with h5py.File(data_path, "r") as f:
        n = {s: int(f[s]["y"].shape[0]) for s in SPLITS}
        C = int(f.attrs["n_classes"])
    W = np.ascontiguousarray(np.asarray(W, dtype=np.float32))
    b = np.ascontiguousarray(np.asarray(b, dtype=np.float32)).ravel()
    if W.ndim != 2 or W.shape[0] != C or b.shape != (C,):
        raise ValueError("head: expected W [%d, f] and b [%d], got %s and %s"
                         % (C, C, W.shape, b.shape))
    fdim = W.shape[1]
    feats = {"train": _features("train_features", train_features, n["train"], fdim)}
    if val_features is not None:
        feats["val"] = _features("val_features", val_features, n["val"], fdim)
    if test_features is not None:
        feats["test"] = _features("test_features", test_features, n["test"], fdim)
    digest = label_digest(data_path)
    tmp = path + ".tmp"
    with h5py.File(tmp, "w") as out:
        out.attrs["format"] = FORMAT
        out.attrs["format_version"] = np.int32(FORMAT_VERSION)
        out.attrs["label_digest"] = digest
        out.attrs["source"] = source
        for s, v in feats.items():
            out.create_dataset(s + "/features", data=v)
        out.create_dataset("head/W", data=W)
        out.create_dataset("head/b", data=b)
    import os
    os.replace(tmp, path)
    return digest


def group_accuracy(logits, y, a, n_attrs):
    """{(y, a): accuracy} of logits [n, C]"""
    pred = np.argmax(logits, axis=1)
    out = {}
    for g in sorted(set(zip(y.tolist(), a.tolist()))):
        m = (y == g[0]) & (a == g[1])
        out[g] = float(np.mean(pred[m] == y[m]))
    return out
