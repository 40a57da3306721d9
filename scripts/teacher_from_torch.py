#!/usr/bin/python3
"""teacher_from_torch.py - a dett teacher file from a PyTorch model.

dett distils from a teacher trained anywhere through a teacher file
(``teacher = external "teacher.h5"`` in a grid; docs/pytorch.md): the
teacher's penultimate features of every row of a dett data file, its last
layer, and the digest of the data file's labels. This script makes one from
a trained PyTorch classifier:

  features  the input of the model's last nn.Linear (a forward pre-hook), or
            the output of the module named by --layer (a forward hook), or
            model.features(x) if --features-method is given; flattened to
            [n, f]
  head      the last nn.Linear of the model (W [C, f], b [C])

Command line (the model saved whole with torch.save(model, path); --import
runs a Python file first, for the model's class):

  teacher_from_torch.py --data data.h5 --model teacher.pt [--import cnn.py]
                        [--layer NAME | --features-method] [--batch 512]
                        [--device cpu] -o teacher.h5

From Python, with the model object at hand:

  import teacher_from_torch
  teacher_from_torch.write_teacher(model, "data.h5", "teacher.h5")

The model sees the data file's X as stored ([n, d] or [n, c, h, w],
float32); pass ``transform`` (Python) to adapt it. It prints the teacher's
per-group accuracy on val and test computed from the written features and
head (what `dett report` will show as the teacher's row).
"""
import argparse
import os
import runpy
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import dett_teacher  # noqa: E402


def last_linear(model):
    """the last torch.nn.Linear among model.modules()"""
    import torch
    lin = [m for m in model.modules() if isinstance(m, torch.nn.Linear)]
    if not lin:
        raise SystemExit("teacher_from_torch: the model has no nn.Linear (its head)")
    return lin[-1]


def features(model, X, layer=None, features_method=False, batch=512, device="cpu",
             transform=None):
    """[n, f] float32 features of X (numpy) under model (eval mode, no grad)"""
    import torch
    model.eval()
    got = []
    if features_method:
        hook = None
    elif layer:
        mod = dict(model.named_modules()).get(layer)
        if mod is None:
            raise SystemExit("teacher_from_torch: no module named '%s' (modules: %s)"
                             % (layer, ", ".join(n for n, _ in model.named_modules() if n)))
        hook = mod.register_forward_hook(lambda m, i, o: got.append(o))
    else:
        hook = last_linear(model).register_forward_pre_hook(lambda m, i: got.append(i[0]))
    out = []
    try:
        with torch.no_grad():
            for i in range(0, X.shape[0], batch):
                x = torch.from_numpy(np.ascontiguousarray(X[i:i + batch], dtype=np.float32))
                if transform is not None:
                    x = transform(x)
                x = x.to(device)
                if features_method:
                    f = model.features(x)
                else:
                    got.clear()
                    model(x)
                    f = got[-1]
                out.append(f.reshape(f.shape[0], -1).float().cpu().numpy())
    finally:
        if hook is not None:
            hook.remove()
    return np.concatenate(out) if out else np.zeros((0, 0), np.float32)


def write_teacher(model, data_path, out_path, layer=None, features_method=False, batch=512,
                  device="cpu", transform=None, evaluate=True, quiet=False):
    """Writes the teacher file of model for data_path to out_path; returns
    {split: {(y, a): accuracy}} of the written features and head."""
    head = last_linear(model)
    W = head.weight.detach().float().cpu().numpy()
    b = (head.bias.detach().float().cpu().numpy() if head.bias is not None
         else np.zeros(W.shape[0], np.float32))
    d = dett_teacher.read_data(data_path)
    splits = ("train", "val", "test") if evaluate else ("train",)
    F = {s: features(model, d[s][0], layer, features_method, batch, device, transform)
         for s in splits}
    if F["train"].shape[1] != W.shape[1]:
        raise SystemExit("teacher_from_torch: the features have %d values per row but the "
                         "last nn.Linear takes %d: pick the module whose output is the head's "
                         "input (--layer)" % (F["train"].shape[1], W.shape[1]))
    dett_teacher.write(out_path, data_path, F["train"], W, b,
                       val_features=F.get("val"), test_features=F.get("test"),
                       source="scripts/teacher_from_torch.py: %s" % type(model).__name__)
    acc = {}
    for s in splits[1:]:
        acc[s] = dett_teacher.group_accuracy(F[s] @ W.T + b, d[s][1], d[s][2], None)
        if not quiet:
            print("teacher %s: worst-group %.4f, per group %s"
                  % (s, min(acc[s].values()),
                     ", ".join("(%d,%d) %.4f" % (g[0], g[1], v) for g, v in acc[s].items())))
    return acc


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--data", required=True, help="the dett data file (h5)")
    p.add_argument("--model", required=True, help="torch.save(model) file")
    p.add_argument("--import", dest="imports", action="append", default=[],
                   help="a Python file to run first (defines the model's class)")
    p.add_argument("--layer", help="module whose output is the features")
    p.add_argument("--features-method", action="store_true",
                   help="features from model.features(x)")
    p.add_argument("--batch", type=int, default=512)
    p.add_argument("--device", default="cpu")
    p.add_argument("--no-eval", action="store_true", help="train features only")
    p.add_argument("-o", "--out", required=True)
    a = p.parse_args(argv)
    import torch
    for f in a.imports:
        g = runpy.run_path(f)
        main_mod = sys.modules["__main__"]
        for k, v in g.items():   # classes pickled from a script live in __main__
            if isinstance(v, type) and not hasattr(main_mod, k):
                setattr(main_mod, k, v)
    model = torch.load(a.model, map_location=a.device)
    if not isinstance(model, torch.nn.Module):
        raise SystemExit("teacher_from_torch: %s holds a %s, not a torch.nn.Module (save the "
                         "model with torch.save(model, path), not its state_dict)"
                         % (a.model, type(model).__name__))
    model.to(a.device)
    write_teacher(model, a.data, a.out, a.layer, a.features_method, a.batch, a.device,
                  evaluate=not a.no_eval)
    print("wrote %s (label digest %s)" % (a.out, dett_teacher.label_digest(a.data)))


if __name__ == "__main__":
    main()
