#!/usr/bin/python3
"""damage_ckpt.py FILE HOW -- damage a checkpoint the way disks and people do (test helper).
HOW: flip (one byte inside /state/particles), incomplete (drop the 'complete' attribute),
newer (format_version = 2)."""
import sys
import h5py

path, how = sys.argv[1], sys.argv[2]
if how == "flip":
    with h5py.File(path, "r") as f:
        ds = f["state/particles"]
        offset = ds.id.get_offset()
        assert offset is not None, "particles are not stored contiguously"
    with open(path, "r+b") as raw:
        raw.seek(offset + 13)
        b = raw.read(1)
        raw.seek(offset + 13)
        raw.write(bytes([b[0] ^ 0x10]))
elif how == "incomplete":
    with h5py.File(path, "r+") as f:
        del f.attrs["complete"]
elif how == "newer":
    with h5py.File(path, "r+") as f:
        f.attrs["format_version"] = 2
else:
    sys.exit(f"unknown damage {how}")
