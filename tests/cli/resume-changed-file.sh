#!/usr/bin/env bash
# A resume after a file the run reads changed in place (same path, other content) is refused, naming the
# file key; the checkpoint is kept. Before, `ays --resume` after the labels file changed exited 0 with a
# trace that mixed old- and new-label sweeps. usage: resume-changed-file.sh EXE WORK_DIR FILES_DIR
set -u
exe=$1
work=$2
files=$3
rm -rf "$work"
mkdir -p "$work"
cp "$files/two-clusters.csv" "$work/points.csv"
cp "$files/two-clusters-labels.npy" "$work/labels.npy"
args=(ays --set data=file --set "file=$work/points.csv" --set "labels=$work/labels.npy" --set label=0
      --set held_out_fraction=0 --set steps=4 --set max_sweeps=50 --set patience=50 --set min_improvement=0
      --set stop_on=klub --threads 1 --quiet --out "$work/r.json")
"$exe" "${args[@]}" &
pid=$!
for _ in $(seq 1200); do [[ -e "$work/r.json.checkpoint" ]] && break; sleep 0.1; done
kill -INT $pid
wait $pid
code=$?
if [[ $code == 0 ]]; then echo "the run finished before it could be interrupted: no test"; exit 1; fi
[[ -e "$work/r.json.checkpoint" ]] || { echo "FAIL: no checkpoint (exit $code)"; exit 1; }
# The same path, the labels reversed (class 0 is now the other cluster).
python3 -c "
import struct
b = bytearray(open('$work/labels.npy', 'rb').read())
n = len(b) - 128
vals = struct.unpack('<%dq' % (n // 8), bytes(b[128:]))
b[128:] = struct.pack('<%dq' % len(vals), *[1 - v for v in vals])
open('$work/labels.npy', 'wb').write(bytes(b))"
err=$("$exe" "${args[@]}" --resume 2>&1 >/dev/null)
code=$?
if [[ $code != 2 || $err != *"files/labels"* || ! -e "$work/r.json.checkpoint" || -e "$work/r.json" ]]; then
    echo "FAIL: resume after the labels changed: exit $code (expected 2 naming files/labels), '$err'"
    exit 1
fi
echo "resume with a changed labels file: refused ($err)"
