"""Helpers of the external-teacher tests (numpy and h5py only, no torch).

  external_teacher.py teacher DATA OUT [--no-eval] [--width F] [--seed S]
      a teacher trained outside dett: features = ReLU(X R) for a fixed random
      R, head fitted by group-balanced least squares on one-hot targets
      (a debiased teacher); prints its per-group accuracy
  external_teacher.py rotate DATA OUT
      a copy of DATA whose X is rotated by a random orthogonal matrix: the
      same rows and labels seen through another input (the student's)
  external_teacher.py digest DATA
      prints dett_teacher.label_digest(DATA)
  external_teacher.py bad KIND TEACHER OUT
      a broken copy of a teacher file: int-head (W stored as int64),
      short-rows (one training row missing), wrong-classes (C + 1 classes)
"""
import os
import shutil
import sys

import h5py
import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "scripts"))
import dett_teacher  # noqa: E402


def relu_features(X, width, seed):
    X = X.reshape(X.shape[0], -1).astype(np.float64)
    R = np.random.default_rng(seed).standard_normal((X.shape[1], width)) / np.sqrt(X.shape[1])
    return np.maximum(X @ R, 0.0)


def make_teacher(data, out, width=64, seed=0, with_eval=True):
    d = dett_teacher.read_data(data)
    with h5py.File(data, "r") as f:
        C, A = int(f.attrs["n_classes"]), int(f.attrs["n_attrs"])
    X, y, a = d["train"]
    F = relu_features(X, width, seed)
    # group-balanced least squares: every (y, a) group weighs the same
    g = y.astype(np.int64) * A + a
    w = 1.0 / np.bincount(g, minlength=C * A)[g]
    Z = np.hstack([F, np.ones((F.shape[0], 1))])
    T = np.eye(C)[y]
    sw = np.sqrt(w)[:, None]
    lam = 1e-3 * np.eye(Z.shape[1])
    coef = np.linalg.solve((Z * sw).T @ (Z * sw) + lam, (Z * sw).T @ (T * sw))
    W, b = coef[:-1].T, coef[-1]
    feats = {s: relu_features(d[s][0], width, seed) for s in ("val", "test")}
    dett_teacher.write(out, data, F, W, b,
                       val_features=feats["val"] if with_eval else None,
                       test_features=feats["test"] if with_eval else None,
                       source="tests/external_teacher.py: random ReLU features, "
                              "group-balanced least-squares head")
    for s in ("val", "test"):
        acc = dett_teacher.group_accuracy(feats[s] @ W.T + b, d[s][1], d[s][2], A)
        print("teacher %s worst-group %.4f %s" % (s, min(acc.values()), acc))


def rotate(data, out):
    shutil.copyfile(data, out)
    with h5py.File(out, "r+") as f:
        d = int(np.prod(f["train/X"].shape[1:]))
        Q, _ = np.linalg.qr(np.random.default_rng(7).standard_normal((d, d)))
        for s in ("train", "val", "test"):
            X = f[s]["X"][()].reshape(f[s]["X"].shape[0], -1)
            del f[s]["X"]
            f[s].create_dataset("X", data=(X @ Q).astype(np.float32))


def bad(kind, teacher, out):
    shutil.copyfile(teacher, out)
    with h5py.File(out, "r+") as f:
        if kind == "int-head":
            W = f["head/W"][()]
            del f["head/W"]
            f.create_dataset("head/W", data=np.round(W).astype(np.int64))
        elif kind == "short-rows":
            X = f["train/features"][()]
            del f["train/features"]
            f.create_dataset("train/features", data=X[:-1])
        elif kind == "wrong-classes":
            W, b = f["head/W"][()], f["head/b"][()]
            del f["head/W"], f["head/b"]
            f.create_dataset("head/W", data=np.vstack([W, W[:1]]))
            f.create_dataset("head/b", data=np.concatenate([b, b[:1]]))
        else:
            raise SystemExit("unknown kind " + kind)


def main(argv):
    if argv[0] == "teacher":
        width = int(argv[argv.index("--width") + 1]) if "--width" in argv else 64
        seed = int(argv[argv.index("--seed") + 1]) if "--seed" in argv else 0
        make_teacher(argv[1], argv[2], width, seed, "--no-eval" not in argv)
    elif argv[0] == "rotate":
        rotate(argv[1], argv[2])
    elif argv[0] == "digest":
        print(dett_teacher.label_digest(argv[1]))
    elif argv[0] == "bad":
        bad(argv[1], argv[2], argv[3])
    else:
        raise SystemExit(__doc__)


if __name__ == "__main__":
    main(sys.argv[1:])
