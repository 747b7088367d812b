#!/usr/bin/python3
"""The network path against its Python twin (docs/performance.md, "Sampling with a network"): the same
TorchScript file sampled by `run-experiment sample` (float64 state, float32 model) and by a plain Python
Euler loop over torch tensors (float32 state, as k-diffusion keeps it, under torch.no_grad(), graph
optimiser off as ayslab runs it), side by side in one run, for every module of bench/:

  ring8   the ring of 8's exact denoiser (RingDenoiser of python/tests/ring_module.py, torch.jit.script)
  mlp     the MLP 128 x 3 with EDM preconditioning that `run-experiment train` writes (untrained: the same
          cost as a trained one)

Both do Euler over 20 EDM rho=7 steps (k-diffusion's x += (x - D)/sigma (sigma_next - sigma)). ayslab's
time is its sampling loop as the result document times it (run.timings_s.sampling); the Python time is
the loop alone. Each side runs in a fresh process per repeat (so both include the module's first calls
and start from a fresh allocator), best of REPEATS, at the given intra-op thread count.

usage: bench/torchscript_sampling.py [--threads T] [--chunk C] [PARTICLES ...]   (default 10000 100000;
       chunk 0 = ayslab's default for a model: one call per step on all particles)
"""
import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import torch

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "python" / "tests"))
from ring_module import RingDenoiser  # noqa: E402

REPEATS, STEPS = 5, 20
RUN = ROOT / "build" / "bin" / "run-experiment"


def karras(n, lo=0.002, hi=80.0, rho=7.0):
    i = torch.arange(n + 1, dtype=torch.float64) / n
    return (hi ** (1 / rho) + i * (lo ** (1 / rho) - hi ** (1 / rho))) ** rho


def python_euler(model, n):
    sigmas = karras(STEPS).to(torch.float32)
    x = torch.randn(n, 2, generator=torch.Generator().manual_seed(1)) * sigmas[0]
    ones = torch.ones(n)
    for i in range(STEPS):
        d = (x - model(x, sigmas[i] * ones)) / sigmas[i]
        x = x + d * (sigmas[i + 1] - sigmas[i])
    return x


def python_loop_seconds(path, n):
    """One timed loop in this (fresh) process: the module's first calls are in it, as they are in
    ayslab's timing of a fresh `run-experiment sample`."""
    model = torch.jit.load(str(path)).eval()
    with torch.no_grad():
        start = time.perf_counter()
        python_euler(model, n)
        return time.perf_counter() - start


def python_seconds(path, n, threads):
    best = float("inf")
    for _ in range(REPEATS):
        out = subprocess.run([sys.executable, __file__, "--threads", str(threads), "--python-loop", str(path), str(n)],
                             check=True, capture_output=True, text=True).stdout
        best = min(best, float(out))
    return best


def ayslab_seconds(path, n, threads, chunk, out):
    cmd = [str(RUN), "sample", "--threads", str(threads), "--out", str(out), "--set", f"model={path}",
           "--set", "solver=euler", "--set", f"steps={STEPS}", "--set", f"particles={n}", "--set", "preflight=false",
           "--set", f"chunk={chunk}", "--set", f"output={out.with_suffix('.npy')}"]
    best = float("inf")
    for _ in range(REPEATS + 1):  # the first is the warm-up
        subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL)
        best = min(best, json.loads(out.read_text())["run"]["timings_s"]["sampling"])
    return best


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--chunk", type=int, default=0)
    p.add_argument("--python-loop", help=argparse.SUPPRESS)  # internal: one timed Python loop on this module
    p.add_argument("particles", type=int, nargs="*", default=[10000, 100000])
    a = p.parse_args()
    torch.set_num_threads(a.threads)
    torch._C._set_graph_executor_optimize(False)
    if a.python_loop:
        print(python_loop_seconds(a.python_loop, a.particles[0]))
        return
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        torch.jit.script(RingDenoiser()).save(str(tmp / "ring8.pt"))
        subprocess.run([str(RUN), "train", "--set", "train_steps=1", "--set", f"model_out={tmp / 'mlp.pt'}", "--out",
                        str(tmp / "train.json")], stdout=subprocess.DEVNULL)  # its accuracy checks fail after one step
        print(f"PyTorch {torch.__version__}, {a.threads} thread(s), Euler {STEPS} steps; best of {REPEATS}")
        print(f"{'module':>7} {'particles':>10} {'ayslab (s)':>11} {'Python (s)':>11} {'ayslab speed':>13}")
        for name in ("ring8", "mlp"):  # noqa: the two modules of bench/
            for n in a.particles:
                ours = ayslab_seconds(tmp / f"{name}.pt", n, a.threads, a.chunk, tmp / "sample.json")
                theirs = python_seconds(tmp / f"{name}.pt", n, a.threads)
                print(f"{name:>7} {n:>10} {ours:>11.4f} {theirs:>11.4f} {theirs / ours:>12.2f}x")


if __name__ == "__main__":
    main()
