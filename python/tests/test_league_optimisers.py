"""The league's schedule optimisers as their own call (ays's `optimiser` key, ayslab.optimise_ays(
optimiser=...)): each gives the schedule and cost the optimiser-league experiment reports for the same
problem, settings and seed, and works with a Python model. Plausible faults caught: a key (grid,
particles, teacher_steps, samples, seed) not reaching the optimiser, the wrong sampler optimised for, the
teacher's cost left out, a stochastic sampler accepted where a teacher must be followed."""
import pytest

import ayslab

SETTINGS = dict(grid=24, particles=64, teacher_steps=100, samples=128, ld3_iterations=3, seed=2)
JUDGE = dict(validation_samples=512, eval_particles=200, eval_seeds=2)


@pytest.fixture(scope="module")
def league():
    doc = ayslab.run_experiment("optimiser-league", problems=["ring8"], samplers=["euler"], nfe=[6], max_sweeps=2,
                                eval_particles=200, eval_seeds=2, **SETTINGS)
    return doc["results"]["ring8"]["nfe=6"]["euler"]


@pytest.mark.parametrize("optimiser", ["ays-dp", "ays-grid", "watson", "gits", "oss", "ld3"])
def test_each_optimiser_gives_the_leagues_schedule(league, optimiser):
    doc = ayslab.optimise_ays(optimiser=optimiser, optimiser_sampler="euler", steps=6, **SETTINGS, **JUDGE)
    r = doc["results"]
    assert r["schedule"]["sigmas"] == league[optimiser]["sigmas"]
    if optimiser == "ays-grid":
        # In the league it shares AYS-DP's interval table (its cost there is what it adds: nothing);
        # alone it pays for the intervals it visits, fewer than the whole table.
        assert 0 < r["optimiser"]["evaluations"] < league["ays-dp"]["cost_evaluations"]
    else:
        assert r["optimiser"]["evaluations"] == league[optimiser]["cost_evaluations"]
    assert r["optimiser"]["name"] == optimiser
    # Judged as ays judges its own: KLUB and samples against EDM rho=7.
    assert set(r["comparison"]) == {"ays", "karras"}
    if optimiser in ("ays-dp", "ays-grid", "watson"):
        assert doc["passed"] and len(doc["checks"]) == 1  # its KLUB below EDM rho=7's


def test_a_teacher_based_optimiser_for_a_python_model(exact_model):
    native = ayslab.optimise_ays(optimiser="gits", optimiser_sampler="heun", steps=3, **SETTINGS, **JUDGE)
    through = ayslab.optimise_ays(optimiser="gits", optimiser_sampler="heun", steps=3, model=exact_model,
                                  **SETTINGS, **JUDGE)
    assert through["results"]["schedule"] == native["results"]["schedule"]
    assert through["results"]["optimiser"]["sampler"] == "heun"
    assert through["model_evaluations"]["rows"] >= native["results"]["optimiser"]["evaluations"]


def test_settings_the_optimisers_cannot_take_are_refused():
    with pytest.raises(ValueError, match="deterministic sampler"):
        ayslab.optimise_ays(optimiser="oss", optimiser_sampler="euler-ancestral", steps=4, **SETTINGS)
    with pytest.raises(ValueError, match="subdivisions"):
        ayslab.optimise_ays(optimiser="ays-dp", subdivisions=1, steps=4, **SETTINGS)
    with pytest.raises(ValueError, match="grid"):
        ayslab.optimise_ays(optimiser="ays-dp", steps=30, grid=20)


def test_ays_path_through_a_callable_is_native_and_costs_paths_times_sigmas(exact_model):
    keys = dict(optimiser="ays-path", steps=8, grid=24, samples=300, seed=3, **JUDGE)
    native = ayslab.optimise_ays(**keys)
    through = ayslab.optimise_ays(model=exact_model, **keys)
    assert through["results"]["schedule"] == native["results"]["schedule"]
    assert through["results"]["comparison"] == native["results"]["comparison"]
    # 300 paths through 4 x 23 + 1 sigmas, one call per sigma: what the model was asked for.
    assert native["results"]["optimiser"]["evaluations"] == 300 * 93
    optimising = through["results"]["model_evaluations"]["optimisation"]
    assert optimising == {"rows": 300 * 93, "calls": 93}
