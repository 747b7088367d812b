"""Schedules as objects for the peers (issue 41, item 4): diffusers' integer timesteps, the N + 1
sigmas ending in 0 that k-diffusion / ComfyUI / diffusers' sigmas= take, and load_schedule. Faults
caught: timesteps off by one step or rounded differently from the pasted line, the trailing 0 missing
or the last knot kept, a result file read as something else."""
import json

import numpy as np
import pytest

import ayslab


def sd15():
    return ayslab.schedule(schedule="ays-sd15", steps=10, process="ddpm-scaled-linear")["results"]["schedule"]["sigmas"]


def test_published_sd15_timesteps_as_ints():
    peers = ayslab.schedule_for_peers(sd15(), process="ddpm-scaled-linear")
    # NVIDIA's published AYS timesteps for SD 1.5 (10 steps), as diffusers' AysSchedules lists them.
    assert peers["timesteps"] == [999, 850, 736, 645, 545, 455, 343, 233, 124, 24]
    assert all(type(t) is int for t in peers["timesteps"])
    assert peers["steps"] == 10 and peers["sigmas"].shape == (11,) and peers["sigmas"][-1] == 0.0
    # The same values as the pasted line.
    line = ayslab.export_schedule(sd15(), format="diffusers", process="ddpm-scaled-linear")
    assert line == "timesteps=[" + ", ".join(map(str, peers["timesteps"])) + "]"


def test_sigmas_end_in_zero_and_match_the_kdiffusion_line():
    knots = [80.0, 10.0, 1.0, 0.1, 0.002]
    peers = ayslab.schedule_for_peers(knots)
    np.testing.assert_array_equal(peers["sigmas"], [80.0, 10.0, 1.0, 0.1, 0.0])
    assert peers["timesteps"] is None
    line = ayslab.export_schedule(knots, format="kdiffusion")
    pasted = [float(v) for v in line[len("torch.tensor(["):-2].split(",")]
    np.testing.assert_array_equal(peers["sigmas"], pasted)


def test_load_schedule_from_a_result_and_its_file(tmp_path):
    result = ayslab.optimise_ays(steps=4, max_sweeps=1, eval_seeds=2, eval_particles=200)
    knots = np.asarray(result["results"]["schedule"]["sigmas"])
    np.testing.assert_array_equal(ayslab.load_schedule(result), knots)
    path = tmp_path / "ays.json"
    path.write_text(json.dumps(result))
    np.testing.assert_array_equal(ayslab.load_schedule(path), knots)
    np.testing.assert_array_equal(ayslab.schedule_for_peers(path)["sigmas"], np.append(knots[:-1], 0.0))
    with pytest.raises(ValueError, match="results.schedule.sigmas"):
        ayslab.load_schedule({"results": {}})
