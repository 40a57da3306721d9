#!/usr/bin/env python3
"""Worst-group gap to the teacher, per data set, bias strength, budget,
student and method, from `dett report --format csv` of
experiments/when_kd_fails.lua or experiments/when_kd_fails_budget.lua:

    dett report build/exp/when_kd_fails_budget.h5 --format csv | scripts/kd_gap.py

Prints one Markdown table per data set: a line per (bias strength, student
epochs, student), the teacher's worst-group accuracy (mean ± spread over
its seeds when teachers are paired with the students' seeds), then a column
per method: the report's gap to teacher, each seed's worst-group accuracy
minus that of its own teacher, mean ± spread over seeds, in points; a
method without a teacher (group DRO, marked *): its mean minus the mean of
the data set's teacher row, ± its own spread. The
spread is the report's (sample std, or the standard error with
--stat sem: the CSV's column names say which)."""
import csv
import re
import sys

rows = list(csv.DictReader(sys.stdin))
if not rows:
    sys.exit("kd_gap.py: no rows on stdin (pipe `dett report ... --format csv` in)")
sp = "sem" if "worst_sem" in rows[0] else "std"


def strength(path):
    """(family, value) of build/exp/cfmnist14_rho0.995.h5 or synth_p0.99.h5"""
    name = path.split("/")[-1][:-3]
    m = re.match(r"(.*?)_(?:rho|p)([0-9.]+)$", name)
    return (m.group(1), float(m.group(2))) if m else (name, 0.0)


def width(arch):
    return [int(w) for w in re.findall(r"\d+", arch)]


def cell(mean, spread, n):
    if mean == "":
        return ""
    return f"{float(mean):+.1f} ± {float(spread or 0):.1f}" + (f" (n={n})" if n not in ("", "2") else "")


teachers = {r["dataset"]: r for r in rows if r["section"] == "teacher"}
methods, lines = [], {}
for r in rows:
    if r["section"] == "teacher" or r["worst_mean"] == "":
        continue
    if r["gap_to_teacher_mean"] != "":
        c = cell(r["gap_to_teacher_mean"], r[f"gap_to_teacher_{sp}"], r["gap_to_teacher_n"])
    elif not r["teacher"] and r["dataset"] in teachers:
        # no teacher of its own (group DRO): its mean minus the teacher row's
        t = teachers[r["dataset"]]
        c = cell(float(r["worst_mean"]) - float(t["worst_mean"]), r[f"worst_{sp}"],
                 r["worst_n"]) + "*"
    else:
        continue
    if r["method"] not in methods:
        methods.append(r["method"])
    key = (r["dataset"], int(r["epochs"] or 0), r["arch"])
    lines.setdefault(key, {})[r["method"]] = c
families = sorted({strength(k[0])[0] for k in lines})
for fam in families:
    print(f"\n**{fam}** (gap to teacher, points: mean ± {'s.e.' if sp == 'sem' else 'std'} over seeds)\n")
    print("| rho | epochs | student | teacher (%) | " + " | ".join(methods) + " |")
    print("| ---: | ---: | --- | ---: | " + " | ".join("---:" for _ in methods) + " |")
    keys = sorted((k for k in lines if strength(k[0])[0] == fam),
                  key=lambda k: (strength(k[0])[1], k[1], width(k[2])))
    for k in keys:
        t = teachers.get(k[0])
        tt = f"{float(t['worst_mean']):.1f} ± {float(t['worst_' + sp] or 0):.1f}" if t else ""
        print(f"| {strength(k[0])[1]:g} | {k[1]} | {k[2]} | {tt} | " +
              " | ".join(lines[k].get(m, "") for m in methods) + " |")
