"""The torch side of tests/teacher_torch.sh.

  teacher_torch.py prepare BIG.h5 SMALL.h5 CNN.pt
      trains a small CNN teacher on BIG's images with group-balanced
      sampling weights (a debiased teacher), saves it whole (torch.save),
      writes SMALL.h5: the same rows as flat vectors [n, c*h*w] (the
      student's input: another shape, the same labels), and checks that the teacher file's features and head
      reproduce the model's logits; prints the model's test worst-group
  teacher_torch.py check RESULTS.h5 TORCH.txt
      every job done; the teacher row's test worst-group accuracy is the
      model's; kd, simkd and dett beat ERM's worst group
"""
import re
import shutil
import sys

import h5py
import numpy as np
import torch

import dett_teacher
import teacher_from_torch


def prepare(big, small, out):
    torch.manual_seed(0)
    d = dett_teacher.read_data(big)
    X, y, a = (torch.from_numpy(v) for v in d["train"])
    y, a = y.long(), a.long()
    net = torch.nn.Sequential(
        torch.nn.Conv2d(2, 8, 3, padding=1), torch.nn.ReLU(), torch.nn.MaxPool2d(2),
        torch.nn.Flatten(), torch.nn.Linear(8 * 3 * 3, 16), torch.nn.ReLU(),
        torch.nn.Linear(16, 2))
    g = y * 2 + a
    w = (1.0 / torch.bincount(g, minlength=4).float())[g]
    opt = torch.optim.Adam(net.parameters(), lr=1e-2)
    for _ in range(300):
        idx = torch.multinomial(w, 128, replacement=True)
        loss = torch.nn.functional.cross_entropy(net(X[idx]), y[idx])
        opt.zero_grad()
        loss.backward()
        opt.step()
    net.eval()
    torch.save(net, out)
    with torch.no_grad():
        z = net(torch.from_numpy(d["test"][0])).numpy()
    acc = dett_teacher.group_accuracy(z, d["test"][1], d["test"][2], 2)
    print("torch teacher test worst-group %r %s" % (min(acc.values()), acc))
    # the file the Python API writes: its features and head give the logits
    teacher_from_torch.write_teacher(net, big, "api.h5", quiet=True)
    with h5py.File("api.h5", "r") as f:
        zf = f["test/features"][()] @ f["head/W"][()].T + f["head/b"][()]
    assert np.allclose(zf, z, atol=1e-4), np.abs(zf - z).max()
    shutil.copyfile(big, small)
    with h5py.File(small, "r+") as f:
        for s in ("train", "val", "test"):
            Xs = f[s]["X"][()]
            del f[s]["X"]
            f[s].create_dataset("X", data=Xs.reshape(Xs.shape[0], -1).astype(np.float32))


def check(results, torch_txt):
    teacher = float(re.search(r"worst-group ([0-9.]+)", open(torch_txt).read()).group(1))
    f = h5py.File(results, "r")
    by = {}
    for r in f["jobs/table"][()]:
        j = r["id"].decode()
        assert r["status"] == 2, (j, r)
        if r["kind"] == b"ident":
            continue
        g = f["jobs"][j]
        by[g.attrs["method"]] = float(g["worst"][g["selected"][0], 1])
    print("test worst-group:", by, "torch teacher", teacher)
    assert abs(by["external"] - teacher) < 1e-9, (by["external"], teacher)
    for m in ("kd", "simkd", "dett"):
        assert by[m] >= by["erm"], (m, by[m], by["erm"])


if __name__ == "__main__":
    if sys.argv[1] == "prepare":
        prepare(*sys.argv[2:5])
    else:
        check(*sys.argv[2:4])
