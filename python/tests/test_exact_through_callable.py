"""The C++ library driven through a Python callable: an exact denoiser wrapped as a Python model gives
the native results to the bit (float64), so nothing in the binding (rows, shapes, sigmas per row,
labels, chunks, the parametrisation formulas) moves a number. Plausible faults caught: rows reordered or
reshaped, per-row sigmas collapsed to one, labels mapped wrong, float32 rounding slipped in."""
import numpy as np
import pytest

import ayslab

AYS = dict(steps=6, samples=256, validation_samples=1024, max_sweeps=3, eval_seeds=2, eval_particles=500)


def test_ays_schedule_is_the_native_one(exact_model):
    native = ayslab.optimise_ays(**AYS)
    through = ayslab.optimise_ays(model=exact_model, **AYS)
    assert through["results"]["schedule"] == native["results"]["schedule"]
    assert through["results"]["comparison"] == native["results"]["comparison"]
    # Every KLUB and sample evaluation went through the callable, in batches.
    calls, rows = through["model_evaluations"]["calls"], through["model_evaluations"]["rows"]
    assert calls > 0 and rows > 10 * calls


@pytest.mark.parametrize("solver", ["heun", "dpmpp-2m", "euler-ancestral"])
def test_sample_end_points_are_the_native_ones(exact_model, solver):
    native, _ = ayslab.sample(solver=solver, steps=8, particles=1000)
    through, doc = ayslab.sample(model=exact_model, solver=solver, steps=8, particles=1000)
    assert through.shape == (1000, 2)
    assert np.array_equal(through, native)
    assert doc["model_evaluations"]["rows"] > 0


def test_likelihood_is_the_native_one(exact_model):
    keys = dict(data="ring8", evaluated_points=3, probes=64)
    native = ayslab.log_likelihood(**keys)
    through = ayslab.log_likelihood(model=exact_model, **keys)
    # A float64 model keeps the float64 ODE tolerance (1e-10): same steps, same numbers.
    assert through["config"]["rtol"] == 1e-10
    assert through["results"]["ring8"] == native["results"]["ring8"]
    assert through["results"]["preflight"]["bad_bands"] == 0


def test_label_and_guidance_through_a_conditional_callable(ring):
    def f(x, sigma, y):
        assert y.dtype == np.int64
        assert np.all(sigma == sigma[0])
        return ring.denoise(x, sigma[0], np.where(y == 8, -1, y))  # the model's null id 8 is ayslab's -1

    model = ayslab.Model(f, shape=(2,), model_labels=8)
    keys = dict(solver="heun", steps=8, particles=500, label=3, guidance=3.0)
    native, native_doc = ayslab.sample(**keys)
    through, doc = ayslab.sample(model=model, preflight=False, threads=1, **keys)
    assert np.array_equal(through, native)
    # Guidance doubles the rows (conditional and unconditional in one batched call): NFE 16 (Heun's 8
    # steps down to sigma_min) of 2 x 500 rows, one call per evaluation on one core (a model's default
    # chunk is all particles; on k cores each call is cut into k slices run at once, the same points);
    # with chunk=256, two calls of 2 x 256 rows at most, the same points.
    assert native_doc["results"]["nfe"] == 16
    assert doc["model_evaluations"]["rows"] == 16 * 2 * 500
    assert doc["model_evaluations"]["calls"] == 16
    chunked, doc = ayslab.sample(model=model, preflight=False, chunk=256, threads=1, **keys)
    assert np.array_equal(chunked, native)
    assert doc["model_evaluations"]["calls"] == 16 * 2
    sliced, doc = ayslab.sample(model=model, preflight=False, threads=2, **keys)
    assert np.array_equal(sliced, native)
    assert doc["model_evaluations"]["calls"] == 16 * 2  # 2 x 500 rows: two slices of 500 at once
    assert doc["model_evaluations"]["rows"] == 16 * 2 * 500


def test_eps_parametrisation_is_converted_in_cpp(ring):
    """An eps-model (EDM process, sigma as its time input) written in Python: ayslab's own formulas
    D = x - sigma eps give the exact end points to rounding (the two differ by one subtraction)."""

    def eps(x, sigma):
        return (x - ring.denoise(x, sigma)) / sigma[:, None]

    model = ayslab.Model(eps, shape=(2,), parametrisation="eps", model_time="sigma", model_process="edm")
    native, _ = ayslab.sample(solver="heun", steps=8, particles=500)
    through, _ = ayslab.sample(model=model, solver="heun", steps=8, particles=500)
    assert np.max(np.abs(through - native)) < 1e-11


