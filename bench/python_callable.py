#!/usr/bin/python3
"""The cost of calling a Python model from ayslab's C++ loops (docs/performance.md, "Python callables"):
the same Euler sampling (20 EDM rho=7 steps, k-diffusion's update x += (x - D)/sigma (sigma_next - sigma),
one model call per step on all particles) done twice with the same callable — ayslab.sample through
ayslab.torch.denoiser (float32 model, float64 state), and a plain Python loop over numpy calling that
very callable. The model is the ring of 8's exact denoiser written in PyTorch (RingDenoiser of
python/tests/ring_module.py). Each timing is the best of REPEATS runs after a warm-up; ayslab's is
its sampling loop as the result document times it ("sampling" in run.timings_s).

usage: PYTHONPATH=build/python bench/python_callable.py [PARTICLES ...]   (default 10000 100000)
"""
import sys
import time
from pathlib import Path

import numpy as np
import torch

import ayslab
import ayslab.torch

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "python" / "tests"))
from ring_module import RingDenoiser  # noqa: E402

REPEATS, STEPS = 5, 20


def karras(n, lo=0.002, hi=80.0, rho=7.0):
    i = np.arange(n + 1) / n
    return (hi ** (1 / rho) + i * (lo ** (1 / rho) - hi ** (1 / rho))) ** rho


def python_euler(f, n):
    sigmas = karras(STEPS)
    x = np.random.default_rng(1).standard_normal((n, 2)) * sigmas[0]
    for i in range(STEPS):
        c = np.full(n, sigmas[i], dtype=np.float32)
        d = (x - f(x.astype(np.float32), c)) / sigmas[i]
        x = x + d * (sigmas[i + 1] - sigmas[i])
    return x


def main():
    torch.set_num_threads(1)
    model = ayslab.torch.denoiser(RingDenoiser(), shape=(2,))
    print(f"{'particles':>10} {'ayslab sampling (s)':>20} {'Python loop (s)':>16} {'ratio':>6}")
    for n in [int(v) for v in sys.argv[1:]] or [10000, 100000]:
        keys = dict(solver="euler", steps=STEPS, particles=n, chunk=n, preflight=False, threads=1)
        ayslab.sample(model=model, **keys)  # warm-up
        ours = min(ayslab.sample(model=model, **keys)[1]["run"]["timings_s"]["sampling"] for _ in range(REPEATS))
        python_euler(model.fn, n)
        theirs = []
        for _ in range(REPEATS):
            start = time.perf_counter()
            python_euler(model.fn, n)
            theirs.append(time.perf_counter() - start)
        print(f"{n:>10} {ours:>20.4f} {min(theirs):>16.4f} {ours / min(theirs):>6.2f}")


if __name__ == "__main__":
    main()
