#!/usr/bin/python3
"""results_h5py.py FILE - a dett results file as a user's h5py script sees it.

FILE is written by `test_results write FILE` (3 jobs: j000 train, j001 ident,
j002 student; j000 done with 3 of 4 epochs, j002 failed). Exits 0 when all
checks pass, 1 on any failure, 77 (ctest: skipped) when h5py is missing.
"""
import math
import sys

try:
    import h5py
except ImportError:
    print("h5py not available: skipped")
    sys.exit(77)

failures = 0


def expect(cond, what):
    global failures
    if not cond:
        failures += 1
        print("FAILED:", what)


def s(v):
    """an attribute or field string, whether h5py gives bytes or str"""
    return v.decode() if isinstance(v, bytes) else str(v)


with h5py.File(sys.argv[1], "r") as f:
    a = f.attrs
    expect(s(a["format"]) == "dett-results", "format %r" % a["format"])
    expect(int(a["format_version"]) == 5, "format_version")
    # format 2: strings are variable-length UTF-8, which h5py gives as str
    expect(isinstance(a["script_path"], str), "script_path is %r" % type(a["script_path"]))
    expect(int(a["n_jobs"]) == 3, "n_jobs")
    expect(s(a["script_path"]) == "grid.lua", "script_path")
    expect(len(s(a["script_sha256"])) == 64, "script_sha256")
    expect(s(a["start_time"]).endswith("Z"), "start_time")
    for k in ("dett_version", "git_commit", "script", "world_size", "ranks_per_job"):
        expect(k in a, "root attribute " + k)

    t = f["jobs/table"]
    names = ["id", "kind", "hash", "status", "error", "wall_seconds", "ranks", "epochs_run"]
    expect(list(t.dtype.names) == names, "table fields %r" % (t.dtype.names,))
    expect(t.dtype["id"].itemsize == 16 and t.dtype["hash"].itemsize == 65, "string sizes")
    rows = t[()]
    expect([s(x) for x in rows["id"]] == ["j000", "j001", "j002"], "ids %r" % rows["id"])
    expect([s(x) for x in rows["kind"]] == ["train", "ident", "student"], "kinds")
    expect(list(rows["status"]) == [2, 0, 3], "statuses %r" % rows["status"])
    expect(s(rows["error"][2]) == "killed-run-marker", "error text")
    expect(rows["wall_seconds"][0] == 1.5 and rows["epochs_run"][0] == 3, "row 0 numbers")

    j = f["jobs/j000"]
    expect(j["train_loss"].shape == (4,), "train_loss shape %r" % (j["train_loss"].shape,))
    expect(j["acc"].shape == (4, 2, 4), "acc shape %r" % (j["acc"].shape,))
    expect(j["worst"].shape == (4, 2) and j["selected"].shape == (4,), "shapes")
    tl = j["train_loss"][()]
    expect(tl[0] == 1.0 and tl[1] == 0.5 and math.isnan(tl[3]), "train_loss %r" % tl)
    expect(list(j["selected"][()]) == [2, 1, 0, 3], "selected")
    expect(j["params"].dtype == "float32" and j["params"].shape == (10,), "params")

    st = f["jobs/j002"]
    expect(s(st.attrs["teacher"]) == "j000" and s(st.attrs["ident"]) == "j001", "deps")
    expect(s(st.attrs["method"]) == "dett" and int(st.attrs["seed"]) == 1002, "attrs")
    # typed configuration: numbers are numbers, no parsing
    at = st.attrs
    expect(at["arch.kind"] == "cnn" and list(at["arch.channels"]) == [8, 16], "arch")
    expect(int(at["arch.fc"]) == 0 and int(at["arch.width"]) == 16, "arch.width")
    expect(at["optim.name"] == "adamw" and float(at["optim.lr"]) == 0.001, "optim.lr")
    expect(at["weighting.kind"] == "jtt" and float(at["weighting.up"]) == 50.0, "weighting")
    expect(list(f["jobs/j000"].attrs["arch.widths"]) == [64, 64], "mlp widths")
    expect(float(f["jobs/j000"].attrs["method.eta"]) == 0.01, "method.eta")
    # every dataset says what it is
    acc = st["acc"]
    expect(list(acc.attrs["axes"]) == ["epoch", "split", "group"], "acc axes %r" % acc.attrs["axes"])
    expect(list(acc.attrs["split"]) == ["val", "test"], "acc split")
    expect(acc.attrs["units"] == "1" and int(acc.attrs["epoch_base"]) == 0, "acc units")
    expect(list(st["selected"].attrs["select"]) == ["val-worst", "val-avg", "oracle", "val-worst-class"], "select")
    for name in ("train_loss", "acc", "worst", "avg", "mean", "selected", "params"):
        expect("long_name" in st[name].attrs and "axes" in st[name].attrs, name + " described")
    expect(list(f["jobs/table"].attrs["status"]) ==
           ["pending", "running", "done", "failed", "skipped"], "status names")
    expect(list(st["selected"][()]) == [-1, -1, -1, -1], "selected fill")
    expect(all(math.isnan(x) for x in st["acc"][()].ravel()), "acc fill")

    h = s(rows["hash"][1])
    es = f["artifacts/" + h + "/error_set"][()]
    expect(es.dtype == "uint8" and len(es) == 37, "error_set")
    expect(list(es[:6]) == [1, 0, 0, 1, 0, 0], "error_set values %r" % es[:6])
    expect("artifacts/" + s(rows["hash"][2]) not in f, "no student artifact")

print("results_h5py: %d failed" % failures)
sys.exit(1 if failures else 0)
