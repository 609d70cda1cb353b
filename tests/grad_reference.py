#!/usr/bin/python3
"""grad_reference.py IN.h5 OUT.h5 KERNEL H R -- an independent NumPy implementation of the exact
SW-MMD value, SW matrix and WoW gradient (method.md sections 4.2 and 5.2) for the 'wowflow grad'
layout; exits 1 when wowflow's OUT.h5 differs by more than 1e-10 relative."""
import sys
import h5py
import numpy as np


def plan_1d(t, s):
    """Monotone plan between uniform atoms t (sorted, n) and s (sorted, m): list of (r, k, mass)."""
    n, m = len(t), len(s)
    cuts = np.union1d(np.arange(n + 1) / n, np.arange(m + 1) / m)
    mids = 0.5 * (cuts[1:] + cuts[:-1])
    r = np.minimum((mids * n).astype(int), n - 1)
    k = np.minimum((mids * m).astype(int), m - 1)
    return r, k, np.diff(cuts)


def pair(a, b, theta, p):
    """SW statistic and the W2-gradient of 1/2 SW^2 (p = 2) or (n/2) d SW1 (p = 1) at a's atoms."""
    n = a.shape[0]
    stat, g = 0.0, np.zeros_like(a)
    for th in theta:
        pa, pb = a @ th, b @ th
        ia, ib = np.argsort(pa, kind="stable"), np.argsort(pb, kind="stable")
        t, s = pa[ia], pb[ib]
        r, k, w = plan_1d(t, s)
        diff = t[r] - s[k]
        stat += np.sum(w * (diff**2 if p == 2 else np.abs(diff)))
        disp = np.zeros(n)
        np.add.at(disp, r, w * n * (diff if p == 2 else 0.5 * np.sign(diff)))
        g[ia] += np.outer(disp, th)
    return stat / len(theta), g / len(theta)


def main():
    inp, out, kernel, h, r = sys.argv[1], sys.argv[2], sys.argv[3], float(sys.argv[4]), float(sys.argv[5])
    with h5py.File(inp, "r") as f:
        x, y, theta = f["x"][...], f["y"][...], f["theta"][...]
    if h <= 0:
        h = {"riesz": 0.0, "gaussian": 0.1, "laplace": 0.5, "imq": 1.0}[kernel]
    p = 1 if kernel == "laplace" else 2
    phi = {"riesz": lambda s: -s ** (r / 2), "gaussian": lambda s: np.exp(-s / (2 * h)),
           "laplace": lambda s: np.exp(-s / h), "imq": lambda s: 1 / np.sqrt(h + s)}[kernel]
    dphi = {"riesz": lambda s: -0.5 * r * s ** (r / 2 - 1) if s > 0 else 0.0,
            "gaussian": lambda s: -np.exp(-s / (2 * h)) / (2 * h), "laplace": lambda s: -np.exp(-s / h) / h,
            "imq": lambda s: -0.5 * (h + s) ** -1.5}[kernel]
    clouds = list(x) + list(y)
    C, nc = x.shape[0], len(clouds)
    a = np.array([1.0 / C] * C + [-1.0 / y.shape[0]] * y.shape[0])
    S, S2 = np.zeros((nc, nc)), np.zeros((nc, nc))
    grads = {}
    for i in range(nc):
        for j in range(nc):
            if i != j:
                S[i, j], g = pair(clouds[i], clouds[j], theta, p)
                S2[i, j], _ = pair(clouds[i], clouds[j], theta, 2)
                if i < C:
                    grads[i, j] = g
    F = 0.5 * sum(a[i] * a[j] * phi(S[i, j]) for i in range(nc) for j in range(nc))
    xi = np.zeros_like(x)
    for c in range(C):
        for j in range(nc):
            if j != c:
                wj = abs(a[j]) * (1 if j < C else -1)
                xi[c] += wj * 2 * dphi(S[c, j]) * grads[c, j]
    with h5py.File(out, "r") as f:
        Fw, S2w, gw = f["F"][()], f["sw2"][...], f["grad_wow"][...]
    errs = {"F": abs(Fw - F) / max(1.0, abs(F)), "sw2": np.max(np.abs(S2w - S2)) / max(1.0, np.max(np.abs(S2))),
            "grad_wow": np.max(np.abs(gw - xi)) / max(1.0, np.max(np.abs(xi)))}
    print(kernel, " ".join(f"{k} {v:.2e}" for k, v in errs.items()), f"(F = {F:.12g})")
    sys.exit(1 if max(errs.values()) > 1e-10 else 0)


if __name__ == "__main__":
    main()