def test_image_shaped_rows_and_float32(ring):
    seen = {}

    def f(x, sigma):
        seen["shape"], seen["dtype"] = x.shape[1:], x.dtype
        return ring.denoise(x.reshape(len(x), 2).astype(np.float64), sigma.astype(np.float64)).reshape(x.shape)

    model = ayslab.Model(f, shape=(2, 1, 1), dtype=np.float32)
    native, _ = ayslab.sample(solver="heun", steps=8, particles=500)
    through, _ = ayslab.sample(model=model, solver="heun", steps=8, particles=500)
    assert seen == {"shape": (2, 1, 1), "dtype": np.float32}
    assert through.shape == (500, 2, 1, 1)
    # float32 inputs: each step's D is off by ~1e-7 relative; 16 evaluations keep the end points within 1e-5.
    error = np.max(np.abs(through.reshape(500, 2) - native))
    assert 0 < error < 1e-5


def test_data_as_an_array_has_the_ideal_denoiser(ring):
    """The user's samples as data: the exact denoiser of the point set is the softmax-weighted mean of
    the points (MATH §2), computed here independently in numpy."""
    points = ring.sample(300, seed=5)
    data = ayslab.Data("file", file=_save(points), held_out=0)
    x = np.random.default_rng(1).normal(size=(20, 2)) * 2
    for sigma in (0.05, 0.5, 5.0):
        d2 = ((x[:, None, :] - points[None, :, :]) ** 2).sum(-1)
        w = np.exp(-(d2 - d2.min(1, keepdims=True)) / (2 * sigma**2))
        ideal = (w @ points) / w.sum(1, keepdims=True)
        assert np.max(np.abs(data.denoise(x, sigma) - ideal)) < 1e-12


def test_run_experiment_takes_data_arrays(ring):
    points = ring.sample(400, seed=2)
    result = ayslab.run_experiment("ays", data=points, steps=5, samples=128, validation_samples=256, max_sweeps=2,
                                   eval_seeds=2, eval_particles=200, held_out_fraction=0.25, points=400)
    assert result["results"]["data"] == {"name": "file", "dim": 2, "points": 300, "held_out": 100}
    assert len(result["results"]["schedule"]["sigmas"]) == 6


def _save(points):
    import os
    import tempfile

    path = os.path.join(tempfile.mkdtemp(prefix="ayslab-test-"), "points.npy")
    np.save(path, points)
    return path


def test_export_schedule_takes_the_peers_forms():
    """Schedules to paste (docs/schedule.md): ComfyUI takes N + 1 sigmas ending in 0, the first N being
    each step's start, so ayslab's 4-step list ending at sigma_min becomes 80, 3, 1, 0.3, 0, while a
    list that already ends in 0 is 5 steps (0.002 is then a step's start); diffusers' DDPM timesteps
    are one per step, from 999."""
    ays = [80.0, 3.0, 1.0, 0.3, 0.002]
    assert ayslab.export_schedule(ays, format="comfyui") == "80, 3, 1, 0.3, 0"
    assert ayslab.export_schedule(ays + [0.0], format="comfyui") == "80, 3, 1, 0.3, 0.002, 0"
    line = ayslab.export_schedule([14.6, 3.0, 1.0, 0.3, 0.0292], format="diffusers", process="ddpm-scaled-linear")
    assert line.startswith("timesteps=[999, ") and line.count(",") == 3
    with pytest.raises(ValueError, match="positive"):
        ayslab.export_schedule([0.0])


def test_all_classes_ays_through_a_conditional_callable(ring):
    """ays over every class (all_classes: the KLUB's x_0 drawn with their own label, the model called
    with each row's label and, in the KLUB, each row's sigma) at guidance 3, through a conditional
    Python callable: the native schedule and comparison to the bit. A binding that dropped the per-row
    labels or sigmas would move the schedule (the unconditional one differs by up to 50%)."""

    def f(x, sigma, y):
        return ring.denoise(x, sigma, np.where(y == 8, -1, y))  # per-row sigmas and labels

    model = ayslab.Model(f, shape=(2,), model_labels=8)
    keys = dict(AYS, all_classes=True, guidance=3.0)
    native = ayslab.optimise_ays(**keys)
    through = ayslab.optimise_ays(model=model, preflight=False, **keys)
    assert native["results"]["label"] == "all"
    assert through["results"]["schedule"] == native["results"]["schedule"]
    assert through["results"]["comparison"] == native["results"]["comparison"]
    plain = ayslab.optimise_ays(**AYS)
    assert plain["results"]["schedule"] != native["results"]["schedule"]
