#!/usr/bin/python3
"""dett_results.py - a dett results file as tidy pandas DataFrames.

    import dett_results
    curves = dett_results.curves("results.h5")   # one row per job x epoch x split x group
    jobs = dett_results.jobs("results.h5")       # one row per job: config + selected metrics

or from a shell, `python3 scripts/dett_results.py results.h5 [--select val-worst]`
prints both as CSV (curves first, a blank line, then jobs).

curves(path) columns:
    job, kind, method, arch, seed, epoch (1-based: the state after that many
    epochs), split ("val" | "test"), group (g = y * n_attrs + a), y, a,
    acc (fraction in [0, 1]), worst, avg, mean (the split's group summaries
    at that epoch), train_loss; done jobs only, epochs that ran only.

jobs(path, select="val-worst") columns:
    job, kind, status ("done", "failed", ...), error, wall_seconds, ranks,
    epochs_run, every configuration attribute of the job (method, arch,
    weighting, optim, batch, epochs, seed, select, dataset, teacher, ident,
    groups, n_attrs, and the typed ones: arch.kind, arch.width, optim.lr,
    method.eta, weighting.up, ... with numbers as numbers), then at the epoch
    chosen by `select` (the job's own rule if select is None): sel_epoch
    (1-based), val_worst, val_avg, val_mean, test_worst, test_avg, test_mean
    and test_acc_g<k> / val_acc_g<k> for every group k (a dfr{} job of
    format 5: its refit's, /jobs/<id>/dfr, as `dett report` shows; sel_epoch
    is the last epoch, the one the refit is built on; curves() holds its
    ERM epochs only). Accuracies are fractions; `dett report` prints them in
    percent.

The file's own attributes say the same (docs/results-format.md): acc has
@axes ["epoch", "split", "group"], @split ["val", "test"], @units "1",
@epoch_base 0 (this module adds 1 so that epoch counts epochs trained).

Format 1 files (no typed attributes) read too, with the text attributes
only.
"""
import sys

import h5py
import numpy as np
import pandas as pd

SPLITS = ("val", "test")
SELECT = ("val-worst", "val-avg", "oracle")
STATUS = ("pending", "running", "done", "failed", "skipped")


def _text(v):
    """an attribute or field as str (h5py gives bytes for fixed-length strings)"""
    if isinstance(v, bytes):
        return v.decode("utf-8", "replace")
    if isinstance(v, np.ndarray) and v.dtype.kind in "SO":
        return [_text(x) for x in v.tolist()]
    return v


def _value(v):
    """an attribute as a plain Python value: str, int, float or list"""
    v = _text(v)
    if isinstance(v, np.ndarray):
        return v.tolist() if v.ndim else v.item()
    if isinstance(v, np.generic):
        return v.item()
    return v


def _open(path):
    f = h5py.File(path, "r")
    if _text(f.attrs.get("format")) != "dett-results":
        f.close()
        raise ValueError("%s: not a dett results file" % path)
    return f


def _table(f):
    """the job table as a list of dicts"""
    rows = []
    for r in f["jobs/table"][()]:
        rows.append({k: _value(r[k]) for k in r.dtype.names})
    return rows


def _config(g):
    """the configuration attributes of a job group"""
    skip = {"config"}   # the canonical text: in jobs() as "config_text"
    c = {k: _value(v) for k, v in g.attrs.items() if k not in skip}
    c["config_text"] = _value(g.attrs.get("config", ""))
    return c


def curves(path):
    """one row per done job x epoch x split x group (see the module doc)"""
    out = []
    with _open(path) as f:
        for row in _table(f):
            if row["status"] != 2:
                continue
            g = f["jobs/" + row["id"]]
            at = g.attrs
            n_attrs = int(at["n_attrs"])
            acc = g["acc"][()]
            worst, avg, mean = g["worst"][()], g["avg"][()], g["mean"][()]
            loss = g["train_loss"][()]
            E = int(row["epochs_run"]) or acc.shape[0]
            E = min(E, acc.shape[0])
            G = acc.shape[2]
            ep = np.repeat(np.arange(E), 2 * G)
            sp = np.tile(np.repeat(np.arange(2), G), E)
            gr = np.tile(np.arange(G), 2 * E)
            out.append(pd.DataFrame({
                "job": row["id"], "kind": row["kind"], "method": _text(at["method"]),
                "arch": _text(at["arch"]), "seed": int(at["seed"]),
                "epoch": ep + 1, "split": np.array(SPLITS)[sp], "group": gr,
                "y": gr // n_attrs, "a": gr % n_attrs,
                "acc": acc[:E].reshape(-1),
                "worst": worst[ep, sp], "avg": avg[ep, sp], "mean": mean[ep, sp],
                "train_loss": loss[ep],
            }))
    cols = ["job", "kind", "method", "arch", "seed", "epoch", "split", "group", "y", "a",
            "acc", "worst", "avg", "mean", "train_loss"]
    return pd.concat(out, ignore_index=True) if out else pd.DataFrame(columns=cols)


def jobs(path, select="val-worst"):
    """one row per job: its configuration and metrics at the selected epoch
    (select: "val-worst", "val-avg", "oracle", or None for each job's own)"""
    rows = []
    with _open(path) as f:
        for row in _table(f):
            g = f["jobs/" + row["id"]]
            r = {"job": row["id"], "kind": row["kind"], "status": STATUS[row["status"]],
                 "error": row["error"], "wall_seconds": row["wall_seconds"],
                 "ranks": row["ranks"], "epochs_run": row["epochs_run"]}
            r.update(_config(g))
            if row["status"] == 2:
                rule = select if select is not None else _text(g.attrs["select"])
                e = int(g["selected"][SELECT.index(rule)])
                acc, worst = g["acc"][()], g["worst"][()]
                avg, mean = g["avg"][()], g["mean"][()]
                r["sel_epoch"] = e + 1
                if "dfr/acc" in g:   # format 5: a dfr{} job's result is its refit
                    d = g["dfr"]
                    acc, worst = d["acc"][()][None], d["worst"][()][None]
                    avg, mean, e = d["avg"][()][None], d["mean"][()][None], 0
                for s, name in enumerate(SPLITS):
                    r[name + "_worst"] = worst[e, s]
                    r[name + "_avg"] = avg[e, s]
                    r[name + "_mean"] = mean[e, s]
                    for k in range(acc.shape[2]):
                        r["%s_acc_g%d" % (name, k)] = acc[e, s, k]
            rows.append(r)
    return pd.DataFrame(rows)


def main(argv):
    if len(argv) < 2 or argv[1] in ("-h", "--help"):
        print(__doc__)
        return 0 if len(argv) >= 2 else 2
    select = "val-worst"
    if len(argv) == 4 and argv[2] == "--select":
        select = argv[3]
    curves(argv[1]).to_csv(sys.stdout, index=False)
    print()
    jobs(argv[1], select).to_csv(sys.stdout, index=False)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
