#!/usr/bin/python3
"""The same work as `run-experiment bench`'s mixture cases, in PyTorch on the CPU: Euler sampling over
20 EDM rho=7 steps with the exact Gaussian-mixture denoiser (squared distances by one matmul, softmax,
a second matmul), in float64 and float32. Each timing repeats the run for at least MIN_SECONDS, as
`run-experiment bench` does. Prints particle-steps per second per case, precision and thread count.

usage: bench/torch_euler.py [DEVICE]   (needs Debian's python3-torch; DEVICE: cpu (default) or cuda,
                                      where only the GPU rows at N = 1e6 are run)
"""
import sys
import time

import torch

torch.manual_seed(0)


MIN_SECONDS = 1.0
DEVICE = sys.argv[1] if len(sys.argv) > 1 else "cpu"


def karras(n, lo=0.002, hi=80.0, rho=7.0):
    i = torch.arange(n + 1, dtype=torch.float64) / n
    return (hi ** (1 / rho) + i * (lo ** (1 / rho) - hi ** (1 / rho))) ** rho


def denoiser(means, var, weights):
    # D(x; s) = sum_k r_k (mu_k + v/(v + s^2) (x - mu_k)), r by softmax of log N(x; mu_k, (v + s^2) I)
    mu2 = (means * means).sum(1)

    def d(x, s):
        tot = var + s * s
        logits = (2 * x @ means.T - mu2) / (2 * tot) + torch.log(weights)
        r = torch.softmax(logits, dim=1)
        shrink = var / tot
        return shrink * x + (1 - shrink) * (r @ means)

    return d


def run(label, means, var, n, threads, dtype, steps=20):
    torch.set_num_threads(threads)
    means = means.to(dtype).to(DEVICE)
    k, dim = means.shape
    d = denoiser(means, var, torch.full((k,), 1.0 / k, dtype=dtype, device=DEVICE))
    sig = karras(steps)
    x0 = torch.randn(n, dim, dtype=dtype).to(DEVICE) * 80.0
    runs, total = 0, 0.0
    while total < MIN_SECONDS or runs == 0:
        x = x0.clone()
        start = time.perf_counter()
        for i in range(steps):
            s, t = float(sig[i]), float(sig[i + 1])
            x = x + (t - s) / s * (x - d(x, s))
        if DEVICE != "cpu":
            torch.cuda.synchronize()
        total += time.perf_counter() - start
        runs += 1
    rate = n * steps * runs / total
    name = str(dtype).replace("torch.", "")
    where = f"{threads} thread(s)" if DEVICE == "cpu" else DEVICE
    print(f"torch Euler, {name} {label:<22} N = {n:>7}, {where}: {rate:.3g} particle-steps/s")
    return rate


ang = torch.arange(8, dtype=torch.float64) * 2 * torch.pi / 8
ring = torch.stack([2 * torch.cos(ang), 2 * torch.sin(ang)], 1)
m64 = torch.randn(64, 64, dtype=torch.float64)
if DEVICE != "cpu":
    for dtype in (torch.float64, torch.float32):
        run("ring of 8 (d=2, K=8)", ring, 0.01, 1000000, 1, dtype)
        run("mixture d=64, K=64", m64, 0.1, 1000000, 1, dtype)
    sys.exit(0)
for dtype in (torch.float64, torch.float32):
    for t in (1, 2):
        for n in (10000, 100000):
            run("ring of 8 (d=2, K=8)", ring, 0.01, n, t, dtype)
        for n in (10000, 100000):
            run("mixture d=64, K=64", m64, 0.1, n, t, dtype)
