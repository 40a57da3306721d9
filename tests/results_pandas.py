#!/usr/bin/python3
"""results_pandas.py RESULTS.h5 REPORT.csv - scripts/dett_results.py against dett report.

REPORT.csv is `dett report RESULTS.h5 --format csv --per-group` (selection
val-worst). The tidy frames must give the report's numbers: for every row
(a configuration: section, method, method_args, arch, weighting), the mean
over its seeds of test worst-group and average accuracy and of each group's
test accuracy, in percent, to the report's 4 decimals; and curves() must hold
each done job's stored acc at every epoch. Exits 0 when all pass.
"""
import sys

import h5py
import numpy as np
import pandas as pd

import dett_results

res, csv = sys.argv[1], sys.argv[2]
failures = 0


def expect(cond, what):
    global failures
    if not cond:
        failures += 1
        print("FAILED:", what)


jobs = dett_results.jobs(res)
curves = dett_results.curves(res)
report = pd.read_csv(csv, keep_default_na=False)

# types: numbers are numbers (no parsing), strings are str
expect(jobs["optim.lr"].dtype.kind == "f" and jobs["arch.width"].dtype.kind in "if",
       "typed columns: optim.lr %s, arch.width %s" % (jobs["optim.lr"].dtype, jobs["arch.width"].dtype))
expect(set(curves["split"]) == {"val", "test"} and curves["epoch"].min() == 1, "curves axes")
cnn = jobs[jobs["arch"] == "cnn[4,8;k3;max2;fc0]"]
expect(len(cnn) == 1 and int(cnn["arch.width"].iloc[0]) == 8,
       "the fc0 CNN's width is its last conv's 8 channels, not 0")

done = jobs[(jobs["status"] == "done") & (jobs["kind"] != "ident")].copy()
done["section"] = np.where(done["kind"] == "train", "teacher", "student")
keys = ["section", "method", "method_args", "arch", "weighting"]
n_rows = 0
for key, grp in done.groupby(keys, sort=False):
    m = report
    for k, v in zip(keys, key):
        m = m[m[k].astype(str) == str(v)]
    expect(len(m) == 1, "report rows for %s: %d" % (key, len(m)))
    if len(m) != 1:
        continue
    r = m.iloc[0]
    n_rows += 1
    expect(int(r["seeds"]) == len(grp), "%s: seeds %s vs %d" % (key, r["seeds"], len(grp)))
    for col, ours in (("worst_mean", grp["test_worst"]), ("avg_mean", grp["test_avg"])):
        expect(abs(float(r[col]) - 100 * ours.mean()) < 5e-5,
               "%s: %s %s vs %.6f" % (key, col, r[col], 100 * ours.mean()))
    for c in report.columns:
        if c.startswith("g") and c.endswith("_mean") and "_y" in c:
            k = int(c[1:c.index("_")])
            ours = 100 * grp["test_acc_g%d" % k].mean()
            expect(abs(float(r[c]) - ours) < 5e-5, "%s: %s %s vs %.6f" % (key, c, r[c], ours))
expect(n_rows == len(report), "matched %d of the report's %d rows" % (n_rows, len(report)))

with h5py.File(res, "r") as f:
    for job in done["job"]:
        acc = f["jobs/%s/acc" % job][()]
        c = curves[curves["job"] == job]
        for _, row in c.sample(min(len(c), 20), random_state=0).iterrows():
            s = ["val", "test"].index(row["split"])
            expect(acc[row["epoch"] - 1, s, row["group"]] == row["acc"], "curves %s" % job)
print("results_pandas: %d report rows, %d jobs, %d curve rows; %d failed" %
      (n_rows, len(jobs), len(curves), failures))
sys.exit(1 if failures else 0)
