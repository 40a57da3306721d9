"""grid_torch.py - PyTorch's side of bench/grid_vs_torch.sh: the jobs of
bench/grid_vs_torch.lua as a minimal PyTorch sweep, in WORKERS processes
(default 2, one per core) of one thread each.

    /usr/bin/python3 bench/grid_torch.py --data cfmnist14.h5 --epochs E [--workers 2]

The parent reads the dataset (h5py), then forks the workers (multiprocessing
'fork': torch is imported and the data loaded once, shared copy-on-write) and
hands them ready jobs, dependencies first: the teacher and the
identification models, then every student whose teacher (and identification
model) is done. Each job trains full batches of 128 rows in a fresh random
order every epoch and evaluates per-group accuracy on val and test after
every epoch; the reported figure is test worst-group accuracy at the epoch
with the best validation worst-group accuracy (the first on ties), as dett's
select = "val-worst". The methods, written out minimally:

  erm       cross-entropy
  groupdro  online group DRO as group_DRO's loss.py: per-group mean losses of
            the batch, q <- q * exp(eta * loss_g), q /= sum(q), loss q . loss_g
            (adj 0)
  kd        (1 - alpha) CE + alpha T^2 KL(softmax(z_t / T) || softmax(z_s / T)),
            T 4, alpha 0.9; teacher logits computed once per job
  simkd     the teacher's head, frozen, on a linear projector (student width
            -> 256) of the student's features; loss: feature MSE to the
            teacher's features (mean over features, sum over the batch / 128)
  dett      as simkd with per-sample weights: 50 for the training rows a
            1-epoch ERM identification model (the student's architecture and
            AdamW) misclassifies, 1 otherwise
  teacher   group DRO, mlp{256, 256}; its parameters at its selected epoch
Optimisers: SGD(lr 0.01, momentum 0.9, wd 1e-4) for the teacher, erm,
groupdro and kd; AdamW(lr 1e-3, wd 1e-4) for simkd, dett and the
identification models (dett's defaults).

Prints one line per job (as it finishes) and, at the end, the table
"method width: mean and std over seeds of test worst-group accuracy" as
key=value lines: row method=.. width=.. worst_mean=.. worst_std=.. n=..
"""
import argparse
import multiprocessing as mp
import statistics
import time

import h5py
import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

BATCH = 128
DATA = {}          # split -> (X, y, a, g); set in the parent before the fork
FLUSH_DENORMAL = False   # --flush-denormal; set in the parent before the fork


def load(path):
    with h5py.File(path, "r") as f:
        n_cls, n_attr = int(f.attrs["n_classes"]), int(f.attrs["n_attrs"])
        for split in ("train", "val", "test"):
            g = f[split]
            x = torch.from_numpy(np.asarray(g["X"], dtype=np.float32))
            y = torch.from_numpy(np.asarray(g["y"], dtype=np.int64))
            a = torch.from_numpy(np.asarray(g["a"], dtype=np.int64))
            DATA[split] = (x.reshape(x.shape[0], -1), y, a, y * n_attr + a)
    DATA["n_cls"], DATA["n_groups"] = n_cls, n_cls * n_attr


class Net(nn.Module):
    """MLP body (Linear + ReLU per hidden width) and a linear head; with a
    projector (simkd/dett) the features are projected before the head"""

    def __init__(self, d, widths, n_cls, proj_to=None):
        super().__init__()
        layers = []
        for w in widths:
            layers += [nn.Linear(d, w), nn.ReLU()]
            d = w
        self.body = nn.Sequential(*layers)
        self.proj = nn.Linear(d, proj_to) if proj_to else None
        self.head = nn.Linear(proj_to or d, n_cls)

    def features(self, x):
        f = self.body(x)
        return self.proj(f) if self.proj is not None else f

    def forward(self, x):
        return self.head(self.features(x))


@torch.no_grad()
def worst_group(model, split):
    x, y, _, g = DATA[split]
    G = DATA["n_groups"]
    correct, total = torch.zeros(G), torch.zeros(G)
    for i in range(0, x.shape[0], 256):
        pred = model(x[i:i + 256]).argmax(1)
        correct.index_add_(0, g[i:i + 256], (pred == y[i:i + 256]).float())
        total.index_add_(0, g[i:i + 256], torch.ones(pred.shape[0]))
    present = total > 0
    return float((correct[present] / total[present]).min())


@torch.no_grad()
def teacher_outputs(teacher):
    """logits and features of the teacher on every training row"""
    x = DATA["train"][0]
    z, f = [], []
    for i in range(0, x.shape[0], 256):
        fi = teacher.features(x[i:i + 256])
        f.append(fi)
        z.append(teacher.head(fi))
    return torch.cat(z), torch.cat(f)


