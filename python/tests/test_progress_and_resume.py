"""Progress callbacks and checkpoint/resume of a long AYS run from Python. Faults caught: a callback
never called or called with the wrong count, its exception lost, a checkpoint not written or not read
(a resumed run that starts over evaluates as many rows as a fresh one), a resumed result that differs."""
import numpy as np
import pytest

import ayslab
from conftest import Interrupted, interrupt_after

KEYS = dict(steps=6, samples=256, validation_samples=1024, max_sweeps=4, patience=10, eval_seeds=2,
            eval_particles=300)


def counted(ring):
    return ayslab.Model(lambda x, s: ring.denoise(x, s), shape=(2,))


def test_progress_callable_sees_every_sweep(ring):
    seen = []
    result = ayslab.optimise_ays(model=counted(ring), progress=seen.append, **KEYS)
    assert len(seen) == len(result["results"]["trace"])
    assert [e["klub"] for e in seen] == [e["klub"] for e in result["results"]["trace"]]
    assert all(0 <= e["done"] <= e["total"] for e in seen)


def test_an_exception_in_the_progress_callable_stops_the_run(ring):
    with pytest.raises(Interrupted):
        ayslab.optimise_ays(model=counted(ring), progress=interrupt_after(1), **KEYS)


def test_resume_from_a_checkpoint_ends_where_an_uninterrupted_run_does(ring, tmp_path):
    whole = ayslab.optimise_ays(model=counted(ring), **KEYS)

    path = tmp_path / "ays.checkpoint"
    with pytest.raises(Interrupted):
        ayslab.optimise_ays(model=counted(ring), checkpoint=path, progress=interrupt_after(2), **KEYS)
    assert path.exists()
    resumed = ayslab.optimise_ays(model=counted(ring), checkpoint=path, resume=True, **KEYS)
    assert resumed["results"]["schedule"] == whole["results"]["schedule"]
    assert resumed["results"]["comparison"] == whole["results"]["comparison"]
    # The two sweeps done before the interruption were not redone.
    assert (resumed["results"]["model_evaluations"]["optimisation"]["rows"]
            < whole["results"]["model_evaluations"]["optimisation"]["rows"])
