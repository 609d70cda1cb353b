#!/usr/bin/python3
"""plot_loss.py RUN_DIR_OR_FINAL.h5 [-o loss.png] -- F against step (log scale) from a wowflow
output file (/history/F) or a run directory (its final file, else progress.tsv)."""
import argparse
import os
import sys

import numpy as np


def load(path):
    if os.path.isdir(path):
        h5 = os.path.join(path, "final.h5")
        if os.path.exists(h5):
            path = h5
        else:
            tsv = np.loadtxt(os.path.join(path, "progress.tsv"), comments="#", ndmin=2)
            return tsv[:, 0], tsv[:, 1]
    import h5py
    with h5py.File(path, "r") as f:
        if f.attrs.get("program", b"") not in ("wowflow", b"wowflow") or "history" not in f:
            sys.exit(f"plot_loss: {path} is not a wowflow output file (no /history)")
        return f["history/step"][...], f["history/F"][...]


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("--")[1].strip())
    ap.add_argument("run", help="run directory or final HDF5 file")
    ap.add_argument("-o", "--output", default="loss.png", help="PNG file to write")
    args = ap.parse_args()
    step, F = load(args.run)
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    fig, ax = plt.subplots(figsize=(6, 4))
    ax.semilogy(step, np.abs(F))
    ax.set_xlabel("step")
    ax.set_ylabel("|F| = 1/2 MMD^2")
    ax.set_title(os.path.basename(os.path.normpath(args.run)))
    fig.tight_layout()
    fig.savefig(args.output, dpi=120)
    print(f"wrote {args.output}")


if __name__ == "__main__":
    main()
