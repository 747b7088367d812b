"""ayslab in the user's Python process: Align Your Steps schedules, samplers, KLUB and likelihoods for
*your* model, computed by ayslab's C++ library (the same code as the ``run-experiment`` tool).

Every experiment of ``run-experiment`` runs here with the same keys, given as keyword arguments, and
returns the same result document as a dict. A model is any Python callable ``f(x, c)`` (or
``f(x, c, y)`` for a class-conditional one) returning an array shaped as ``x``; ``ayslab.Model`` says
what it returns (the CLI's ``parametrisation``, ``model_time``, ``model_process`` ... keys), and
``ayslab.torch.denoiser`` wraps a PyTorch module (any device). Data are built-in sets by name or your
own samples as a numpy array. See docs/python.md.

Errors: bad keys or arguments raise ``ValueError`` (``ayslab.InputError``), a numerical breakdown
``FloatingPointError`` (``ayslab.NumericalError``); an exception raised by your model comes back as
itself.
"""
from __future__ import annotations

import json
import os
from typing import Any, Callable, Optional, Sequence

import numpy as np

from . import _ayslab, _experiments
from ._ayslab import Data, Denoiser, InputError, NumericalError, Process, processes, schedule_kinds, solvers

__all__ = [
    "Data", "InputError", "NumericalError", "Model", "experiments", "default_config", "keys", "run_experiment",
    "optimise_ays", "recommend", "sample", "log_likelihood", "schedule", "export_schedule", "schedule_for_peers", "load_schedule",
    "klub", "Process", "processes", "Denoiser", "solve", "make_schedule", "solvers", "schedule_kinds",
]

_PARAMETRISATIONS = ("denoiser", "edm", "eps", "x0", "score", "v", "flow")


class Model:
    """A model as ayslab's denoiser: ``fn(x, c)`` or, with ``model_labels > 0``, ``fn(x, c, y)``.

    ``x`` arrives as a numpy array of ``n`` rows of ``shape`` (e.g. ``n x 2`` or ``n x 1 x 28 x 28``)
    in ``dtype``; ``c`` holds one value per row (float array of ``n``) and ``y`` the rows' class ids
    (int64, the null label for unconditional rows). What ``c`` is and what ``fn`` returns follow the
    CLI's model keys, passed here by the same names (docs/your-model.md):

    - ``parametrisation``: ``denoiser`` (k-diffusion: ``fn(x, sigma) = D``), ``edm``, ``eps``, ``x0``,
      ``score``, ``v`` or ``flow``;
    - ``model_time``: ``sigma`` (c is sigma) or ``t`` (c is the process's time, e.g. a DDPM model's
      fractional timestep);
    - ``model_process``: the process whose ``s(t), sigma(t)`` the model was trained on (``edm``,
      ``ddpm-linear``, ``ddpm-scaled-linear``, ``vp``, ``flow``, ...);
    - ``model_sigma_data`` (``edm``), ``model_labels`` (number of classes) and ``model_null_label``.

    ``fn`` is called with large batches from ayslab's threads, which take the GIL per call; calls overlap
    where ``fn`` lets the GIL go (PyTorch's operators do), so ``fn`` must be safe to call from several
    threads (a module in inference is). It must return an array numpy can read with ``n`` rows of ``shape`` (or ``n x prod(shape)``), finite.

    ``name``: the model's name in messages and in a checkpoint (a resumed run checks the keys and this
    name, not the weights). ``divergence``: optionally ``g(x, c[, y])`` returning tr d fn / dx per row (n values), used by the
    likelihood's probability-flow ODE; without it ayslab takes central differences of the denoiser.
    """

    def __init__(self, fn: Callable[..., Any], shape: Optional[Sequence[int]] = None, *,
                 parametrisation: str = "denoiser", model_time: str = "sigma", model_process: str = "edm",
                 model_sigma_data: float = 0.5, model_labels: int = 0, model_null_label: int = -1,
                 dtype: Any = np.float64, name: Optional[str] = None,
                 divergence: Optional[Callable[..., Any]] = None):
        if not callable(fn):
            raise TypeError(f"Model: fn must be callable, got {type(fn).__name__}")
        if parametrisation not in _PARAMETRISATIONS:
            raise ValueError(f"Model: parametrisation '{parametrisation}' is not one of {', '.join(_PARAMETRISATIONS)}")
        if model_time not in ("sigma", "t"):
            raise ValueError(f"Model: model_time must be 'sigma' or 't', not '{model_time}'")
        dtype = np.dtype(dtype)
        if dtype not in (np.dtype(np.float32), np.dtype(np.float64)):
            raise ValueError(f"Model: dtype must be float32 or float64, not {dtype}")
        if shape is not None:
            shape = (int(shape),) if isinstance(shape, (int, np.integer)) else tuple(int(v) for v in shape)
            if not shape or any(v <= 0 for v in shape):
                raise ValueError(f"Model: shape must be positive integers (one row's shape), got {shape}")
            if int(np.prod([float(v) for v in shape])) > 2 ** 40:
                raise ValueError(f"Model: shape {shape} holds more than 2^40 values per row")
        self.fn, self.shape, self.dtype = fn, shape, dtype
        self.parametrisation, self.model_time, self.model_process = parametrisation, model_time, model_process
        self.model_sigma_data, self.model_labels = float(model_sigma_data), int(model_labels)
        self.model_null_label = int(model_null_label)
        if divergence is not None and not callable(divergence):
            raise TypeError(f"Model: divergence must be callable or None, got {type(divergence).__name__}")
        self.divergence = divergence
        self.name = name or getattr(fn, "__name__", type(fn).__name__)

    def denoiser(self, shape: Optional[Sequence[int]] = None) -> Denoiser:
        """This model as the library's ``Denoiser`` (read in its convention: D(x; sigma) in k-diffusion's
        units), for ``solve`` and ``Denoiser.denoise``. ``shape``: one row's shape where the model has none."""
        shape = self.shape or (tuple(int(v) for v in shape) if shape is not None else None)
        if shape is None:
            raise ValueError("Model.denoiser: give the model's row shape (Model(fn, shape=...))")
        return _ayslab.model_denoiser(self.fn, list(shape), self.dtype == np.float32, self.model_labels > 0, self.name,
                                      self.divergence, self.parametrisation, self.model_time, self.model_process,
                                      self.model_sigma_data, self.model_labels, self.model_null_label)

    def keys(self) -> dict:
        """The CLI keys this model sets (all but ``model`` itself)."""
        k = {"parametrisation": self.parametrisation, "model_time": self.model_time,
             "model_process": self.model_process, "model_sigma_data": self.model_sigma_data,
             "model_labels": self.model_labels, "model_null_label": self.model_null_label}
        if self.shape is not None and len(self.shape) > 1:
            k["model_shape"] = ",".join(str(v) for v in self.shape)
        return k


