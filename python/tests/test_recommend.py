"""ayslab.recommend: the CLI's `recommend` with the same keys. Plausible faults caught: a key that does not
reach the experiment, Python's defaults (threads, data) changing the table, a refusal that becomes a
crash, a Python model judged differently from the same denoiser built in."""
import json
import pathlib
import subprocess
import tempfile

import pytest

import ayslab

KEYS = dict(samplers=["euler", "heun"], nfe=[6], candidates=["ays-path", "gits", "karras-rho5", "loguniform"],
            eval_particles=300, eval_seeds=3, projections=16, grid=24, samples=256, particles=64, teacher_steps=100,
            seed=4)


def cli_binary():
    exe = pathlib.Path(ayslab.__file__).resolve().parents[2] / "bin" / "run-experiment"
    if not exe.is_file():
        pytest.skip(f"no CLI beside this build ({exe})")
    return exe


@pytest.fixture(scope="module")
def native():
    return ayslab.recommend(**KEYS)


def test_recommend_is_the_clis_table_to_the_bit(native):
    sets = []
    for key, value in KEYS.items():
        sets += ["--set", f"{key}={json.dumps(value)}"]
    with tempfile.TemporaryDirectory() as folder:
        out = pathlib.Path(folder) / "r.json"
        subprocess.run([str(cli_binary()), "recommend", *sets, "--threads", "1", "--out", str(out), "-q"], check=True,
                       stdout=subprocess.DEVNULL)
        doc = json.loads(out.read_text())
    assert doc["results"] == native["results"]
    cells = native["results"]["cells"]
    assert [(c["sampler"], c["nfe"], c["steps"]) for c in cells] == [("euler", 6, 6), ("heun", 6, 3)]
    for cell in cells:
        names = [row["name"] for row in cell["rows"]]
        assert names[0].startswith("current") and set(names[1:]) == set(KEYS["candidates"])
        verdict = cell["verdict"]
        assert verdict["winner"] in names
        # The winner's paired margin is the table's difference (current minus winner).
        if not verdict["keep"]:
            row = cell["rows"][names.index(verdict["winner"])]
            assert verdict["margin"] == -row["nll_vs_current"]["mean"]
            assert verdict["margin"] > 2 * verdict["margin_se"]
        assert cell["exports"]["peer_sigmas"][-1] == 0.0


def test_a_python_model_of_the_exact_denoiser_gets_the_native_verdict(native, exact_model):
    through = ayslab.recommend(model=exact_model, preflight=False, **KEYS)
    assert through["results"]["cells"] == native["results"]["cells"]
    assert through["model_evaluations"]["rows"] > 0


def test_recommend_refuses_what_it_cannot_judge():
    with pytest.raises(ValueError, match="nfe = 1 is below sampler 'heun''s 2 evaluations per step"):
        ayslab.recommend(samplers=["heun"], nfe=[1])
    with pytest.raises(ValueError, match="candidate 'ld3' follows a teacher"):
        ayslab.recommend(samplers=["euler-ancestral"], nfe=[4], candidates=["ld3"])
    with pytest.raises(ValueError, match="not one of"):
        ayslab.recommend(candidates=["best"])
