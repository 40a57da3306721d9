#!/usr/bin/python3
"""torch_teacher.py - the PyTorch half of experiments/external_teacher.lua.

Trains a small CNN teacher on a dett image data file (cfmnist) in PyTorch,
debiased by group-balanced sampling (each (y, a) group drawn equally often:
a teacher that uses group labels, as group DRO does), and writes its teacher
file with scripts/teacher_from_torch.py:

  experiments/torch_teacher.py --data build/data/cf28.h5 --steps 3000 \\
      --model build/data/cnn28.pt -o build/data/teacher28.h5

The teacher file can then be used with any data file of the same rows and
labels (cfmnist at another --size, same --seed and --rho):
docs/pytorch.md walks through it.
"""
import argparse
import os
import sys

import numpy as np
import torch

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "scripts"))
import dett_teacher  # noqa: E402
import teacher_from_torch  # noqa: E402


def cnn(c, s, n_classes):
    """conv(16) -> pool -> conv(32) -> pool -> fc(64) -> head: the features
    are the 64 values entering the head"""
    return torch.nn.Sequential(
        torch.nn.Conv2d(c, 16, 3, padding=1), torch.nn.ReLU(), torch.nn.MaxPool2d(2),
        torch.nn.Conv2d(16, 32, 3, padding=1), torch.nn.ReLU(), torch.nn.MaxPool2d(2),
        torch.nn.Flatten(), torch.nn.Linear(32 * (s // 4) * (s // 4), 64), torch.nn.ReLU(),
        torch.nn.Linear(64, n_classes))


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--data", required=True)
    p.add_argument("--steps", type=int, default=3000)
    p.add_argument("--batch", type=int, default=128)
    p.add_argument("--lr", type=float, default=1e-3)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--model", help="also save the model (torch.save) here")
    p.add_argument("-o", "--out", required=True)
    a = p.parse_args()
    torch.manual_seed(a.seed)
    torch.set_num_threads(a.threads)
    d = dett_teacher.read_data(a.data)
    X = torch.from_numpy(d["train"][0])
    y = torch.from_numpy(d["train"][1]).long()
    g = y * (int(d["train"][2].max()) + 1) + torch.from_numpy(d["train"][2]).long()
    w = (1.0 / torch.bincount(g).float())[g]     # group-balanced sampling
    net = cnn(X.shape[1], X.shape[2], int(y.max()) + 1)
    opt = torch.optim.Adam(net.parameters(), lr=a.lr)
    for step in range(a.steps):
        idx = torch.multinomial(w, a.batch, replacement=True)
        loss = torch.nn.functional.cross_entropy(net(X[idx]), y[idx])
        opt.zero_grad()
        loss.backward()
        opt.step()
        if (step + 1) % 500 == 0:
            print("step %d loss %.4f" % (step + 1, loss.item()), flush=True)
    net.eval()
    if a.model:
        torch.save(net, a.model)
    teacher_from_torch.write_teacher(net, a.data, a.out)
    print("wrote", a.out)


if __name__ == "__main__":
    main()
