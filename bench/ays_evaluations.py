#!/usr/bin/python3
"""What a schedule costs in model evaluations (docs/performance.md, "Model evaluations per schedule"):
each way of choosing a 10-step schedule for the ring of 8, with the ring's exact denoiser as a Python
model (so every row the optimiser asks for is counted as a GPU model's would be), and the KLUB its
schedule reaches on the same 8192 validation draws per interval (ays's comparison: common random
numbers, so differences between rows are paired) and the NLL of its samples under the exact density
(ays's default evaluation: 5 seeds x 2000 particles, the same starts for every row). The reference is a
long AYS run stopped by the KLUB itself (40 sweeps, 4096 samples).

usage: PYTHONPATH=build/python bench/ays_evaluations.py [DATA]   (default ring8)
"""
import sys
import time

import ayslab

data = sys.argv[1] if len(sys.argv) > 1 else "ring8"
exact = ayslab.Data(data)
model = ayslab.Model(lambda x, c: exact.denoise(x, c), shape=(exact.dim,))

METHODS = [
    ("ays, the paper's early stop (default)", {}),
    ("ays, converged (stop on the KLUB, 40 sweeps, 4096 samples)",
     dict(stop_on="klub", max_sweeps=40, patience=40, samples=4096)),
    ("ays-dp, grid 48, 1024 samples per interval", dict(optimiser="ays-dp")),
    ("ays-path, grid 48, 1024 paths", dict(optimiser="ays-path")),
    ("ays-path, grid 96, 1024 paths", dict(optimiser="ays-path", grid=96)),
    ("ays-path, grid 48, 256 paths", dict(optimiser="ays-path", samples=256)),
]

def nll(k, sampler):
    q = k["samples"][sampler]["nll"]
    return f"{q['mean']:>7.3f} ± {q['se']:.3f}"


print(f"{'method':<62} {'rows':>10} {'calls':>7} {'seconds':>8} {'KLUB':>16} {'NLL lin-SDE':>15} {'NLL Euler':>15}")
for name, keys in METHODS:
    t0 = time.perf_counter()
    doc = ayslab.optimise_ays(model=model, data=data, steps=10, **keys)
    seconds = time.perf_counter() - t0
    r = doc["results"]
    used = r["model_evaluations"]["optimisation"]
    k = r["comparison"]["ays"]
    print(f"{name:<62} {used['rows']:>10} {used['calls']:>7} {seconds:>8.2f} {k['klub']:>9.3f} ± {k['klub_se']:.2f}"
          f" {nll(k, 'linearised-sde')} {nll(k, 'euler')}")
k = r["comparison"]["karras"]
print(f"{'EDM rho=7 (no optimisation)':<62} {0:>10} {0:>7} {0:>8} {k['klub']:>9.3f} ± {k['klub_se']:.2f}"
      f" {nll(k, 'linearised-sde')} {nll(k, 'euler')}")