def experiments() -> dict:
    """Every experiment's name and one-line summary (``run-experiment --list``)."""
    return dict(_experiments.experiments())


def default_config(name: str) -> dict:
    """The experiment's default keys (its embedded experiments/NAME.json)."""
    return json.loads(_experiments.default_config(name))


def keys(name: str) -> dict:
    """The experiment's keys: name -> (type, description) (``run-experiment NAME --help``)."""
    return {k: (t, d) for k, t, d in _experiments.keys(name)}

# A path key set to this reads its rows from the arrays handed to the run (no file in between).
_IN_MEMORY = "@memory"


def _plain(value: Any) -> Any:
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, os.PathLike):
        return os.fspath(value)
    raise TypeError(f"a key's value of type {type(value).__name__} cannot be passed to ayslab")


def _check_finite(key: str, value: Any) -> None:
    """A key's number must be finite: ValueError naming the key (JSON has no NaN or infinity)."""
    if isinstance(value, (float, np.floating)) and not np.isfinite(value):
        raise ValueError(f"key '{key}' must be finite, got {value}")
    if isinstance(value, np.ndarray) and np.issubdtype(value.dtype, np.floating) and not np.all(np.isfinite(value)):
        raise ValueError(f"key '{key}' must be finite, got a value that is not")
    if isinstance(value, (list, tuple)):
        for v in value:
            _check_finite(key, v)


def _as_rows(array: Any, what: str) -> np.ndarray:
    a = np.asarray(array)
    if a.ndim < 2 or a.shape[0] == 0:
        raise ValueError(f"{what}: needs at least one row of at least one value (N x shape), got shape {a.shape}")
    if not np.issubdtype(a.dtype, np.floating) and not np.issubdtype(a.dtype, np.integer):
        raise ValueError(f"{what}: needs numbers, got dtype {a.dtype}")
    a = np.ascontiguousarray(a.reshape(a.shape[0], -1), dtype=np.float64)
    if not np.all(np.isfinite(a)):
        raise FloatingPointError(f"{what}: contains a value that is not finite")
    return a


