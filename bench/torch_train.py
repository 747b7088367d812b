#!/usr/bin/python3
"""The same training step as `run-experiment bench`'s training case, in Python PyTorch on the CPU: the
very TorchScript MLP ayslab builds (loaded from a model file written by `run-experiment train`), a
minibatch of 512 draws from the ring of 8 Gaussians, EDM's noise levels and weighting, Adam (lr 2e-3),
global gradient-norm clipping at 1, and an EMA update, at 1 and 2 threads. Each timing runs for at least
MIN_SECONDS after a warm-up; prints training steps per second, with TorchScript's graph optimiser on (as
PyTorch runs by default) and off (as ayslab runs it, for reproducibility).

usage: bench/torch_train.py [MODEL.pt [THREADS]]   (needs Debian's python3-torch; default results/model.pt,
       threads 1 and 2 — run each thread count in its own process for the fairest numbers: OpenMP's pool
       does not shrink or grow cleanly within one process)
"""
import copy
import math
import sys
import time

import torch

MIN_SECONDS = 2.0
BATCH = 512
P_MEAN, P_STD, SIGMA_DATA = -1.2, 1.2, 0.5


def ring8(n, gen):
    k = torch.randint(0, 8, (n,), generator=gen)
    angle = 2 * math.pi * k.to(torch.float32) / 8
    centres = torch.stack([2 * torch.cos(angle), 2 * torch.sin(angle)], 1)
    return centres + 0.1 * torch.randn(n, 2, generator=gen)


def bench(path, threads, optimise):
    torch.set_num_threads(threads)
    torch._C._jit_set_profiling_executor(True)
    torch._C._set_graph_executor_optimize(optimise)
    model = torch.jit.load(path)
    model.train()
    ema = [p.detach().clone() for p in model.parameters()]
    params = list(model.parameters())
    opt = torch.optim.Adam(params, lr=2e-3)
    gen = torch.Generator().manual_seed(0)

    def step():
        x0 = ring8(BATCH, gen)
        sigma = torch.exp(P_MEAN + P_STD * torch.randn(BATCH, generator=gen))
        weight = (sigma ** 2 + SIGMA_DATA ** 2) / (sigma * SIGMA_DATA) ** 2
        x = x0 + sigma[:, None] * torch.randn(BATCH, 2, generator=gen)
        d = model(x, sigma)
        loss = (weight * ((d - x0) ** 2).mean(1)).mean()
        for p in params:
            p.grad = None
        loss.backward()
        torch.nn.utils.clip_grad_norm_(params, 1.0)
        opt.step()
        with torch.no_grad():
            for e, p in zip(ema, params):
                e.mul_(0.999).add_(p, alpha=0.001)

    for _ in range(20):
        step()
    n, start = 0, time.perf_counter()
    while time.perf_counter() - start < MIN_SECONDS:
        step()
        n += 1
    return n / (time.perf_counter() - start)


def main():
    path = sys.argv[1] if len(sys.argv) > 1 else "results/model.pt"
    thread_counts = [int(sys.argv[2])] if len(sys.argv) > 2 else [1, 2]
    print(f"PyTorch {torch.__version__}, model {path}, batch {BATCH}")
    for optimise in (True, False):
        for threads in thread_counts:
            rate = bench(path, threads, optimise)
            mode = "graph optimiser on " if optimise else "graph optimiser off"
            print(f"training steps/s, {mode}, {threads} thread(s): {rate:.1f}")


if __name__ == "__main__":
    main()
