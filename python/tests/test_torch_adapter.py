"""A PyTorch module through ayslab.torch.denoiser gives the same AYS schedule and samples as the same
module exported to TorchScript and run by the CLI's model path (model=FILE, LibTorch). Both evaluate
the module in float32; the tolerances say how far float32 rounding may move the results (measured:
identical here, the same LibTorch underneath)."""
import numpy as np
import pytest

torch = pytest.importorskip("torch")
import ayslab  # noqa: E402
import ayslab.torch  # noqa: E402
from ring_module import RingDenoiser  # noqa: E402


@pytest.fixture(scope="module")
def scripted(tmp_path_factory):
    path = tmp_path_factory.mktemp("model") / "ring.pt"
    torch.jit.script(RingDenoiser()).save(str(path))
    return str(path)


def test_samples_match_the_torchscript_path(scripted):
    keys = dict(solver="heun", steps=8, particles=1000)
    through_adapter, _ = ayslab.sample(model=ayslab.torch.denoiser(RingDenoiser(), shape=(2,)), **keys)
    through_file, _ = ayslab.sample(model=scripted, denoiser="model", **keys)
    native, _ = ayslab.sample(**keys)
    # float32 evaluations: within 1e-4 of the float64 exact end points (measured 1.7e-5: the softmax's
    # exponents reach ~1e3 at sigma_min, where float32's 6e-8 relative rounding is 6e-5 absolute) ...
    assert np.max(np.abs(through_adapter - native)) < 1e-4
    # ... and within a few float32 ulps of each other (the same module, the same kernels).
    assert np.max(np.abs(through_adapter - through_file)) < 1e-6


def test_ays_schedule_matches_the_torchscript_path(scripted):
    keys = dict(steps=6, samples=256, validation_samples=1024, max_sweeps=3, eval_seeds=2, eval_particles=500)
    a = ayslab.optimise_ays(model=ayslab.torch.denoiser(RingDenoiser(), shape=(2,)), **keys)
    b = ayslab.optimise_ays(model=scripted, denoiser="model", **keys)
    sa, sb = np.array(a["results"]["schedule"]["sigmas"]), np.array(b["results"]["schedule"]["sigmas"])
    # Golden-section argmins of a float32 KLUB: knots agree to 1e-4 relative (measured 1.5e-4 at most
    # in the CLI's own conditional-model test at a larger budget; identical here).
    assert np.max(np.abs(np.log(sa / sb))) < 1e-4


def test_autograd_divergence_gives_the_exact_likelihood():
    model = ayslab.torch.denoiser(RingDenoiser(), shape=(2,), dtype=torch.float64, divergence=True)
    result = ayslab.log_likelihood(model=model, data="ring8", evaluated_points=2, probes=16)
    for point in result["results"]["ring8"]:
        # float64 module, exact divergence: the ODE's log p equals the closed form to the ODE tolerance.
        assert abs(point["ode_log_p"] - point["exact_log_p"]) < 1e-6


class _Tupled(torch.nn.Module):
    """A module returning (D,) as many diffusers models do with return_dict=False."""

    def __init__(self):
        super().__init__()
        self.inner = RingDenoiser()

    def forward(self, x, c):
        return (self.inner(x, c),)


class _WithSample(torch.nn.Module):
    """A module returning an object with .sample (diffusers' BaseOutput)."""

    def __init__(self):
        super().__init__()
        self.inner = RingDenoiser()

    def forward(self, x, c):
        class Output:
            pass

        out = Output()
        out.sample = self.inner(x, c)
        return out


def test_a_tuple_or_a_sample_output_is_read_as_its_tensor():
    """Issue 41: "'tuple' object has no attribute 'detach'"."""
    keys = dict(solver="heun", steps=4, particles=200)
    plain, _ = ayslab.sample(model=ayslab.torch.denoiser(RingDenoiser(), shape=(2,)), **keys)
    for module in (_Tupled(), _WithSample()):
        got, _ = ayslab.sample(model=ayslab.torch.denoiser(module, shape=(2,)), **keys)
        np.testing.assert_array_equal(got, plain)


def test_a_module_failing_on_the_given_shape_names_it():
    """Issue 41: a wrong NCHW shape surfaced as PyTorch's raw broadcast error."""

    class NeedsTwoChannels(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.conv = torch.nn.Conv2d(2, 2, 1)

        def forward(self, x, c):
            return self.conv(x)

    model = ayslab.torch.denoiser(NeedsTwoChannels(), shape=(1, 2, 1), name="nchw")
    with pytest.raises(ValueError, match=r"model nchw: module\(x \[\d+, 1, 2, 1\], c\) failed: .*shape=\(1, 2, 1\)"):
        ayslab.sample(model=model, preflight=False, **dict(steps=2, particles=10))