def _progress_bar():
    """A tqdm bar over AYS sweeps when tqdm is installed (None otherwise: stderr lines)."""
    try:
        from tqdm.auto import tqdm
    except ImportError:
        return None, None
    bar = tqdm(desc="ays sweeps", unit="sweep")

    def update(entry):
        bar.total = entry["total"]
        bar.n = entry["done"]
        bar.set_postfix(steps=entry["steps"], klub=f"{entry['klub']:.4g}")
        bar.refresh()

    return update, bar


def run_experiment(name: str, *, model: Any = None, data: Any = None, labels: Any = None, threads: int = 0,
                   progress: Any = False, checkpoint: Optional[str] = None, resume: bool = False,
                   **keys: Any) -> dict:
    """Runs experiment ``name`` (see ``experiments()``) with the CLI's keys as keyword arguments and
    returns its result document (``config``, ``results``, ``checks``, ``passed``, ...), as
    ``run-experiment NAME --set key=value ...`` would write it.

    - ``model``: an ``ayslab.Model`` (or a callable, read as ``Model(fn)`` with the data's row shape)
      used as the denoiser (``denoiser=model``); the document gains ``model_evaluations`` (calls and
      rows the model evaluated). A path is a TorchScript file, as the CLI's ``model=FILE``.
    - ``data``: a built-in set's name (``ring8``, ``fashion-mnist``, ...) or your samples as an array of
      N rows (N x d, or N x C x H x W); ``labels``: one class id per row of ``data`` (an array, or a
      file as the CLI's ``labels=FILE``).
    - ``threads``: the cores ayslab uses (default 0: all, as the CLI; results do not depend on it). A
      model's calls are cut into row slices run at once on them, one intra-op thread each
      (docs/performance.md, "Threads").
    - ``progress``: ``True`` shows the AYS sweeps (a tqdm bar where tqdm is installed, else lines on
      stderr); a callable receives a dict per sweep (``steps``, ``sweep``, ``klub``, ``klub_se``,
      ``improved``, ``done``, ``total``) — an exception it raises stops the run and comes back.
    - ``checkpoint``: a file the AYS optimisation writes its state to after every sweep;
      ``resume=True`` continues from it (same keys and seed; the result equals an uninterrupted run's).
    - Arrays travel in memory, both ways: ``data``, ``labels``, ``start`` (``sample``'s start points)
      and ``schedule_file`` (a list of sigmas) reach the run without a file, and ``sample``'s end
      points come back as ``samples`` (written to ``output`` only when given). A trained network
      (``model_out`` of ``train`` and ``features``) is a file, written where the key says (the CLI's
      default, ``results/...``, unless given).
    """
    return _run(name, {}, model, data, labels, threads, progress, checkpoint, resume, keys)


