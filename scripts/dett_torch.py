#!/usr/bin/python3
"""dett_torch.py - a model exported by `dett export` in numpy or PyTorch.

`dett export RESULTS.h5 JOB -o student.npz` writes a job's trained model as
a numpy .npz: its tensors under the names of a torch.nn.Sequential
state_dict ("0.weight", "0.bias", "2.weight", ...), one module per dett
layer, plus metadata entries:

    arch         the architecture text, e.g. "mlp[64,64]"
    layers       JSON list of the modules: {"kind": "dense", "in", "out"},
                 {"kind": "conv", "in_channels", "out_channels", "kernel",
                 "stride", "padding"}, {"kind": "relu"}, {"kind": "maxpool" |
                 "avgpool", "kernel"}, {"kind": "gap"} (global average pool
                 to [B, C]); each with "frozen"
    config       JSON object: every configuration attribute of the job
    input_shape  per-row input shape, [d] or [c, h, w]
    n_classes    the number of classes
    val_acc, test_acc   dett's per-group accuracy [G] at the job's selected
                 epoch (group g = y * n_attrs + a); epoch: that epoch (0-based)

Usage:

    import dett_torch
    net = dett_torch.load_module("student.npz")   # a torch.nn.Sequential
    logits = net(dett_torch.as_input(net_npz, X))  # X as in the data file

    z = dett_torch.load_npz("student.npz")         # numpy only, no torch
    logits = dett_torch.numpy_forward(z, X)

Inputs: an MLP takes rows flattened to [B, d] (as dett does: an image data
file's [n, c, h, w] rows are flattened); a CNN takes [B, c, h, w].
`as_input(z, X)` reshapes X accordingly.

    python3 scripts/dett_torch.py student.npz DATA.h5   # per-group test accuracy
"""
import json
import sys

import numpy as np


def load_npz(path):
    """the archive as a dict: arrays, with "layers" and "config" parsed"""
    with np.load(path, allow_pickle=False) as f:
        z = {k: f[k] for k in f.files}
    z["layers"] = json.loads(str(z["layers"]))
    if "config" in z:
        z["config"] = json.loads(str(z["config"]))
    return z


def as_input(z, X):
    """X [n, ...] shaped as the model's first layer wants it"""
    X = np.asarray(X, dtype=np.float32)
    if z["layers"][0]["kind"] == "conv":
        return X.reshape(X.shape[0], *[int(v) for v in z["input_shape"]])
    return X.reshape(X.shape[0], -1)


def _conv_numpy(x, w, b, stride, pad):
    """2-D convolution of x [B, C, H, W] with w [OC, C, k, k] (cross-correlation, as torch)"""
    B, C, H, W = x.shape
    OC, _, k, _ = w.shape
    xp = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)))
    OH = (H + 2 * pad - k) // stride + 1
    OW = (W + 2 * pad - k) // stride + 1
    cols = np.empty((B, C, k, k, OH, OW), dtype=x.dtype)
    for i in range(k):
        for j in range(k):
            cols[:, :, i, j] = xp[:, :, i:i + stride * OH:stride, j:j + stride * OW:stride]
    out = np.einsum("bcijhw,ocij->bohw", cols, w, optimize=True)
    return out + b[None, :, None, None]


def _pool_numpy(x, k, op):
    B, C, H, W = x.shape
    x = x[:, :, :H // k * k, :W // k * k].reshape(B, C, H // k, k, W // k, k)
    return op(x, axis=(3, 5))


def numpy_forward(z, X):
    """logits [n, n_classes] of the exported model on X (float32 arithmetic)"""
    x = as_input(z, X)
    for i, l in enumerate(z["layers"]):
        kind = l["kind"]
        if kind == "dense":
            x = x @ z["%d.weight" % i].T + z["%d.bias" % i]
        elif kind == "relu":
            x = np.maximum(x, 0)
        elif kind == "conv":
            x = _conv_numpy(x, z["%d.weight" % i], z["%d.bias" % i], l["stride"], l["padding"])
        elif kind == "maxpool":
            x = _pool_numpy(x, l["kernel"], np.max)
        elif kind == "avgpool":
            x = _pool_numpy(x, l["kernel"], np.mean)
        elif kind == "gap":
            x = x.mean(axis=(2, 3))
        else:
            raise ValueError("unknown layer kind %r" % kind)
        x = x.astype(np.float32)
    return x


def build_module(z):
    """a torch.nn.Sequential of the exported layers, parameters loaded"""
    import torch
    from torch import nn

    class GlobalAvgPool(nn.Module):
        """[B, C, H, W] -> [B, C]: dett's gap layer"""

        def forward(self, x):
            return x.mean(dim=(2, 3))

    mods = []
    for l in z["layers"]:
        kind = l["kind"]
        if kind == "dense":
            mods.append(nn.Linear(l["in"], l["out"]))
        elif kind == "relu":
            mods.append(nn.ReLU())
        elif kind == "conv":
            mods.append(nn.Conv2d(l["in_channels"], l["out_channels"], l["kernel"],
                                  stride=l["stride"], padding=l["padding"]))
        elif kind == "maxpool":
            mods.append(nn.MaxPool2d(l["kernel"]))
        elif kind == "avgpool":
            mods.append(nn.AvgPool2d(l["kernel"]))
        elif kind == "gap":
            mods.append(GlobalAvgPool())
        else:
            raise ValueError("unknown layer kind %r" % kind)
    net = nn.Sequential(*mods)
    state = {k: torch.from_numpy(np.ascontiguousarray(z[k]))
             for k in net.state_dict().keys()}
    net.load_state_dict(state, strict=True)
    for i, l in enumerate(z["layers"]):
        if l.get("frozen"):
            for p in net[i].parameters():
                p.requires_grad_(False)
    return net.eval()


def load_module(path):
    """build_module(load_npz(path))"""
    return build_module(load_npz(path))


def group_accuracy(pred, y, a, n_groups, n_attrs):
    """per-group accuracy [G] of predictions, group g = y * n_attrs + a"""
    g = np.asarray(y) * n_attrs + np.asarray(a)
    correct = np.asarray(pred) == np.asarray(y)
    return np.array([correct[g == k].sum() / max(1, (g == k).sum()) for k in range(n_groups)])


def main(argv):
    if len(argv) != 3:
        print(__doc__)
        return 2
    import h5py
    z = load_npz(argv[1])
    with h5py.File(argv[2], "r") as f:
        X, y, a = f["test/X"][()], f["test/y"][()], f["test/a"][()]
        n_attrs = int(f.attrs["n_attrs"])
    G = int(z["n_classes"]) * n_attrs
    try:
        import torch
        with torch.no_grad():
            logits = build_module(z)(torch.from_numpy(as_input(z, X))).numpy()
        how = "torch"
    except ImportError:
        logits = numpy_forward(z, X)
        how = "numpy"
    acc = group_accuracy(logits.argmax(1), y, a, G, n_attrs)
    print("%s (%s): test accuracy per group %s; dett: %s" %
          (argv[1], how, np.round(acc, 6).tolist(), np.round(z["test_acc"], 6).tolist()))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
