#!/usr/bin/python3
"""export_npz.py - archives of `dett export`, checked with numpy alone.

    export_npz.py RESULTS.h5 DATA.h5 A.npz [B.npz ...]
        every archive: entry names are the nn.Sequential state_dict names of
        its layers with the right shapes, the metadata is there and agrees
        with the results file, and a numpy forward pass over DATA's test
        split gives exactly dett's per-group test accuracy at the job's
        selected epoch (as stored in RESULTS.h5 and in the archive)
    export_npz.py --projector PROJ.npz STUDENT.npz
        the projector archive is one Linear whose tensors are the student's
        projector (the layer before its frozen head)
Exits 0 when all pass, 1 otherwise.
"""
import sys

import h5py
import numpy as np

import dett_torch

failures = 0


def expect(cond, what):
    global failures
    if not cond:
        failures += 1
        print("FAILED:", what)


def check_names(path, z):
    """one weight and bias per dense/conv layer, at its sequence index"""
    want = set()
    for i, l in enumerate(z["layers"]):
        if l["kind"] == "dense":
            want |= {"%d.weight" % i, "%d.bias" % i}
            expect(z["%d.weight" % i].shape == (l["out"], l["in"]), "%s: %d.weight shape" % (path, i))
            expect(z["%d.bias" % i].shape == (l["out"],), "%s: %d.bias shape" % (path, i))
        elif l["kind"] == "conv":
            want |= {"%d.weight" % i, "%d.bias" % i}
            k = l["kernel"]
            expect(z["%d.weight" % i].shape == (l["out_channels"], l["in_channels"], k, k),
                   "%s: %d.weight shape" % (path, i))
    tensors = {k for k in z if k[0].isdigit()}
    expect(tensors == want, "%s: tensors %s, expected %s" % (path, sorted(tensors), sorted(want)))
    for k in tensors:
        expect(z[k].dtype == np.float32, "%s: %s is %s" % (path, k, z[k].dtype))


def check_model(res, data, path):
    z = dett_torch.load_npz(path)
    check_names(path, z)
    job = str(z["job"])
    with h5py.File(res, "r") as f:
        g = f["jobs/" + job]
        expect(str(z["arch"]) == g.attrs["arch"], "%s: arch %s" % (path, z["arch"]))
        expect(z["config"]["method"] == g.attrs["method"] and
               z["config"]["seed"] == int(g.attrs["seed"]), "%s: config" % path)
        sel = ["val-worst", "val-avg", "oracle", "val-worst-class"].index(g.attrs["select"])
        e = int(g["selected"][sel])
        stored = g["acc"][e, 1, :]
        n_attrs = int(g.attrs["n_attrs"])
    expect(int(z["epoch"]) == e, "%s: epoch %d vs %d" % (path, int(z["epoch"]), e))
    expect(np.array_equal(z["test_acc"], stored), "%s: test_acc metadata" % path)
    with h5py.File(data, "r") as f:
        X, y, a = f["test/X"][()], f["test/y"][()], f["test/a"][()]
    logits = dett_torch.numpy_forward(z, X)
    expect(logits.shape == (len(y), int(z["n_classes"])), "%s: logits %s" % (path, logits.shape))
    acc = dett_torch.group_accuracy(logits.argmax(1), y, a, len(stored), n_attrs)
    expect(np.array_equal(acc, stored),
           "%s: numpy per-group test accuracy %s, dett %s" % (path, acc.tolist(), stored.tolist()))
    print("%s (%s %s): numpy per-group test accuracy %s, dett's %s" %
          (path, job, z["arch"], np.round(acc, 6).tolist(), np.round(stored, 6).tolist()))


def check_projector(ppath, spath):
    p, s = dett_torch.load_npz(ppath), dett_torch.load_npz(spath)
    check_names(ppath, p)
    n = len(s["layers"])
    expect(str(p["what"]) == "projector" and len(p["layers"]) == 1 and
           p["layers"][0]["kind"] == "dense", "%s: one Linear" % ppath)
    expect(s["layers"][-1]["frozen"] and not s["layers"][-2]["frozen"], "student head frozen")
    expect(np.array_equal(p["0.weight"], s["%d.weight" % (n - 2)]) and
           np.array_equal(p["0.bias"], s["%d.bias" % (n - 2)]), "projector = student's layer n-2")
    print("%s: the projector of %s, %s" % (ppath, str(s["job"]), p["0.weight"].shape))


if len(sys.argv) == 4 and sys.argv[1] == "--projector":
    check_projector(sys.argv[2], sys.argv[3])
elif len(sys.argv) >= 4:
    for npz in sys.argv[3:]:
        check_model(sys.argv[1], sys.argv[2], npz)
else:
    print(__doc__)
    sys.exit(2)
print("export_npz: %d failed" % failures)
sys.exit(1 if failures else 0)