def _run(name: str, arrays: dict, model: Any, data: Any, labels: Any, threads: Any, progress: Any,
         checkpoint: Optional[str], resume: bool, keys: dict) -> dict:
    """run_experiment with `arrays` ({path key: rows}) handed to the run in memory."""
    if not isinstance(threads, (int, np.integer)) or isinstance(threads, bool) or not 0 <= threads <= 1024:
        raise ValueError(f"threads: needs an integer in [0, 1024] (0 = the cores), got {threads!r}")
    given = dict(keys)
    arrays = dict(arrays)
    shape = None
    if data is not None:
        if isinstance(data, str):
            given["data"] = data
        else:
            original = np.asarray(data)
            arrays["file"] = _as_rows(original, "data")
            shape = original.shape[1:]
            given["data"], given["file"] = "file", _IN_MEMORY
    if isinstance(labels, (str, os.PathLike)):  # a file, as the CLI's labels=FILE
        given["labels"] = os.fspath(labels)
    elif labels is not None:
        y = np.asarray(labels)
        if y.ndim != 1 or not np.issubdtype(y.dtype, np.integer):
            raise ValueError(f"labels: needs one integer class id per row (1-D ints), got shape {y.shape} dtype {y.dtype}")
        arrays["labels"] = y.astype(np.float64).reshape(-1, 1)
        given["labels"] = _IN_MEMORY
    # Arrays for the path keys that read rows (sample's start points, a schedule's sigmas) travel in memory.
    for key, as_rows in (("start", True), ("schedule_file", False)):
        value = given.get(key)
        if value is not None and not isinstance(value, (str, os.PathLike)):
            a = np.asarray(value, dtype=np.float64)
            arrays[key] = _as_rows(a, key) if as_rows else a.reshape(-1, 1)
            given[key] = _IN_MEMORY
    defaults = default_config(name)
    if name == "sample" and "output" not in given:
        given["output"] = ""  # the end points come back in memory (document["samples"])
    model_spec = None
    if isinstance(model, (str, os.PathLike)):  # a TorchScript file, as the CLI's model=FILE
        given["model"] = os.fspath(model)
        if "denoiser" in defaults:
            given.setdefault("denoiser", "model")
    elif model is not None:
        if not isinstance(model, Model):
            model = Model(model)
        model_shape = model.shape or shape
        if model_shape is None:
            raise ValueError("model: give its row shape (ayslab.Model(fn, shape=...)) or pass data as an array")
        model_spec = (model.fn, list(model_shape), model.dtype == np.float32, model.model_labels > 0, model.name,
                      model.divergence)
        shape = tuple(model_shape)
        given.update(model.keys())
        given["model"] = "@" + model.name
        if "denoiser" in defaults:
            given["denoiser"] = "model"
    on_sweep, bar = (progress, None) if callable(progress) else _progress_bar() if progress is True else (None, None)
    for key, value in given.items():
        _check_finite(key, value)
    try:
        text = json.dumps(given, default=_plain, allow_nan=False)
        answer = _experiments.run_experiment(name, text, threads=threads, progress=progress is True and on_sweep is None,
                                             checkpoint=os.fspath(checkpoint) if checkpoint else "", resume=resume,
                                             on_sweep=on_sweep, arrays=arrays, model=model_spec)
    finally:
        if bar is not None:
            bar.close()
    document = json.loads(answer["document"])
    if "model_evaluations" in answer:
        document["model_evaluations"] = dict(answer["model_evaluations"])
    if "samples" in answer["arrays"]:
        samples = answer["arrays"]["samples"]
        document["samples"] = samples.reshape((samples.shape[0],) + tuple(shape)) if shape else samples
    return document


def optimise_ays(*, model: Any = None, data: Any = "ring8", steps: int = 10, **keys: Any) -> dict:
    """Align Your Steps (experiment ``ays``): the schedule of ``steps`` steps minimising the KLUB for
    the model (or the data's exact denoiser), judged against EDM's rho = 7 schedule (KLUB and samples,
    ``result["results"]["comparison"]``). The schedule is ``result["results"]["schedule"]`` (``sigmas``,
    and the process's ``t``); ``export_schedule`` turns it into the line to paste.

    ``optimiser=``: ``"ays"`` (the paper's, the default) or one of the league's — ``"ays-dp"``,
    ``"ays-grid"``, ``"watson"``, ``"gits"``, ``"oss"``, ``"ld3"`` (the last three for
    ``optimiser_sampler``, from a teacher of ``particles`` Heun paths of ``teacher_steps`` steps; the
    DP ones on a ``grid`` of sigmas) — judged the same way; ``result["results"]["optimiser"]`` holds its
    objective, its cost in denoiser rows and its time (docs/optimiser-league.md)."""
    return run_experiment("ays", model=model, data=data, steps=steps, **keys)


def recommend(*, model: Any = None, data: Any = "ring8", **keys: Any) -> dict:
    """Which schedule for *your* sampler(s) at *your* NFE (experiment ``recommend``, docs/recommend.md):
    every candidate (``candidates``: the optimisers of the registry and the schedule families, ``auto``
    by default; ``candidate_file`` adds your own) judged with each of ``samplers`` at each of ``nfe``
    on held-out starts against ``current`` (EDM rho = 7 by default), paired, with a verdict per cell:
    ``result["results"]["cells"][i]["verdict"]`` (``keep``, ``winner``, ``margin``, ``margin_se``) and
    the schedule to use, ``["recommended"]`` (``sigmas``, ``t``) and ``["exports"]`` (``peer_sigmas``:
    the N + 1 sigmas ending in 0; ``timesteps`` for DDPM processes). The same keys and table as the
    CLI's ``run-experiment recommend``."""
    return run_experiment("recommend", model=model, data=data, **keys)


def sample(*, model: Any = None, data: Any = "ring8", **keys: Any) -> tuple:
    """Samples with a solver and schedule (experiment ``sample``); returns ``(samples, document)``, the
    end points shaped as the data's rows."""
    document = run_experiment("sample", model=model, data=data, **keys)
    return document.pop("samples"), document


