#!/bin/bash
# recommend's answer re-judged on fresh seeds (issue "Which schedule for my sampler?", done-when 1):
# run 1 (seed 0) recommends a schedule for Euler at NFE 6; run 2 (seed 1: other held-out starts, other
# optimiser draws) judges that schedule (candidate_file) against the same current schedule. It must not
# be worse than the current one by more than 2 paired SE of the judge's metric. When run 1 keeps the
# current schedule the check holds with a difference of 0.
#   usage: recommend-fresh-seeds.sh RUN_EXPERIMENT OUT_DIR [extra --set arguments...]
set -euo pipefail
exe=$1 dir=$2
shift 2
mkdir -p "$dir"
common=(--set samplers=euler --set nfe=6 --set eval_particles=1000 --set eval_seeds=4 --set projections=32 "$@")
"$exe" recommend "${common[@]}" --set candidates=ays-path,gits,karras-rho5,loguniform,arctan \
    --set seed=0 --out "$dir/first.json" -q >/dev/null
python3 - "$dir/first.json" "$dir/recommended.json" <<'PY'
import json, sys
cell = json.load(open(sys.argv[1]))["results"]["cells"][0]
json.dump({"sigmas": cell["recommended"]["sigmas"]}, open(sys.argv[2], "w"))
print("run 1:", cell["verdict"])
PY
"$exe" recommend "${common[@]}" --set candidates=karras-rho7 --set candidate_file="$dir/recommended.json" \
    --set seed=1 --out "$dir/second.json" -q >/dev/null
python3 - "$dir/second.json" <<'PY'
import json, sys
doc = json.load(open(sys.argv[1]))
cell = doc["results"]["cells"][0]
metric = cell["verdict"]["metric"]
rows = {r["name"]: r for r in cell["rows"]}
diff = rows["candidate_file"]["nll_vs_current" if metric == "nll" else "sliced_w2_vs_current"]
print(f"run 2 (fresh seeds): recommended minus current in {metric}: {diff['mean']:.4g} +- {diff['se']:.2g}")
sys.exit(0 if diff["mean"] <= 2 * diff["se"] else 1)
PY
