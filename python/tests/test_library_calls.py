"""The library's pieces called one by one, not through a whole experiment: processes (against their
closed forms and their own derivatives) and the KLUB of a given schedule (against the Gaussian closed
form, against the ays run's own comparison, and through a Python callable to the bit). Plausible faults
caught: a process method bound to the wrong formula or losing the array's shape, t_of_sigma not the
inverse of sigma, a KLUB on other draws than ays's, a schedule file read with a step resampled away,
the trailing 0 of a k-diffusion list reaching the sigma^-3 integrand."""
import math

import numpy as np
import pytest

import ayslab


def test_vp_process_is_score_sdes_closed_form():
    vp = ayslab.Process("vp")
    t = np.linspace(0.05, 1.0, 7).reshape(7, 1)
    # score_sde's VPSDE (beta from 0.1 to 20): log alpha_bar = -(0.1 t + 9.95 t^2), s = sqrt(alpha_bar),
    # sigma = sqrt(1/alpha_bar - 1) (MATH §1).
    alpha_bar = np.exp(-(0.1 * t + 0.5 * (20 - 0.1) * t ** 2))
    assert vp.s(t).shape == (7, 1)
    np.testing.assert_allclose(vp.s(t), np.sqrt(alpha_bar), rtol=1e-13)
    np.testing.assert_allclose(vp.sigma(t), np.sqrt(1 / alpha_bar - 1), rtol=1e-12)
    np.testing.assert_allclose(vp.t_of_sigma(vp.sigma(t)), t, rtol=1e-10)
    assert isinstance(vp.s(0.5), float)


@pytest.mark.parametrize("name", ["edm", "vp", "subvp", "ve", "ddpm-cosine", "flow"])
def test_derivatives_and_diffusion_agree_with_the_process_itself(name):
    p = ayslab.Process(name)
    t = np.linspace(p.t_min + 0.1 * (p.t_max - p.t_min), p.t_max - 0.1 * (p.t_max - p.t_min), 9)
    h = 1e-6 * (p.t_max - p.t_min)
    # Central differences: error ~ h^2 f''' / 6, far below 1e-6 relative for these smooth processes.
    np.testing.assert_allclose(p.ds_dt(t), (p.s(t + h) - p.s(t - h)) / (2 * h), rtol=1e-6, atol=1e-9)
    np.testing.assert_allclose(p.dsigma_dt(t), (p.sigma(t + h) - p.sigma(t - h)) / (2 * h), rtol=1e-6)
    np.testing.assert_allclose(p.f(t), p.ds_dt(t) / p.s(t), rtol=1e-13)
    np.testing.assert_allclose(p.g2(t), 2 * p.s(t) ** 2 * p.sigma(t) * p.dsigma_dt(t), rtol=1e-10)
    assert p.sigma_max == pytest.approx(p.sigma(p.t_max), rel=1e-15)


def test_processes_are_the_clis():
    assert set(ayslab.processes()) >= {"edm", "ve", "vp", "subvp", "ddpm-linear", "ddpm-scaled-linear",
                                       "ddpm-cosine", "flow"}
    with pytest.raises(ValueError, match="process"):
        ayslab.Process("vq")


def test_klub_on_gaussian_data_is_the_closed_form():
    sigmas = [80.0, 20.0, 5.0, 1.0, 0.3, 0.05, 0.002]
    r = ayslab.klub(sigmas, data="gaussian", samples=8192, seed=1)["results"]
    k = r["klub"]
    # Monte Carlo within 4 standard errors of the closed form (seed 1; the run's own check too).
    assert abs(k["value"] - k["closed_form"]) < 4 * k["se"]
    assert [i["sigma_hi"] for i in r["intervals"]] == sigmas[:-1]
    assert sum(i["closed_form"] for i in r["intervals"]) == pytest.approx(k["closed_form"], rel=1e-12)


def test_klub_of_the_ays_schedule_is_ays_own_comparison():
    keys = dict(steps=6, samples=256, validation_samples=2048, max_sweeps=3, eval_seeds=2, eval_particles=300)
    ays = ayslab.optimise_ays(**keys)["results"]
    sigmas = ays["schedule"]["sigmas"]
    mine = ayslab.klub(sigmas, data="ring8", samples=2048)["results"]["klub"]
    assert mine["value"] == ays["comparison"]["ays"]["klub"]
    assert mine["se"] == ays["comparison"]["ays"]["klub_se"]
    # k-diffusion's form (a trailing 0) is the same schedule.
    again = ayslab.klub(list(sigmas) + [0.0], data="ring8", samples=2048)["results"]["klub"]
    assert again == mine


def test_klub_through_a_callable_is_the_native_one(exact_model):
    sigmas = [80.0, 10.0, 2.0, 0.5, 0.1, 0.002]
    native = ayslab.klub(sigmas, data="ring8", samples=1024)
    through = ayslab.klub(sigmas, data="ring8", samples=1024, model=exact_model)
    assert through["results"]["klub"] == native["results"]["klub"]
    assert through["results"]["intervals"] == native["results"]["intervals"]
    # Whole blocks of draws per call, not a call per row.
    assert through["model_evaluations"]["rows"] >= 5 * 1024
    assert through["model_evaluations"]["calls"] * 100 < through["model_evaluations"]["rows"]


def test_klub_refuses_a_schedule_it_cannot_integrate():
    with pytest.raises(ValueError, match="sigmas"):
        ayslab.klub([1.0, 0.0])
    with pytest.raises(ValueError, match="sigmas"):
        ayslab.klub([1.0, -0.5, 0.1])
