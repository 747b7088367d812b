"""Bad arguments and failing models raise Python exceptions naming what is wrong; never a crash, a hang
or a partial result. Faults caught: a C++ exception escaping as a crash, an error swallowed into a
result, a model's exception replaced by another, a deadlock when the model fails on a worker thread."""
import numpy as np
import pytest

import ayslab

SMALL = dict(steps=4, particles=100)


def test_unknown_key_is_a_value_error_naming_it():
    with pytest.raises(ValueError, match="no_such_key"):
        ayslab.sample(no_such_key=3)
    with pytest.raises(ayslab.InputError, match="steps"):
        ayslab.sample(steps="ten")


def test_unknown_experiment_and_data():
    with pytest.raises(ValueError, match="no-such-experiment"):
        ayslab.run_experiment("no-such-experiment")
    with pytest.raises(ValueError, match="no-such-data"):
        ayslab.Data("no-such-data")


def test_model_returning_the_wrong_shape(ring):
    model = ayslab.Model(lambda x, s: x[:, :1], shape=(2,))
    with pytest.raises(ValueError, match=r"shape \(\d+, 1\)"):
        ayslab.sample(model=model, **SMALL)


def test_model_returning_nan():
    model = ayslab.Model(lambda x, s: np.full_like(x, np.nan), shape=(2,))
    with pytest.raises(FloatingPointError, match="non-finite"):
        ayslab.sample(model=model, preflight=False, **SMALL)


@pytest.mark.parametrize("threads", [1, 2])
def test_the_models_own_exception_comes_back(threads):
    class Boom(RuntimeError):
        pass

    def f(x, sigma):
        raise Boom("the model broke")

    with pytest.raises(Boom, match="the model broke"):
        ayslab.sample(model=ayslab.Model(f, shape=(2,)), threads=threads, **SMALL)
    with pytest.raises(Boom):
        ayslab.optimise_ays(model=ayslab.Model(f, shape=(2,)), threads=threads, preflight=False, steps=4)


def test_keyboard_interrupt_in_the_model_stops_the_run():
    calls = []

    def f(x, sigma):
        calls.append(len(x))
        if len(calls) == 3:
            raise KeyboardInterrupt
        return x / (1 + sigma[:, None] ** 2)

    with pytest.raises(KeyboardInterrupt):
        ayslab.sample(model=ayslab.Model(f, shape=(2,)), preflight=False, **SMALL)
    assert len(calls) == 3  # stopped at once: no call after the interrupt


def test_model_arguments_are_checked():
    with pytest.raises(ValueError, match="parametrisation"):
        ayslab.Model(lambda x, s: x, shape=(2,), parametrisation="epsilon")
    with pytest.raises(ValueError, match="dtype"):
        ayslab.Model(lambda x, s: x, shape=(2,), dtype=np.int32)
    with pytest.raises(TypeError, match="callable"):
        ayslab.Model(3, shape=(2,))
    with pytest.raises(ValueError, match="shape"):
        ayslab.sample(model=lambda x, s: x)  # no shape and no data array to take it from
    with pytest.raises(ValueError, match="3 values per row"):
        ayslab.sample(model=ayslab.Model(lambda x, s: x, shape=(3,)), **SMALL)


def test_bad_data_and_labels():
    with pytest.raises(ValueError, match="data"):
        ayslab.sample(data=np.zeros(5))
    with pytest.raises(FloatingPointError, match="data"):
        ayslab.sample(data=np.array([[0.0, np.inf]] * 10))
    with pytest.raises(ValueError, match="labels"):
        ayslab.sample(data=np.zeros((10, 2)), labels=np.zeros((10, 2), dtype=int))
    ring = ayslab.Data("ring8")
    with pytest.raises(ValueError, match="x: needs n rows of 2 values"):
        ring.denoise(np.zeros((4, 3)), 1.0)
    with pytest.raises(ValueError, match="sigma"):
        ring.denoise(np.zeros((4, 2)), -1.0)
    with pytest.raises(ValueError, match="label 9"):
        ring.denoise(np.zeros((4, 2)), 1.0, labels=[9])


@pytest.mark.parametrize("threads", [1, 2])
def test_ctrl_c_stops_a_run_whose_model_runs_on_worker_threads(threads):
    """A real SIGINT (not an exception raised by hand): the run stops with KeyboardInterrupt at the
    model's next call, on whichever thread calls it, within a second, and Python's own Ctrl-C handling
    is back afterwards."""
    import signal
    import subprocess
    import sys
    import time

    code = f"""
import time, signal, ayslab, numpy as np
def slow(x, sigma):
    time.sleep(0.02)
    return x / (1 + sigma[:, None] ** 2)
print("started", flush=True)
try:
    ayslab.sample(model=ayslab.Model(slow, shape=(2,)), preflight=False, steps=500, particles=4000, chunk=200,
                  threads={threads})
    print("finished")
except KeyboardInterrupt:
    print("interrupted", flush=True)
print(signal.getsignal(signal.SIGINT) is signal.default_int_handler)
"""
    p = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True)
    assert p.stdout.readline().strip() == "started"
    time.sleep(1.0)
    start = time.monotonic()
    p.send_signal(signal.SIGINT)
    out, _ = p.communicate(timeout=30)
    assert out.split() == ["interrupted", "True"]
    assert time.monotonic() - start < 5


def test_device_is_for_model_files_not_callables(ring):
    """device= moves a TorchScript file's module; a Python callable's tensors are where its code puts
    them, so device='cuda' with one is refused (not silently ignored), and a bad name is named."""
    model = ayslab.Model(lambda x, s: ring.denoise(x, s[0]), shape=(2,))
    with pytest.raises(ValueError, match="Python callable runs where its own code puts"):
        ayslab.sample(model=model, device="cuda", **SMALL)
    with pytest.raises(ValueError, match="device 'gpu' is not one"):
        ayslab.sample(model=model, device="gpu", **SMALL)
