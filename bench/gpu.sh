#!/usr/bin/env bash
# The GPU measurements of issue #26, prepared as one short script for a machine with a CUDA GPU and a
# PyTorch built with CUDA (e.g. the H200 device machine): builds run-experiment against PyTorch's own
# LibTorch, then prints, side by side in one run,
#   1. ring-of-8 Euler particle-steps/s: ayslab's exact denoiser on the GPU (device=cuda; the solver
#      state stays float64 on the CPU, so each step moves the particles over PCIe) against PyTorch with
#      everything on the GPU (bench/torch_euler.py cuda);
#   2. Fashion-MNIST ideal-denoiser evaluations/s (10 000 training images, one Euler step each) on the
#      GPU: ayslab device=cuda against the same matmul + softmax + matmul in PyTorch;
#   3. the CPU path's thread scaling (run-experiment bench at 1, 4 and 16 threads).
# usage: bench/gpu.sh [BUILD_DIR]   (default build-cuda; OUT=folder to keep the JSON results there;
#        FASHION_DIR=a folder of the Fashion-MNIST .gz files where Debian's package is missing; part 2 is
#        skipped without them)
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build-cuda}
out=${OUT:-$(mktemp -d)}
prefix=$(python3 -c 'import torch; print(torch.utils.cmake_prefix_path)')
python3 -c 'import torch, sys; print("torch", torch.__version__, "cuda", torch.cuda.is_available()); sys.exit(0 if torch.cuda.is_available() else 1)'
cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=Release -DCMAKE_PREFIX_PATH="$prefix" -DAYSLAB_MPI=OFF -DAYSLAB_PYTHON=OFF \
      -DAYSLAB_BUILD_TESTS=OFF >/dev/null
cmake --build "$build" -j"$(nproc)" --target run-experiment >/dev/null
exe="$build/bin/run-experiment"
rate() {  # particles x evaluations / the run's sampling time (its own timer, not the start-up or metrics)
    python3 -c "import json,sys; r=json.load(open('$1')); print(f\"{$2 * r['results']['nfe'] / r['run']['timings_s']['sampling']:.3g}\")"
}
echo "== 1. ring of 8, Euler, 20 steps, 1e6 particles"
"$exe" sample --set data=ring8 --set device=cuda --set solver=euler --set steps=20 --set particles=1000000 \
      --set output= --out "$out/ring-cuda.json" --quiet
echo "ayslab device=cuda: $(rate "$out/ring-cuda.json" 1000000) particle-steps/s"
python3 bench/torch_euler.py cuda
# `sample` reads Fashion-MNIST from Debian's folder: where that is missing (a machine without the
# package), FASHION_DIR's files are copied there when it can be written.
fashion=/usr/share/datasets/fashion-mnist
if [ ! -f "$fashion/train-images-idx3-ubyte.gz" ] && [ -n "${FASHION_DIR:-}" ]; then
    mkdir -p "$fashion" 2>/dev/null && cp "$FASHION_DIR"/*.gz "$fashion"/ 2>/dev/null || true
fi
echo "== 2. Fashion-MNIST ideal denoiser (10 000 images), one Euler step, 20 000 particles"
if [ -f "$fashion/train-images-idx3-ubyte.gz" ]; then
"$exe" sample --set data=fashion-mnist --set device=cuda --set solver=euler --set steps=1 \
      --set particles=20000 --set output= --out "$out/fashion-cuda.json" --quiet
echo "ayslab device=cuda: $(rate "$out/fashion-cuda.json" 20000) evaluations/s"
FASHION="$fashion" python3 - <<'EOF'
import gzip, os, time, numpy as np, torch
with gzip.open(os.path.join(os.environ["FASHION"], "train-images-idx3-ubyte.gz")) as f:
    rows = np.frombuffer(f.read()[16:], np.uint8).reshape(-1, 784)[:10000] / 127.5 - 1.0
y = torch.tensor(rows, device="cuda")
x = torch.randn(20000, 784, device="cuda", dtype=torch.float64) * 80.0
for dtype in (torch.float64, torch.float32):
    ys, xs, s = y.to(dtype), x.to(dtype), 80.0
    y2 = (ys * ys).sum(1)
    def d(x):
        r = torch.softmax((2 * x @ ys.T - y2) / (2 * s * s), 1)
        return r @ ys
    d(xs); torch.cuda.synchronize()
    start, runs = time.perf_counter(), 0
    while time.perf_counter() - start < 1.0:
        d(xs); runs += 1
    torch.cuda.synchronize()
    print(f"torch {dtype}: {20000 * runs / (time.perf_counter() - start):.3g} evaluations/s")
EOF
else
    echo "skipped: no $fashion/train-images-idx3-ubyte.gz (set FASHION_DIR to a folder holding the .gz files)"
fi
echo "== 3. the CPU path's thread scaling (run-experiment bench, ring of 8 and d = 64 mixtures)"
for t in 1 4 16; do
    "$exe" bench --threads "$t" --out "$out/bench-$t.json" --quiet
    python3 -c "import json; r=json.load(open('$out/bench-$t.json')); print($t, 'threads:', json.dumps(r['results'])[:400])"
done
echo "results in $out"
