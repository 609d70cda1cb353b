"""wowio -- read wowflow's documented outputs (docs/format.md) for the postprocess scripts.

Only the documented HDF5 layout and progress.tsv are read.  Every problem with an input raises
WowError with a one-line message; main() turns it into "script: error: ..." and exit status 1."""
import glob
import os
import re
import sys

import numpy as np


class WowError(Exception):
    pass


def h5py_module():
    try:
        import h5py
    except ImportError as e:  # pragma: no cover - depends on the machine
        raise WowError("python3-h5py is needed (apt-get install python3-h5py)") from e
    return h5py


def open_output(path, kinds=("final", "snapshot", "checkpoint")):
    """An open h5py.File of a wowflow output, or WowError."""
    h5py = h5py_module()
    if not os.path.exists(path):
        raise WowError(f"{path}: no such file")
    try:
        f = h5py.File(path, "r")
    except OSError as e:
        raise WowError(f"{path}: not an HDF5 file ({e})") from None
    prog = f.attrs.get("program", b"")
    kind = f.attrs.get("kind", b"")
    prog = prog.decode() if isinstance(prog, bytes) else str(prog)
    kind = kind.decode() if isinstance(kind, bytes) else str(kind)
    if prog != "wowflow" or kind not in kinds:
        f.close()
        raise WowError(f"{path}: is not a wowflow output file (program '{prog}', kind '{kind}')")
    return f


def attr_str(obj, name, default=""):
    v = obj.attrs.get(name, default)
    return v.decode() if isinstance(v, bytes) else str(v)


def run_files(path):
    """(run_dir, final_h5_or_None) for a run directory or an output file."""
    if os.path.isdir(path):
        final = os.path.join(path, "final.h5")
        return path, final if os.path.exists(final) else None
    return os.path.dirname(os.path.abspath(path)), path


def read_progress(run_dir):
    """steps, F, grad_norm (arrays) and the restart steps from run_dir/progress.tsv."""
    path = os.path.join(run_dir, "progress.tsv")
    if not os.path.exists(path):
        return None
    rows, restarts = [], []
    with open(path) as f:
        for line in f:
            m = re.match(r"# restart from .* at step (\d+)", line)
            if m:
                restarts.append(int(m.group(1)))
            elif line.strip() and not line.startswith("#"):
                rows.append([float(x) for x in line.split("\t")[:3]])
    a = np.array(rows).reshape(-1, 3)
    return {"step": a[:, 0], "F": a[:, 1], "grad_norm": a[:, 2], "restarts": restarts}


def loss_history(path):
    """The loss history of a run directory or output file: dict(step, F, grad_norm, restarts, label)."""
    run_dir, final = run_files(path)
    prog = read_progress(run_dir) if os.path.isdir(run_dir) else None
    if final:
        with open_output(final) as f:
            h = {"step": f["history/step"][...], "F": f["history/F"][...], "grad_norm": f["history/grad_norm"][...]}
    elif prog is not None:
        h = {k: prog[k] for k in ("step", "F", "grad_norm")}
    else:
        raise WowError(f"{path}: no final.h5 and no progress.tsv: not a wowflow run")
    h["restarts"] = prog["restarts"] if prog else []
    h["label"] = os.path.basename(os.path.normpath(run_dir if os.path.isdir(path) else path))
    return h


def read_state(path):
    """Particles and labels of the source and the target in an output file."""
    with open_output(path) as f:
        return {
            "step": int(f.attrs["step"]),
            "F": float(f.attrs.get("F_final", np.nan)),
            "x": f["flow/particles"][...],
            "labels": f["flow/labels"][...],
            "y": f["target/particles"][...],
            "target_labels": f["target/labels"][...],
        }


def snapshots(path):
    """[(step, file)] of a run: its snapshots and its final file, sorted by step."""
    run_dir, final = run_files(path)
    out = {}
    for p in glob.glob(os.path.join(run_dir, "snapshots", "snap_*.h5")):
        m = re.search(r"snap_(\d+)\.h5$", p)
        if m:
            out[int(m.group(1))] = p
    if final:
        with open_output(final) as f:
            out.setdefault(int(f.attrs["step"]), final)
    if not out:
        raise WowError(f"{path}: no snapshots and no final file (set output.snapshot_every in the deck)")
    return sorted(out.items())


def pick(items, wanted, count):
    """Items (step, x) at the wanted steps (nearest available), or `count` evenly spaced ones."""
    steps = np.array([s for s, _ in items])
    if wanted:
        idx = sorted({int(np.argmin(np.abs(steps - w))) for w in wanted})
    else:
        idx = np.unique(np.linspace(0, len(items) - 1, min(count, len(items))).round().astype(int)).tolist()
    return [items[i] for i in idx]


def parse_steps(text):
    if not text:
        return []
    try:
        return [int(s) for s in text.split(",")]
    except ValueError:
        raise WowError(f"--steps: expected a comma-separated list of steps, got '{text}'") from None


def pca_basis(points, k=2):
    """Mean and the top-k principal axes of points (rows)."""
    mean = points.mean(axis=0)
    _, _, vt = np.linalg.svd(points - mean, full_matrices=False)
    return mean, vt[:k]


def pyplot():
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    return plt


def class_colors(n):
    plt = pyplot()
    cmap = plt.get_cmap("tab10" if n <= 10 else "tab20")
    return [cmap(i % cmap.N) for i in range(n)]


def main(fn):
    """Run fn(); WowError becomes one line on stderr and exit status 1."""
    name = os.path.basename(sys.argv[0])
    try:
        fn()
    except WowError as e:
        print(f"{name}: error: {e}", file=sys.stderr)
        sys.exit(1)
