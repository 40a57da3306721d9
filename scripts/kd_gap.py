#!/usr/bin/env python3
"""Worst-group gap to the teacher, per data set, method and student width,
from `dett report --format csv` of experiments/when_kd_fails.lua:

    dett report build/exp/when_kd_fails.h5 --format csv | scripts/kd_gap.py

Prints a Markdown table: rows (data, rho), columns method x width, cells
student worst-group minus teacher worst-group, in points (mean over seeds)."""
import csv
import sys

rows = list(csv.DictReader(sys.stdin))
teacher = {r["dataset"]: float(r["worst_mean"]) for r in rows if r["section"] == "teacher"}
cells, methods, widths = {}, [], []
for r in rows:
    if r["section"] == "teacher" or not r["worst_mean"]:
        continue
    m, w = r["method"], r["arch"]
    if m not in methods:
        methods.append(m)
    if w not in widths:
        widths.append(w)
    cells[(r["dataset"], m, w)] = (float(r["worst_mean"]) - teacher[r["dataset"]],
                                  float(r["worst_std"] or 0))
widths.sort(key=lambda a: int(a.split("[")[1].rstrip("]")))
cols = [(m, w) for m in methods for w in widths]
print("| data | teacher | " + " | ".join(f"{m} {w}" for m, w in cols) + " |")
print("| --- | ---: | " + " | ".join("---:" for _ in cols) + " |")
for d in sorted(teacher, key=lambda p: (p.split("/")[-1].split("_")[0], float(p.split("rho" if "rho" in p else "_p")[-1][:-3]))):
    name = d.split("/")[-1][:-3]
    cells_txt = []
    for c in cols:
        v = cells.get((d,) + c)
        cells_txt.append(f"{v[0]:+.1f}" if v else "")
    print(f"| {name} | {teacher[d]:.1f} | " + " | ".join(cells_txt) + " |")
