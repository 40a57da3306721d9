#!/usr/bin/python3
"""export_torch.py - exported students in PyTorch reproduce dett exactly.

    export_torch.py RESULTS.h5 DATA.h5 A.npz ... [-- DATA2.h5 B.npz ...]

Each archive is loaded into a torch.nn.Sequential by scripts/dett_torch.py;
its per-group accuracy on DATA's test split must equal dett's (the results
file's acc at the job's selected epoch) to the last digit. Exits 77 (ctest:
skipped) with a message when torch is not installed.
"""
import sys

try:
    import torch
except ImportError:
    print("export_torch: PyTorch is not installed (Debian: apt-get install python3-torch): "
          "skipped")
    sys.exit(77)
import h5py
import numpy as np

import dett_torch

failures = 0
args = sys.argv[1:]
res = args.pop(0)
data = None
while args:
    a = args.pop(0)
    if a == "--":
        data = None
        continue
    if data is None:
        data = a
        continue
    z = dett_torch.load_npz(a)
    net = dett_torch.build_module(z)
    with h5py.File(data, "r") as f:
        X, y, ya = f["test/X"][()], f["test/y"][()], f["test/a"][()]
    with h5py.File(res, "r") as f:
        g = f["jobs/" + str(z["job"])]
        e = int(g["selected"][["val-worst", "val-avg", "oracle", "val-worst-class"].index(g.attrs["select"])])
        stored = g["acc"][e, 1, :]
        n_attrs = int(g.attrs["n_attrs"])
    with torch.no_grad():
        logits = net(torch.from_numpy(dett_torch.as_input(z, X))).numpy()
    acc = dett_torch.group_accuracy(logits.argmax(1), y, ya, len(stored), n_attrs)
    same = np.array_equal(acc, stored)
    print("%s (%s, torch %s): per-group test accuracy %s, dett %s: %s" %
          (a, z["arch"], torch.__version__, acc.tolist(), stored.tolist(),
           "equal" if same else "DIFFERENT"))
    if not same:
        failures += 1
print("export_torch: %d failed" % failures)
sys.exit(1 if failures else 0)
