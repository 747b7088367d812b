"""Arrays, schedules and models reach a run in memory and the end points come back the same way: no
file is written (issue 38). Faults caught: a temporary file or folder written for the data, labels, a
schedule or the samples; an in-memory array read differently from the same rows in a file (wrong
shape, labels dropped). A checkpoint sees which array a run was given: test_round_four.py."""
import os
import tempfile

import numpy as np
import pytest

import ayslab

@pytest.fixture
def points():
    rows, labels = ayslab.Data("moons", points=400).sample(400, seed=3, labels=True)
    return rows, labels


def test_nothing_is_written_to_disk(points, tmp_path, monkeypatch):
    rows, labels = points
    temp, work = tmp_path / "tmp", tmp_path / "work"
    temp.mkdir()
    work.mkdir()
    monkeypatch.setenv("TMPDIR", str(temp))
    monkeypatch.setattr(tempfile, "tempdir", str(temp))
    monkeypatch.chdir(work)
    samples, document = ayslab.sample(data=rows, labels=labels, steps=4, particles=64, label=1)
    assert samples.shape == (64, 2) and document["config"]["file"] == "@memory"
    assert "output" not in document["results"]
    ayslab.klub([80.0, 10.0, 1.0, 0.1, 0.002], data="ring8", samples=64)
    assert ayslab.export_schedule([80.0, 3.0, 1.0, 0.3, 0.002], format="comfyui") == "80, 3, 1, 0.3, 0"
    assert os.listdir(temp) == [] and os.listdir(work) == []


def test_an_array_is_read_as_the_same_rows_in_a_file(points, tmp_path):
    rows, labels = points
    np.save(tmp_path / "rows.npy", rows)
    np.save(tmp_path / "labels.npy", labels)
    keys = dict(steps=4, particles=200, label=0, seed=5)
    from_memory, _ = ayslab.sample(data=rows, labels=labels, **keys)
    from_file, _ = ayslab.sample(data="file", file=str(tmp_path / "rows.npy"), labels=str(tmp_path / "labels.npy"),
                                 **keys)
    assert np.array_equal(from_memory, from_file)
    # The labels are read: class 1 given the same rows samples elsewhere.
    other, _ = ayslab.sample(data=rows, labels=labels, **{**keys, "label": 1})
    assert abs(other[:, 1].mean() - from_memory[:, 1].mean()) > 0.3


def test_a_schedule_in_memory_is_the_same_schedule_as_in_a_file(tmp_path):
    sigmas = [80.0, 12.0, 2.5, 0.4, 0.002]
    path = tmp_path / "s.json"
    path.write_text(str(sigmas))
    from_memory = ayslab.klub(sigmas, data="ring8", samples=64)
    from_file = ayslab.run_experiment("klub", data="ring8", samples=64, schedule="file", schedule_file=str(path))
    assert from_memory["results"]["klub"] == from_file["results"]["klub"]
    assert from_memory["results"]["schedule"]["sigmas"] == sigmas


def test_start_points_and_a_schedule_as_arrays_are_the_files_rows(tmp_path):
    start = np.random.default_rng(9).normal(size=(50, 2)) * 80.0
    sigmas = [80.0, 9.0, 1.5, 0.2, 0.002]
    np.save(tmp_path / "start.npy", start)
    (tmp_path / "s.json").write_text(str(sigmas))
    keys = dict(schedule="file", solver="heun")
    from_memory, doc = ayslab.sample(data="ring8", start=start, schedule_file=sigmas, **keys)
    from_file, _ = ayslab.sample(data="ring8", start=str(tmp_path / "start.npy"),
                                 schedule_file=str(tmp_path / "s.json"), **keys)
    assert doc["config"]["start"] == "@memory" and doc["results"]["schedule"]["sigmas"] == sigmas
    assert from_memory.shape == (50, 2) and np.array_equal(from_memory, from_file)
