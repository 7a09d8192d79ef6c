#!/usr/bin/env bash
# Tests the example trainer (Examples/LSTMTrainer): it learns the adding problem, its backward
# passes a finite-difference gradient check (LSTM and GRU, GateKernels tiers and libm reference),
# and a seed fixes its losses. Installs nothing: needs OpenBLAS (Debian: libopenblas-dev).
set -euo pipefail
cd "$(dirname "$0")/../Examples/LSTMTrainer"
if ! pkg-config --exists openblas; then
    echo "ci-trainer: OpenBLAS not found (pkg-config openblas); install libopenblas-dev" >&2
    exit 1
fi
scratch="${TRAINER_SCRATCH:-.build-ci}"
if ! swift test --scratch-path "$scratch"; then
    echo "ci-trainer: FAILED (swift test in Examples/LSTMTrainer)" >&2
    exit 1
fi
# The CLI's own gradient check on the default task, as a user would run it.
if ! swift run --scratch-path "$scratch" lstm-trainer --gradient-check --tier precise; then
    echo "ci-trainer: FAILED (lstm-trainer --gradient-check)" >&2
    exit 1
fi
echo "ci-trainer: OK"
