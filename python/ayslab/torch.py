"""A PyTorch module as ayslab's model: ``ayslab.torch.denoiser(module, shape=..., parametrisation=...)``.

The module runs where it lives (``device``: CPU or CUDA) under ``torch.inference_mode()``; ayslab's
optimiser and solvers run on the CPU in float64 and hand the module batches of rows. Arrays move
through ``torch.from_numpy`` (no copy on the CPU) and back through ``.cpu().numpy()``.
"""
from __future__ import annotations

from typing import Any, Optional, Sequence

import numpy as np
import torch

from . import Model

__all__ = ["denoiser"]


def denoiser(module: Any, shape: Sequence[int], *, parametrisation: str = "denoiser", device: Any = None,
             dtype: torch.dtype = torch.float32, model_time: str = "sigma", model_process: str = "edm",
             model_sigma_data: float = 0.5, model_labels: int = 0, model_null_label: int = -1,
             divergence: bool = False, name: Optional[str] = None) -> Model:
    """Wraps ``module(x, c)`` (or ``module(x, c, y)`` with ``model_labels > 0``) as an ``ayslab.Model``.

    - ``shape``: one row's shape as the module takes it (``(2,)``, ``(4, 64, 64)`` for SD latents).
    - ``parametrisation``, ``model_time``, ``model_process``, ``model_sigma_data``, ``model_labels``,
      ``model_null_label``: what the module returns and what ``c`` is, as the CLI's keys of the same
      names (docs/your-model.md): e.g. a diffusers UNet wrapped to take ``(x, t)`` is
      ``parametrisation="eps", model_time="t", model_process="ddpm-scaled-linear"``.
    - ``device``: where the module's inputs go (default: where its first parameter is, else CPU);
      ``dtype``: torch.float32 (default) or torch.float64.
    - ``divergence=True`` adds the exact tr d module / dx by autograd (one backward pass per
      coordinate: for the likelihood of small-d models).
    """
    if dtype not in (torch.float32, torch.float64):
        raise ValueError(f"denoiser: dtype must be torch.float32 or torch.float64, not {dtype}")
    if device is None:
        first = next(iter(module.parameters()), None) if hasattr(module, "parameters") else None
        device = first.device if first is not None else torch.device("cpu")
    device = torch.device(device)

    def inputs(x: np.ndarray, c: np.ndarray, y: Optional[np.ndarray]):
        args = [torch.from_numpy(x).to(device=device, dtype=dtype), torch.from_numpy(c).to(device=device, dtype=dtype)]
        if y is not None:
            args.append(torch.from_numpy(y).to(device=device))
        return args

    label = name or type(module).__name__

    def call(args):
        """The module's output tensor: a diffusers-style output's ``.sample``, a tuple's first element; a
        failure inside the module (typically a shape that is not the module's) names the shape given."""
        try:
            out = module(*args)
        except RuntimeError as e:
            raise ValueError(f"model {label}: module(x [{', '.join(map(str, args[0].shape))}], c) failed: {e} "
                             f"(is shape={tuple(shape)} one row's shape as the module takes it?)") from e
        if isinstance(out, dict) and "sample" in out:
            out = out["sample"]
        elif not isinstance(out, torch.Tensor) and hasattr(out, "sample"):
            out = out.sample
        elif isinstance(out, (tuple, list)) and out:
            out = out[0]
        if not isinstance(out, torch.Tensor):
            raise TypeError(f"model {label}: the module returned {type(out).__name__}, not a tensor (or an output "
                            "with .sample, or a tuple whose first element is the tensor)")
        return out

    def forward(x: np.ndarray, c: np.ndarray, y: Optional[np.ndarray] = None) -> np.ndarray:
        with torch.inference_mode():
            return call(inputs(x, c, y)).detach().to("cpu").numpy()

    def trace(x: np.ndarray, c: np.ndarray, y: Optional[np.ndarray] = None) -> np.ndarray:
        args = inputs(x, c, y)
        xt = args[0].requires_grad_(True)
        with torch.enable_grad():
            out = call(args).reshape(xt.shape[0], -1)
            total = torch.zeros(xt.shape[0], dtype=torch.float64, device=device)
            for k in range(out.shape[1]):
                (grad,) = torch.autograd.grad(out[:, k].sum(), xt, retain_graph=k + 1 < out.shape[1])
                total += grad.reshape(xt.shape[0], -1)[:, k].to(torch.float64)
        return total.detach().cpu().numpy()

    return Model(forward, shape, parametrisation=parametrisation, model_time=model_time, model_process=model_process,
                 model_sigma_data=model_sigma_data, model_labels=model_labels, model_null_label=model_null_label,
                 dtype=np.float32 if dtype == torch.float32 else np.float64,
                 name=label, divergence=trace if divergence else None)
