#!/usr/bin/python3
"""gather_sweep.py TABLE SWEEP_DIR -- one table of a sweep's results: for every row of the sweep
table, its status (ok or FAILED), steps done, final F, wall time and overrides, written to
SWEEP_DIR/summary.tsv and printed.  Failed rows (non-zero exit, no output file) are flagged and
the others still reported."""
import argparse
import csv
import os
import sys


def read_table(path):
    rows = []
    with open(path) as f:
        lines = [l.rstrip("\n") for l in f if l.strip() and not l.startswith("#")]
    keys = lines[0].split("\t")
    for n, line in enumerate(lines[1:], 1):
        vals = line.split("\t")
        row = dict(zip(keys, vals))
        rows.append((row.get("name", f"row{n}"), {k: v for k, v in row.items() if k != "name" and v != ""}))
    return rows


def result(run_dir):
    out = {"status": "FAILED", "steps": "", "F_final": "", "wall_s": ""}
    status = os.path.join(run_dir, "status")
    code = open(status).read().strip() if os.path.exists(status) else "missing"
    if os.path.exists(os.path.join(run_dir, "wall_s")):
        out["wall_s"] = open(os.path.join(run_dir, "wall_s")).read().strip()
    final = os.path.join(run_dir, "final.h5")
    if code == "0" and os.path.exists(final):
        import h5py
        with h5py.File(final, "r") as f:
            out.update(status="ok", steps=str(int(f.attrs["step"])), F_final="%.10g" % float(f.attrs["F_final"]))
    else:
        out["status"] = "FAILED (exit status %s)" % code
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("--")[1].strip())
    ap.add_argument("table", help="the sweep table (tab-separated, first line = deck keys)")
    ap.add_argument("sweep_dir", help="directory holding one run directory per row")
    args = ap.parse_args()
    rows = read_table(args.table)
    cols = ["row", "name", "status", "steps", "F_final", "wall_s", "overrides"]
    summary = os.path.join(args.sweep_dir, "summary.tsv")
    failed = 0
    with open(summary, "w", newline="") as f:
        w = csv.writer(f, delimiter="\t", lineterminator="\n")
        w.writerow(cols)
        for n, (name, over) in enumerate(rows, 1):
            r = result(os.path.join(args.sweep_dir, name))
            failed += r["status"] != "ok"
            w.writerow([n, name, r["status"], r["steps"], r["F_final"], r["wall_s"],
                        " ".join(f"{k}={v}" for k, v in over.items())])
    sys.stdout.write(open(summary).read())
    print(f"{len(rows)} rows, {len(rows) - failed} ok, {failed} failed -> {summary}")


if __name__ == "__main__":
    main()
