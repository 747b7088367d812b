"""`import ayslab` does not load LibTorch (a user's own PyTorch 2.x must not meet Debian's 1.13 in one
process): the plugin is loaded only when a TorchScript model file is used. Checked in a fresh
interpreter through /proc/self/maps (Linux)."""
import pathlib
import subprocess
import sys

FIXTURE = pathlib.Path(__file__).resolve().parents[2] / "tests" / "fixtures" / "parametrisations" / "denoiser-sigma.pt"

CODE = f"""
import ayslab
def loaded():
    return 'libtorch_cpu' in open('/proc/self/maps').read()
before = loaded()
ayslab.sample(steps=2, particles=10)
exact = loaded()
ayslab.sample(model={str(FIXTURE)!r}, steps=2, particles=10)
print(before, exact, loaded())
"""


def test_libtorch_only_with_a_model_file():
    out = subprocess.run([sys.executable, "-c", CODE], capture_output=True, text=True, check=True).stdout.split()
    assert out == ["False", "False", "True"]