def log_likelihood(*, model: Any = None, data: Any = "ring8", **keys: Any) -> dict:
    """log p(x) (or log p(x | label)) by the probability-flow ODE (experiment ``likelihood``)."""
    return run_experiment("likelihood", model=model, data=data, **keys)


def klub(sigmas: Optional[Sequence[float]] = None, *, model: Any = None, data: Any = "ring8", **keys: Any) -> dict:
    """The KLUB (what AYS minimises, MATH.md §5) of one schedule for the model (or the data's exact
    denoiser), per interval and in total with standard errors (experiment ``klub``): the result's
    ``results["klub"]`` (``value``, ``se``; ``closed_form`` on Gaussian data) and
    ``results["intervals"]``.

    ``sigmas``: the schedule, largest first (a trailing 0, k-diffusion's form, is dropped: the KLUB runs
    down to the last positive sigma); without it the schedule keys (``schedule``, ``steps``, ``rho``,
    ...) make one. Same seed and ``samples`` as an ``optimise_ays`` run give the numbers of its
    comparison table."""
    if sigmas is None:
        return run_experiment("klub", model=model, data=data, **keys)
    values = [float(v) for v in np.asarray(sigmas, dtype=np.float64).ravel()]
    while values and values[-1] == 0.0:
        values.pop()
    if len(values) < 2 or any(not (0 < v < float("inf")) for v in values):
        raise ValueError("sigmas: needs at least two positive finite values, largest first (and at most a trailing 0)")
    keys.update(schedule="file", schedule_file=_IN_MEMORY, steps=len(values) - 1, sigma_min=min(values),
                sigma_max=max(values))
    return _run("klub", _schedule_rows(values), model, data, None, 0, False, None, False, keys)


def _schedule_rows(values: Sequence[float]) -> dict:
    """A list of sigmas as the in-memory value of schedule_file (one column)."""
    return {"schedule_file": np.asarray(values, dtype=np.float64).reshape(-1, 1)}


def schedule(**keys: Any) -> dict:
    """A schedule (experiment ``schedule``): any kind, the published tables, and the exports for
    diffusers / k-diffusion / ComfyUI (key ``format``)."""
    return run_experiment("schedule", **keys)


def _schedule_document(sigmas: Sequence[float], format: str, process: str) -> dict:
    """The ``schedule`` experiment's document for a list of sigmas (largest first; a trailing 0 allowed)."""
    values = [float(v) for v in np.asarray(sigmas, dtype=np.float64).ravel()]
    if not all(np.isfinite(values)):
        raise ValueError("sigmas: every value must be finite")
    positive = [v for v in values if v > 0]  # a list may end in 0, as k-diffusion's do
    if not positive:
        raise ValueError("sigmas: needs at least one positive value")
    keys = dict(schedule="file", schedule_file=_IN_MEMORY, format=format, process=process, sigma_min=min(positive),
                sigma_max=max(positive))
    return _run("schedule", _schedule_rows(values), None, None, None, 0, False, None, False, keys)


def schedule_for_peers(sigmas: Any, *, process: str = "edm") -> dict:
    """A schedule as the objects the peers' samplers take (the line ``export_schedule`` prints, as values).

    ``sigmas``: ayslab's knots (``result["results"]["schedule"]["sigmas"]``: N + 1 values from sigma_max
    down to sigma_min, N steps), a result document, or a path (``load_schedule`` reads it). Returns a dict:

    - ``sigmas``: numpy float64 array of N + 1 values ending in **0** — each step's start, the last step
      going to the clean sample — as k-diffusion's samplers, ComfyUI's SIGMAS and diffusers'
      ``sigmas=`` take them (``torch.from_numpy(...)`` for k-diffusion); in t units for ``process="flow"``.
      It differs from ayslab's knots only in the last value (sigma_min becomes 0).
    - ``timesteps``: for a DDPM process, diffusers' ``timesteps=`` as a list of N Python ints (one per
      step: the knots' integer t; a knot of 0 has none); ``None`` otherwise.
    - ``steps``: N.
    """
    if isinstance(sigmas, (str, os.PathLike, dict)):
        sigmas = load_schedule(sigmas)
    exports = _schedule_document(sigmas, "json", process)["results"]["exports"]
    if "timesteps_error" in exports:
        raise ValueError(exports["timesteps_error"])
    return {"sigmas": np.asarray(exports["peer_sigmas"], dtype=np.float64),
            "timesteps": [int(t) for t in exports["timesteps"]] if "timesteps" in exports else None,
            "steps": int(exports["steps"])}


