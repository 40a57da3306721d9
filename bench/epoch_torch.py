"""epoch_torch.py - PyTorch's side of bench/epoch.sh: what `dett train
--epochs E` does, on one thread: read a dett dataset file (h5py), train an
MLP with ERM (softmax cross-entropy, SGD with momentum and weight decay,
a fresh random order of the training rows each epoch), evaluate per-group
accuracy on val and test after each epoch, print the worst group.

    /usr/bin/python3 bench/epoch_torch.py --data FILE.h5 --arch 256,256 \
        [--epochs 1] [--batch 128] [--lr 0.01] [--momentum 0.9] [--wd 1e-4]

Prints key=value lines: load_s (file to tensors), train_s (the epochs with
their evaluations), worst_val, worst_test.
"""
import argparse
import time

import h5py
import numpy as np
import torch
import torch.nn.functional as F
from step_torch import mlp   # bench/step_torch.py: the same nn.Sequential MLP


def load(path):
    """train/val/test as (X [n, d] float32, y, a) tensors"""
    out = {}
    with h5py.File(path, "r") as f:
        for split in ("train", "val", "test"):
            g = f[split]
            x = torch.from_numpy(np.asarray(g["X"], dtype=np.float32))
            out[split] = (x.reshape(x.shape[0], -1),
                          torch.from_numpy(np.asarray(g["y"], dtype=np.int64)),
                          torch.from_numpy(np.asarray(g["a"], dtype=np.int64)))
        n_cls, n_attr = int(f.attrs["n_classes"]), int(f.attrs["n_attrs"])
    return out, n_cls, n_attr


@torch.no_grad()
def worst_group(model, split, n_groups, n_attr):
    x, y, a = split
    correct = torch.zeros(n_groups)
    total = torch.zeros(n_groups)
    for i in range(0, x.shape[0], 256):
        pred = model(x[i:i + 256]).argmax(1)
        g = y[i:i + 256] * n_attr + a[i:i + 256]
        correct.index_add_(0, g, (pred == y[i:i + 256]).float())
        total.index_add_(0, g, torch.ones_like(g, dtype=torch.float))
    present = total > 0
    return float((correct[present] / total[present]).min())


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--data", required=True)
    p.add_argument("--arch", default="64,64")
    p.add_argument("--epochs", type=int, default=1)
    p.add_argument("--batch", type=int, default=128)
    p.add_argument("--lr", type=float, default=0.01)
    p.add_argument("--momentum", type=float, default=0.9)
    p.add_argument("--wd", type=float, default=1e-4)
    p.add_argument("--seed", type=int, default=1)
    args = p.parse_args()
    torch.set_num_threads(1)
    torch.manual_seed(args.seed)

    t0 = time.perf_counter()
    data, n_cls, n_attr = load(args.data)
    t1 = time.perf_counter()
    x, y, a = data["train"]
    widths = [x.shape[1]] + [int(w) for w in args.arch.split(",") if w] + [n_cls]
    model = mlp(widths)
    opt = torch.optim.SGD(model.parameters(), lr=args.lr, momentum=args.momentum,
                          weight_decay=args.wd)
    worst = {}
    for _ in range(args.epochs):
        order = torch.randperm(x.shape[0])
        for i in range(0, x.shape[0] - args.batch + 1, args.batch):   # full batches
            idx = order[i:i + args.batch]
            opt.zero_grad()
            F.cross_entropy(model(x[idx]), y[idx]).backward()
            opt.step()
        for split in ("val", "test"):
            worst[split] = worst_group(model, data[split], n_cls * n_attr, n_attr)
    t2 = time.perf_counter()
    print(f"load_s={t1 - t0:.3f} train_s={t2 - t1:.3f} "
          f"worst_val={worst['val']:.4f} worst_test={worst['test']:.4f}")


if __name__ == "__main__":
    main()
