#!/usr/bin/env bash
# CI checks for the benchmarks and the OpenMP trait (needs Debian's libomp-dev; libsleef-dev optional):
#   1. the whole test suite with the OpenMP trait (OpenMPTests compare every driver's bits with serial)
#   2. `gatekernels bench` and `bench-gates` run, with every backend and format, on tiny sizes (seconds)
#   3. scripts/bench-peers.sh --quick builds the peers bench, checks the peers' results, runs (~10 s)
#   4. the package-benchmark suite in Benchmarks/ builds (running it is for people: docs/benchmarks.md)
#   5. Examples/TraitConsumer enables the trait through a versioned dependency (a tagged clone of HEAD)
set -euo pipefail
cd "$(dirname "$0")/.."
top=$(pwd)
scratch=${CI_BENCH_SCRATCH:-$top/.build-ci-bench}

echo "== swift test --traits OpenMP (the OpenMP suite; the rest of the suite ran without the trait)"
swift test --scratch-path "$scratch/omp" --traits OpenMP --filter OpenMPTests

echo "== gatekernels bench (tiny sizes, every backend)"
swift run --scratch-path "$scratch/omp" --traits OpenMP gatekernels bench \
    --sizes 4K --gate-sizes 4K --threads 1,2 --batches 3 --batch-milliseconds 0.2 --json > "$scratch/bench.json"
grep -q '"backend" : "openmp"' "$scratch/bench.json" || { echo "FAIL: bench measured no OpenMP job"; exit 1; }
python3 - "$scratch/bench.json" <<'PY' || { echo "FAIL: bench's bf16 and f16 rows"; exit 1; }
import json, sys
records = json.load(open(sys.argv[1]))["records"]
for fmt in ("bf16", "f16"):  # every backend, and each row's ratio to the f32 kernel
    rows = [r for r in records if r["format"] == fmt]
    assert {r["backend"] for r in rows} == {"serial", "dispatch", "automatic", "openmp"}, (fmt, rows)
    assert all(isinstance(r["x_f32"], float) for r in rows), (fmt, rows)
PY
swift run --scratch-path "$scratch/omp" --traits OpenMP gatekernels bench-gates \
    --shapes 4x64 --tiers fast --batches 3 --batch-milliseconds 0.2 > "$scratch/bench-gates.txt"
for line in "bf16 GRU backward, 2 threads" "f16 LSTM forward, inference" "bf16 / f32, same step" "f16 2-thread speedup >= "; do
    grep -q "$line" "$scratch/bench-gates.txt" || { echo "FAIL: bench-gates printed no '$line'"; cat "$scratch/bench-gates.txt"; exit 1; }
done

echo "== scripts/bench-peers.sh --quick (SLEEF, XNNPACK, Eigen; skipped where not installed)"
scripts/bench-peers.sh --quick | tee "$scratch/peers.md"
# .ci/run installs every peer, so there a skipped one means the script's detection broke
if [ "${CI:-}" = true ] && grep '^Skipped' "$scratch/peers.md"; then echo "FAIL: a peer was skipped in CI"; exit 1; fi

echo "== Benchmarks/ (package-benchmark) builds"
swift build --package-path Benchmarks --scratch-path "$scratch/benchmarks"

echo "== a versioned dependent enables the OpenMP trait"
repo=$(mktemp -d)/GateKernels.git
trap 'rm -rf "$(dirname "$repo")"' EXIT
git clone -q --bare "$top" "$repo"
git -C "$repo" tag 0.1.0 HEAD
GATEKERNELS_URL="file://$repo" swift run --package-path Examples/TraitConsumer --scratch-path "$scratch/consumer" TraitConsumer

echo "== ci-bench passed"
