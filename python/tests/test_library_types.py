"""The library's own types from Python (issue 38, step 3): a Denoiser (a data set's exact one, or your
callable read in its convention), the schedule families and the sampler loop, arrays in memory.
Faults caught: a schedule family off its closed form; a solve that is not the Euler method on the
denoiser it was given (checked against the closed-form Gaussian denoiser stepped in numpy); a
convention read wrongly (an eps-model of the ring must be the ring's exact denoiser); labels
dropped; noise that depends on the thread count; bad input that does not raise ValueError."""
import numpy as np
import pytest

import ayslab

MU, VAR = np.array([0.5, -0.3]), np.array([0.16, 1.0])  # the "gaussian" data set


def gaussian_denoiser(x, sigma):
    return MU + VAR / (VAR + sigma ** 2) * (x - MU)


def test_karras_schedule_is_edm_formula():
    n, lo, hi, rho = 7, 0.002, 80.0, 7.0
    i = np.arange(n + 1) / n
    closed = (hi ** (1 / rho) + i * (lo ** (1 / rho) - hi ** (1 / rho))) ** rho
    made = ayslab.make_schedule("karras", steps=n, sigma_min=lo, sigma_max=hi, rho=rho)
    np.testing.assert_allclose(made, closed, rtol=1e-13, atol=0)
    assert "karras" in ayslab.schedule_kinds() and "euler" in ayslab.solvers()


def test_euler_solve_is_euler_on_the_gaussian_denoiser():
    sigmas = ayslab.make_schedule("loguniform", steps=8, sigma_min=0.01, sigma_max=20.0)
    x0 = np.random.default_rng(4).normal(size=(500, 2)) * 20.0
    end, nfe = ayslab.solve(sigmas, x0, data="gaussian", solver="euler")
    x = x0.copy()
    for s, t in zip(sigmas[:-1], sigmas[1:]):
        x = x + (t - s) * (x - gaussian_denoiser(x, s)) / s
    assert nfe == 8
    np.testing.assert_allclose(end, x, rtol=1e-12, atol=1e-12)


def test_a_callable_in_its_convention_is_the_denoiser_it_encodes(ring):
    def eps(x, sigma):  # the ring's exact denoiser, as an eps-prediction model
        s = sigma[:, None]
        return (x - ring.denoise(x, sigma)) / s

    model = ayslab.Model(eps, shape=(2,), parametrisation="eps", model_time="sigma", model_process="edm")
    x = np.random.default_rng(5).normal(size=(300, 2)) * 3.0
    np.testing.assert_allclose(model.denoiser().denoise(x, 1.7), ring.denoise(x, 1.7), rtol=1e-12, atol=1e-12)
    sigmas = ayslab.make_schedule("karras", steps=6)
    start = np.random.default_rng(6).normal(size=(300, 2)) * 80.0
    by_model, _ = ayslab.solve(sigmas, start, model=model, solver="heun")
    exact, _ = ayslab.solve(sigmas, start, data=ring, solver="heun")
    np.testing.assert_allclose(by_model, exact, rtol=1e-10, atol=1e-10)


def test_labels_bind_the_class():
    # "mixture": component = class; class 0 is centred at (-1.5, 0), the others 2.5 or more away.
    sigmas = ayslab.make_schedule("karras", steps=40, sigma_max=20.0)
    start = np.random.default_rng(7).normal(size=(2000, 2)) * 20.0
    end, _ = ayslab.solve(sigmas, start, data="mixture", solver="heun", labels=0)
    assert np.linalg.norm(end.mean(axis=0) - np.array([-1.5, 0.0])) < 0.1
    free, _ = ayslab.solve(sigmas, start, data="mixture", solver="heun")
    assert np.linalg.norm(free.mean(axis=0) - np.array([-1.5, 0.0])) > 1.0


def test_noise_is_addressed_by_seed_not_by_threads():
    sigmas = ayslab.make_schedule("karras", steps=10)
    start = np.random.default_rng(8).normal(size=(700, 2)) * 80.0
    one, _ = ayslab.solve(sigmas, start, solver="euler-ancestral", seed=3, threads=1)
    two, _ = ayslab.solve(sigmas, start, solver="euler-ancestral", seed=3, threads=2)
    other, _ = ayslab.solve(sigmas, start, solver="euler-ancestral", seed=4, threads=2)
    assert np.array_equal(one, two) and not np.array_equal(one, other)


@pytest.mark.parametrize("call, text", [
    (lambda: ayslab.solve([80.0, 1.0], np.zeros((3, 2)), solver="rk9"), "rk9"),
    (lambda: ayslab.solve([1.0, 80.0], np.zeros((3, 2))), "sigmas"),
    (lambda: ayslab.solve([80.0, 1.0], np.zeros((3, 3))), "x: needs n rows of 2 values"),
    (lambda: ayslab.solve([80.0, 1.0], np.zeros((3, 2)), churn=1.0), "unknown solver option 'churn'"),
    (lambda: ayslab.solve([80.0, 1.0], np.zeros((3, 2)), solver="pc-langevin", corrector_steps=-1), "corrector_steps"),
    (lambda: ayslab.make_schedule("nope"), "nope"),
    (lambda: ayslab.solve([80.0, 1.0], np.zeros((3, 2)), data="mixture", labels=np.array([], dtype=int)), "0 labels for 3 rows"),
    (lambda: ayslab.Model(lambda x, s: x, shape=(2,), model_process="nope").denoiser(), "nope"),
])
def test_bad_input_raises_value_error(call, text):
    with pytest.raises(ValueError, match=text):
        call()
