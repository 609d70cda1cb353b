#!/usr/bin/python3
"""check_png.py FILE... -- each picture exists, is not tiny, and is not blank (pixel variance)."""
import os
import sys

import matplotlib.image as mpimg
import numpy as np

ok = True
for path in sys.argv[1:]:
    if not os.path.exists(path):
        print(f"{path}: missing"); ok = False; continue
    size = os.path.getsize(path)
    if path.endswith(".gif"):
        from PIL import Image
        im = Image.open(path)
        frames = getattr(im, "n_frames", 1)
        a = np.asarray(im.convert("L"), dtype=float) / 255
        good = size > 5000 and frames > 1 and a.var() > 1e-4
        print(f"{path}: {size} bytes, {frames} frames, variance {a.var():.4g} {'ok' if good else 'BAD'}")
    else:
        a = mpimg.imread(path)
        good = size > 5000 and a.var() > 1e-4 and min(a.shape[:2]) > 100
        print(f"{path}: {size} bytes, {a.shape[1]}x{a.shape[0]}, variance {a.var():.4g} {'ok' if good else 'BAD'}")
    ok &= good
sys.exit(0 if ok else 1)
