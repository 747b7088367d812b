"""How a Python run splits the cores (issue 41, item 1): threads defaults to every core, as the CLI
(threads=0 was read as 1), and a run with a model says which split ran. Faults caught: the old default,
0 read as 1, the split missing from the result, results that depend on the thread count."""
import os

import ayslab


def test_threads_default_to_every_core_and_zero_means_every_core():
    assert ayslab.run_experiment("schedule")["run"]["threads"] == os.cpu_count()
    assert ayslab.run_experiment("schedule", threads=0)["run"]["threads"] == os.cpu_count()
    assert ayslab.run_experiment("schedule", threads=1)["run"]["threads"] == 1


def test_a_model_run_says_its_split_and_does_not_depend_on_it(exact_model):
    keys = dict(particles=3000, steps=6, preflight=False)
    one = ayslab.run_experiment("sample", model=exact_model, threads=1, **keys)
    two = ayslab.run_experiment("sample", model=exact_model, threads=2, **keys)
    split = two["run"]["thread_split"]
    assert split["cores"] == 2 and split["model_calls"] == "row slices run at once"
    assert split["model_slice_rows"] == [64, 2048] and split["model_intra_op_threads"] == 1
    assert (one["samples"] == two["samples"]).all()
    assert one["results"] == two["results"]