def run_job(job, deps):
    """one job; returns (name, result dict)"""
    torch.set_num_threads(1)
    if FLUSH_DENORMAL:
        torch.set_flush_denormal(True)
    torch.manual_seed(1000 * job["seed"] + job["uid"])
    x, y, _, g = DATA["train"]
    d, C, G = x.shape[1], DATA["n_cls"], DATA["n_groups"]
    kind = job["method"]
    t_logits = t_feats = weights = None
    if kind in ("kd", "simkd", "dett"):
        teacher = Net(d, [256, 256], C)
        teacher.load_state_dict(deps["teacher"]["state"])
        teacher.eval()
        t_logits, t_feats = teacher_outputs(teacher)
    if kind in ("simkd", "dett"):
        model = Net(d, job["widths"], C, proj_to=256)
        model.head.load_state_dict(teacher.head.state_dict())
        for p in model.head.parameters():
            p.requires_grad_(False)
    else:
        model = Net(d, job["widths"], C)
    if kind == "dett":
        weights = torch.where(deps["ident"]["errors"], 50.0, 1.0)
    params = [p for p in model.parameters() if p.requires_grad]
    if job["optim"] == "sgd":
        opt = torch.optim.SGD(params, lr=0.01, momentum=0.9, weight_decay=1e-4)
    else:
        opt = torch.optim.AdamW(params, lr=1e-3, weight_decay=1e-4)
    q = torch.full((G,), 1.0 / G)
    best_val, best_test, best_state = -1.0, 0.0, None
    n = x.shape[0]
    for _ in range(job["epochs"]):
        order = torch.randperm(n)
        for i in range(0, n - BATCH + 1, BATCH):      # full batches
            idx = order[i:i + BATCH]
            xb, yb = x[idx], y[idx]
            opt.zero_grad()
            if kind in ("simkd", "dett"):
                mse = ((model.features(xb) - t_feats[idx]) ** 2).mean(1)
                if kind == "dett":
                    mse = mse * weights[idx]
                loss = mse.sum() / BATCH
            else:
                z = model(xb)
                if kind == "groupdro":
                    losses = F.cross_entropy(z, yb, reduction="none")
                    gmap = (g[idx] == torch.arange(G).unsqueeze(1)).float()
                    count = gmap.sum(1)
                    gloss = (gmap @ losses) / (count + (count == 0).float())
                    q = q * torch.exp(0.01 * gloss.detach())
                    q = q / q.sum()
                    loss = gloss @ q
                elif kind == "kd":
                    T = 4.0
                    kl = F.kl_div(F.log_softmax(z / T, 1), F.softmax(t_logits[idx] / T, 1),
                                  reduction="batchmean")
                    loss = 0.1 * F.cross_entropy(z, yb) + 0.9 * T * T * kl
                else:
                    loss = F.cross_entropy(z, yb)
            loss.backward()
            opt.step()
        model.eval()
        wv, wt = worst_group(model, "val"), worst_group(model, "test")
        model.train()
        if wv > best_val:
            best_val, best_test = wv, wt
            if job["name"] == "teacher":
                best_state = {k: v.clone() for k, v in model.state_dict().items()}
    out = {"val": best_val, "test": best_test}
    if job["name"] == "teacher":
        out["state"] = best_state
    if kind == "ident":
        with torch.no_grad():
            pred = torch.cat([model(x[i:i + 256]).argmax(1) for i in range(0, n, 256)])
        out["errors"] = pred != y
    return job["name"], out


def jobs_of(epochs):
    jobs = [{"name": "teacher", "method": "groupdro", "widths": [256, 256], "optim": "sgd",
             "epochs": epochs, "seed": 1, "deps": {}}]
    for w in (16, 64):
        for s in (1, 2, 3):
            ident = f"ident w{w} s{s}"
            jobs.append({"name": ident, "method": "ident", "widths": [w], "optim": "adamw",
                         "epochs": 1, "seed": s, "deps": {}})
            for m, o in (("erm", "sgd"), ("groupdro", "sgd"), ("kd", "sgd"),
                         ("simkd", "adamw"), ("dett", "adamw")):
                deps = {}
                if m in ("kd", "simkd", "dett"):
                    deps["teacher"] = "teacher"
                if m == "dett":
                    deps["ident"] = ident
                jobs.append({"name": f"{m} w{w} s{s}", "method": m, "widths": [w],
                             "optim": o, "epochs": epochs, "seed": s, "deps": deps})
    for uid, j in enumerate(jobs):
        j["uid"] = uid
    return jobs


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", required=True)
    ap.add_argument("--epochs", type=int, required=True)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--flush-denormal", action="store_true",
                    help="torch.set_flush_denormal(True) in every job (not PyTorch's default)")
    args = ap.parse_args()
    global FLUSH_DENORMAL
    FLUSH_DENORMAL = args.flush_denormal
    t0 = time.perf_counter()
    torch.set_num_threads(1)
    load(args.data)
    jobs = jobs_of(args.epochs)
    done, pending, running = {}, list(jobs), {}
    ctx = mp.get_context("fork")
    with ctx.Pool(args.workers) as pool:
        while pending or running:
            for j in [j for j in pending if all(d in done for d in j["deps"].values())]:
                deps = {k: done[v] for k, v in j["deps"].items()}
                running[j["name"]] = pool.apply_async(run_job, (j, deps))
                pending.remove(j)
            finished = [k for k, r in running.items() if r.ready()]
            if not finished:
                time.sleep(0.005)
                continue
            for k in finished:
                name, out = running.pop(k).get()
                done[name] = out
                print(f"job={name.replace(' ', '_')} val_worst={out['val']:.4f} "
                      f"test_worst={out['test']:.4f} t={time.perf_counter() - t0:.1f}", flush=True)
    rows = {}
    for j in jobs:
        if j["method"] == "ident":
            continue
        key = (j["method"] if j["name"] != "teacher" else "teacher", j["widths"][-1])
        rows.setdefault(key, []).append(100.0 * done[j["name"]]["test"])
    for (m, w), v in rows.items():
        sd = statistics.stdev(v) if len(v) > 1 else 0.0
        print(f"row method={m} width={w} worst_mean={statistics.mean(v):.2f} "
              f"worst_std={sd:.2f} n={len(v)}")
    print(f"wall_s={time.perf_counter() - t0:.2f}")


if __name__ == "__main__":
    main()
