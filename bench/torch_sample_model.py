#!/usr/bin/python3
"""The same work as `run-experiment bench`'s network-sampling case, in Python PyTorch on the CPU: Euler
over 20 EDM rho=7 steps on 10 000 particles with a TorchScript denoiser model (k-diffusion's convention
forward(x, sigma) -> D, as `run-experiment train` writes it; the untrained and trained MLP cost the
same), float32 state as k-diffusion keeps it, under torch.no_grad(). Each timing repeats the run for at
least MIN_SECONDS after a warm-up. Prints particle-steps per second, with TorchScript's graph optimiser
on (PyTorch's default) and off (as ayslab runs it).

usage: bench/torch_sample_model.py [MODEL.pt [THREADS]]   (Debian's python3-torch; default
       results/model.pt, threads 1 — run each thread count in its own process)
"""
import sys
import time

import torch

MIN_SECONDS = 2.0
N, STEPS = 10000, 20


def karras(n, lo=0.002, hi=80.0, rho=7.0):
    i = torch.arange(n + 1, dtype=torch.float64) / n
    return ((hi ** (1 / rho) + i * (lo ** (1 / rho) - hi ** (1 / rho))) ** rho).to(torch.float32)


def euler(model, x, sigmas):
    # k-diffusion sample_euler with s_churn = 0: x += (x - D) / sigma * (sigma_next - sigma)
    ones = torch.ones(x.shape[0])
    for i in range(len(sigmas) - 1):
        d = (x - model(x, sigmas[i] * ones)) / sigmas[i]
        x = x + d * (sigmas[i + 1] - sigmas[i])
    return x


def rate(model, sigmas):
    gen = torch.Generator().manual_seed(1)
    with torch.no_grad():
        euler(model, torch.randn(N, 2, generator=gen) * 80.0, sigmas)  # warm-up
        runs, start = 0, time.perf_counter()
        while True:
            euler(model, torch.randn(N, 2, generator=gen) * 80.0, sigmas)
            runs += 1
            elapsed = time.perf_counter() - start
            if elapsed >= MIN_SECONDS:
                return runs * N * STEPS / elapsed


def main():
    path = sys.argv[1] if len(sys.argv) > 1 else "results/model.pt"
    threads = int(sys.argv[2]) if len(sys.argv) > 2 else 1
    torch.set_num_threads(threads)
    sigmas = karras(STEPS)
    for optimise in (True, False):
        torch._C._set_graph_executor_optimize(optimise)
        model = torch.jit.load(path).eval()
        print(f"PyTorch {torch.__version__}, Euler {STEPS} steps, {N} particles, {threads} thread(s), graph optimiser "
              f"{'on' if optimise else 'off'}: {rate(model, sigmas):.3g} particle-steps/s")


if __name__ == "__main__":
    main()
