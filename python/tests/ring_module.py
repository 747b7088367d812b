"""The ring of 8's exact denoiser (8 Gaussians, std 0.1, radius 2: ayslab's `ring8`) as a PyTorch
module in k-diffusion's convention D(x, sigma), shared by the adapter tests and
bench/python_callable.py. The tests compare it with ayslab's own exact denoiser, so a slip here fails
them."""
import math

import torch


class RingDenoiser(torch.nn.Module):
    def forward(self, x, sigma):
        a = torch.arange(8, dtype=x.dtype) * (2 * math.pi / 8)
        mu = torch.stack([2 * torch.cos(a), 2 * torch.sin(a)], 1)
        s2 = sigma[:, None] ** 2
        d2 = ((x[:, None, :] - mu[None]) ** 2).sum(2)
        r = torch.softmax(-d2 / (2 * (0.01 + s2)), 1)
        k = 0.01 / (0.01 + s2)
        post = mu[None] + k[:, :, None] * (x[:, None, :] - mu[None])
        return (r[:, :, None] * post).sum(1)
