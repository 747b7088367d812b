#!/usr/bin/python3
"""docs/recommend.md's cases: recommend at seed 0, then every cell's recommended schedule re-judged on
fresh seeds (seed 1: other held-out starts, other optimiser draws) against the same current schedule
(candidate_file), as the issue's done-when asks. Prints one line per cell and a summary per case.

usage: bench/recommend_fresh_seeds.py OUT_DIR CASE_NAME [--reuse] [--set key=value ...]

--reuse: take OUT_DIR/CASE_NAME.json (a seed-0 run made before with the same --set keys) instead of
running seed 0 again (the Fashion-MNIST case's seed-0 run takes most of an hour on 2 vCPUs).
"""
import json
import pathlib
import subprocess
import sys
import time

RUN = str(pathlib.Path(__file__).resolve().parents[1] / "build" / "bin" / "run-experiment")


def run(args, out):
    t0 = time.time()
    subprocess.run([RUN, "recommend", *args, "--out", str(out), "-q"], check=True, stdout=subprocess.DEVNULL)
    return json.loads(out.read_text()), time.time() - t0


def main():
    folder, case, sets = pathlib.Path(sys.argv[1]), sys.argv[2], sys.argv[3:]
    folder.mkdir(parents=True, exist_ok=True)
    if sets[:1] == ["--reuse"]:
        sets = sets[1:]
        doc = json.loads((folder / f"{case}.json").read_text())
        seconds = doc["run"]["wall_time_s"] if "wall_time_s" in doc.get("run", {}) else float("nan")
    else:
        doc, seconds = run(sets + ["--set", "seed=0"], folder / f"{case}.json")
    evaluations = doc["results"].get("model_evaluations", {}).get("run", {}).get("rows")
    print(f"## {case}: {seconds:.0f} s wall (seed 0), model rows {evaluations}, keep "
          f"{doc['results']['keep_your_schedule']['cells']} of {doc['results']['keep_your_schedule']['of']}")
    worst = -1e300
    for cell in doc["results"]["cells"]:
        v = cell["verdict"]
        rec = folder / f"{case}-{cell['sampler']}-{cell['nfe']}.json"
        rec.write_text(json.dumps({"sigmas": cell["recommended"]["sigmas"]}))
        fresh, _ = run(sets + ["--set", "seed=1", "--set", f"samplers={cell['sampler']}", "--set", f"nfe={cell['nfe']}",
                               "--set", "candidates=karras-rho7", "--set", f"candidate_file={rec}"],
                       folder / f"{case}-{cell['sampler']}-{cell['nfe']}-fresh.json")
        fc = fresh["results"]["cells"][0]
        key = {"nll": "nll_vs_current", "sliced_w2": "sliced_w2_vs_current", "fid": "fid_vs_current",
               "kid": "kid_vs_current"}[fc["verdict"]["metric"]]
        d = {r["name"]: r for r in fc["rows"]}["candidate_file"][key]
        z = d["mean"] / d["se"] if d["se"] > 0 else 0.0
        worst = max(worst, z)
        print(f"| {cell['sampler']} | {cell['nfe']} | {'keep' if v['keep'] else v['winner']} | "
              f"{v['margin']:.3g} ± {v['margin_se']:.2g} ({v['metric']}){' (judges disagree)' if v['judges_disagree'] else ''} | "
              f"{d['mean']:.3g} ± {d['se']:.2g} ({z:+.1f} SE) |")
    print(f"worst fresh-seed difference: {worst:+.1f} SE (must be <= +2)")


if __name__ == "__main__":
    main()
