#!/usr/bin/env python3
"""The PNG sample grids decode (by PIL, not by ayslab's writer) to the samples the run wrote:
- sample: tile k of the grid is end point k of the .npy, each pixel round(clamp((v + 1) * 127.5, 0, 255));
- recommend: one grid per cell, a row per schedule in the cell's row order (current first), png_columns
  tiles per row, every tile an image, and two schedules' rows not identical (the same starts, other
  schedules).
Faults caught: a transposed or shifted tile, a wrong value map (e.g. [0, 1] or no rounding), a broken
zlib stream or CRC (PIL refuses it), rows not in the cell's schedule order.

usage: png-grids.py RUN_EXPERIMENT OUT_DIR
"""
import json
import pathlib
import subprocess
import sys

import numpy as np
from PIL import Image

run, out = sys.argv[1], pathlib.Path(sys.argv[2])
out.mkdir(parents=True, exist_ok=True)
side, gap, cols = 28, 2, 5

subprocess.run([run, "sample", "--set", "data=fashion-mnist", "--set", "particles=13", "--set", "steps=4",
                "--set", f"png={out}/s.png", "--set", f"png_columns={cols}", "--set", f"output={out}/s.npy",
                "--out", str(out / "s.json"), "-q"], check=True)
img = Image.open(out / "s.png")
assert img.mode == "L", img.mode
pix = np.asarray(img)
x = np.load(out / "s.npy")
rows = -(-len(x) // cols)
assert pix.shape == (rows * (side + gap) + gap, cols * (side + gap) + gap), pix.shape
want = np.rint(np.clip((x + 1.0) * 127.5, 0, 255)).astype(np.uint8).reshape(len(x), side, side)
for k in range(rows * cols):
    r, c = divmod(k, cols)
    tile = pix[gap + r * (side + gap):gap + r * (side + gap) + side, gap + c * (side + gap):gap + c * (side + gap) + side]
    if k < len(x):
        # x.5 values may round either way (float64 vs. rint's half-to-even): at most 1 grey level apart.
        assert np.abs(tile.astype(int) - want[k]).max() <= 1, f"tile {k} differs from end point {k}"
    else:
        assert (tile == 255).all(), f"tile {k} past the samples is not background"
assert (pix[:gap, :] == 255).all() and (pix[:, :gap] == 255).all()

subprocess.run([run, "recommend", "--set", "data=fashion-mnist", "--set", "subset=300", "--set", "held_out=100",
                "--set", "samplers=euler", "--set", "nfe=4", "--set", "candidates=karras-rho3,loguniform",
                "--set", "eval_particles=10", "--set", "eval_seeds=2", "--set", f"png={out}/rec.png",
                "--set", "png_columns=4", "--out", str(out / "rec.json"), "-q"], check=True)
cell = json.loads((out / "rec.json").read_text())["results"]["cells"][0]
grid = cell["png"]
assert grid["rows"] == [row["name"] for row in cell["rows"]], grid
assert pathlib.Path(grid["file"]).name == "rec-euler-nfe4.png", grid["file"]
pix = np.asarray(Image.open(grid["file"]))
n = len(grid["rows"])
assert pix.shape == (n * (side + gap) + gap, 4 * (side + gap) + gap), pix.shape
tiles = [[pix[gap + r * (side + gap):gap + r * (side + gap) + side, gap + c * (side + gap):gap + c * (side + gap) + side]
          for c in range(4)] for r in range(n)]
assert all((t != 255).any() for row in tiles for t in row), "a tile is empty"
assert any((tiles[0][c] != tiles[1][c]).any() for c in range(4)), "two schedules gave identical rows"
print(f"png grids: sample {pix.shape}, recommend {n} rows x 4 columns: ok")