def load_schedule(source: Any) -> np.ndarray:
    """A schedule's sigmas (ayslab's knots, largest first) from a result document (a dict, e.g. what
    ``optimise_ays`` returns) or a file: a result JSON (``results/ays.json``), a JSON list or a text list
    of sigmas — read by the same code as the CLI's ``schedule_file=``."""
    if isinstance(source, dict):
        schedule = source.get("results", source).get("schedule", source.get("results", source))
        if not isinstance(schedule, dict) or "sigmas" not in schedule:
            raise ValueError("load_schedule: the document has no results.schedule.sigmas")
        return np.asarray(schedule["sigmas"], dtype=np.float64)
    if not isinstance(source, (str, os.PathLike)):
        raise TypeError(f"load_schedule: needs a result document (dict) or a path, got {type(source).__name__}")
    document = run_experiment("schedule", schedule="file", schedule_file=os.fspath(source), format="json")
    return np.asarray(document["results"]["schedule"]["sigmas"], dtype=np.float64)


def export_schedule(sigmas: Sequence[float], *, format: str = "diffusers", process: str = "edm") -> str:
    """A schedule (its sigmas, largest first, e.g. ``optimise_ays(...)["results"]["schedule"]["sigmas"]``)
    in the form a peer takes (the ``schedule`` experiment's ``format``): ``diffusers`` (``timesteps=``
    for DDPM processes, ``sigmas=`` otherwise), ``kdiffusion``, ``comfyui``, ``list`` or ``json``.
    Returns the line(s) to paste; ``schedule_for_peers`` gives the same as objects."""
    return _schedule_document(sigmas, format, process)["results"]["paste"]


def make_schedule(kind: str = "karras", *, steps: int = 10, sigma_min: float = 0.002, sigma_max: float = 80.0,
                  rho: float = 7.0, c: float = 0.5, process: str = "edm", denoise: float = 1.0) -> np.ndarray:
    """A schedule's sigmas (``steps + 1`` values, largest first) made by the library: ``kind`` is the CLI's
    ``schedule`` key (``schedule_kinds()``: karras, loguniform, uniform-t, arctan, the published tables
    ...), the other arguments its keys of the same names."""
    return _ayslab.make_schedule(kind, steps, sigma_min, sigma_max, rho, c, process, denoise)


def solve(sigmas: Sequence[float], x: Any, *, model: Any = None, data: Any = "ring8", solver: str = "euler",
          seed: int = 0, labels: Any = None, threads: int = 0, **options: Any) -> tuple:
    """Runs your start points ``x`` (``n`` rows, any row shape; at ``sigmas[0]`` in k-diffusion's units)
    down the schedule ``sigmas`` (largest first; a trailing 0 takes the last step to the clean sample) with
    ``solver`` (``solvers()``) and returns ``(end points shaped as x, NFE)`` — the library's sampler
    loop called directly, arrays in memory, no experiment around it.

    The denoiser is ``model`` (an ``ayslab.Model``, a ``Denoiser``, or a callable read as
    ``Model(fn)`` with ``x``'s row shape) or else ``data``'s exact one (a name or a ``Data``).
    ``labels``: one class id per row, or one for all (a conditional model or labelled data). ``seed``
    addresses a stochastic solver's noise (the result does not depend on ``threads``); ``options``:
    the solver's keys (``eta``, ``s_churn``, ``s_tmin``, ``s_tmax``, ``s_noise``, ``snr``,
    ``corrector_steps``, ``kdiffusion_3m``, ``brownian``). No pre-flight runs here: check a new model's
    reading with ``run_experiment("model-check", model=...)`` first."""
    x = np.asarray(x, dtype=np.float64)
    if x.ndim < 1 or x.shape[0] == 0:
        raise ValueError(f"x: needs at least one row, got shape {x.shape}")
    if isinstance(model, Denoiser):
        denoiser = model
    elif model is not None:
        denoiser = (model if isinstance(model, Model) else Model(model)).denoiser(x.shape[1:] or (1,))
    else:
        denoiser = (data if isinstance(data, Data) else Data(data)).denoiser
    if labels is not None:
        labels = np.atleast_1d(np.asarray(labels))
    sigmas = np.asarray(sigmas, dtype=np.float64).ravel()
    end, nfe = _ayslab.solve(denoiser, sigmas, np.ascontiguousarray(x), solver=solver, seed=seed, labels=labels,
                             threads=threads, options=options)
    return end, nfe
