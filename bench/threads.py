#!/usr/bin/python3
"""How ayslab splits the cores with a model (docs/performance.md, "Threads"): the same work at
--threads 1, the default (every core) and 2x the cores, on an idle machine and beside one competing
busy process, for a TorchScript MLP and U-Net through the CLI and the same MLP as a Python callable
(`ayslab.torch.denoiser` over `torch.jit.load` of the same file); then `ays` on the MLP through the CLI
and through Python at the default threads. Every time is the run's own `run.wall_time_s` (process
start and imports left out), best of `repeats`; runs are interleaved so that drifts hit every setting.

usage: PYTHONPATH=build/python bench/threads.py MLP.pt UNET.pt [repeats]
  MLP.pt:  run-experiment train --set model_out=MLP.pt            (the ring of 8, 3000 steps)
  UNET.pt: run-experiment train --set data=fashion-mnist --set network=unet --set subset=1000
           --set train_steps=30 --set model_out=UNET.pt            (speed does not depend on training)
"""
import json
import os
import subprocess
import sys
import tempfile

RUN = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "build", "bin", "run-experiment")
CORES = os.cpu_count() or 1


def cli(args, threads):
    with tempfile.NamedTemporaryFile(suffix=".json") as out:
        subprocess.run([RUN, *args, "--threads", str(threads), "--out", out.name, "-q"], check=True,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        doc = json.load(open(out.name))
    return doc


def python(mlp, experiment, keys, threads):
    code = f"""
import json, sys, torch, ayslab, ayslab.torch as at
model = at.denoiser(torch.jit.load({mlp!r}), shape=(2,), name="ring-mlp")
doc = ayslab.run_experiment({experiment!r}, model=model, threads={threads}, **{keys!r})
doc.pop("samples", None)
json.dump(doc, sys.stdout)
"""
    res = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True)
    return json.loads(res.stdout)


def main():
    mlp, unet = sys.argv[1], sys.argv[2]
    repeats = int(sys.argv[3]) if len(sys.argv) > 3 else 2
    sample_mlp = ["sample", "--set", "denoiser=model", "--set", f"model={mlp}", "--set", "particles=30000",
                  "--set", "steps=20", "--set", "preflight=false"]
    sample_unet = ["sample", "--set", "data=fashion-mnist", "--set", "denoiser=model", "--set", f"model={unet}",
                   "--set", "particles=128", "--set", "steps=10", "--set", "preflight=false"]
    work = {
        "ring MLP, CLI sample (30 000 x 20 steps)": lambda t: cli(sample_mlp, t),
        "Fashion-MNIST U-Net, CLI sample (128 x 10 steps)": lambda t: cli(sample_unet, t),
        "ring MLP, Python callable sample (30 000 x 20 steps)":
            lambda t: python(mlp, "sample", dict(particles=30000, steps=20, preflight=False), t),
    }
    settings = [("1", 1), (f"default ({CORES})", 0), (f"{2 * CORES}", 2 * CORES)]
    results = {}
    for condition in ("idle", "one busy competitor"):
        busy = subprocess.Popen([sys.executable, "-c", "while True: pass"]) if condition != "idle" else None
        try:
            best = {}
            for _ in range(repeats):
                for name, fn in work.items():
                    for label, threads in settings:
                        doc = fn(threads)
                        t = doc["run"]["wall_time_s"]
                        key = (name, label)
                        best[key] = min(best.get(key, t), t)
                        results.setdefault("split", doc["run"].get("thread_split"))
                        results.setdefault("answers", {}).setdefault(name, set()).add(
                            json.dumps(doc["results"], sort_keys=True))
            for name in work:
                row = {label: best[(name, label)] for label, _ in settings}
                top = min(row.values())
                print(f"{condition:20s} | {name:55s} | " +
                      " | ".join(f"{label}: {t:6.2f} s" for label, t in row.items()) +
                      f" | default / best {row[settings[1][0]] / top:.2f}")
            # ays through the CLI and through Python on the same module, default threads.
            a_cli = min(cli(["ays", "--set", "denoiser=model", "--set", f"model={mlp}", "--set", "steps=6"], 0)
                        ["run"]["wall_time_s"] for _ in range(repeats))
            a_py = min(python(mlp, "ays", dict(steps=6), 0)["run"]["wall_time_s"] for _ in range(repeats))
            print(f"{condition:20s} | ays, ring MLP, 6 steps, default threads | CLI {a_cli:.2f} s | "
                  f"Python callable {a_py:.2f} s | Python / CLI {a_py / a_cli:.2f}")
        finally:
            if busy:
                busy.kill()
    for name, answers in results["answers"].items():
        print(f"{name}: results identical across every setting and condition: {len(answers) == 1}")
    print("thread split (CLI, default):", json.dumps(results["split"]))


if __name__ == "__main__":
    main()
