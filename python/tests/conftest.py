import numpy as np
import pytest

import ayslab


@pytest.fixture(scope="session")
def ring():
    return ayslab.Data("ring8")


@pytest.fixture(scope="session")
def exact_model(ring):
    """The ring's exact denoiser as a Python callable (k-diffusion's convention, float64), with its exact
    divergence: through it every run must give the native exact denoiser's numbers to the bit."""

    def f(x, sigma):
        return ring.denoise(x, sigma)

    def div(x, sigma):
        assert np.all(sigma == sigma[0])
        return ring.divergence(x, sigma[0])

    return ayslab.Model(f, shape=(2,), divergence=div)


class Interrupted(Exception):
    """Raised by interrupt_after's callable: a run stopped from its progress callable."""


def interrupt_after(sweeps):
    """A progress callable that raises Interrupted once `sweeps` AYS sweeps are done."""

    def interrupt(entry):
        if entry["done"] == sweeps:
            raise Interrupted

    return interrupt
