#!/usr/bin/env bash
# CI accuracy gate: builds release and sweeps every tier of sigmoid and tanh on every ISA this
# machine has, over every 17th float of the whole line (about 250 million inputs per function,
# plus NaN patterns), and fails if any contract bound of docs/design.md is broken (bound, monotonicity,
# range, special values, NaN propagation, tanh oddness, NaN/inf for finite input). About a minute
# on 2 cores. Writes one certificate per function, tier and ISA.
#
# Environment: ACCURACY_STRIDE (default 17), ACCURACY_CERTS (default .build-ci-accuracy/certificates),
# SCRATCH (SwiftPM scratch path, default .build-ci-accuracy).
set -euo pipefail
cd "$(dirname "$0")/.."

stride="${ACCURACY_STRIDE:-17}"
scratch="${SCRATCH:-.build-ci-accuracy}"
certs="${ACCURACY_CERTS:-$scratch/certificates}"

swift build -c release --scratch-path "$scratch" --product gatekernels
bin="$(swift build -c release --scratch-path "$scratch" --show-bin-path)/gatekernels"

if ! "$bin" accuracy --functions all --tiers all --isas all --stride "$stride" --check --certificates "$certs"; then
    echo "ci-accuracy: FAILED: a kernel breaks the accuracy contract of docs/design.md (see above)" >&2
    exit 1
fi
echo "ci-accuracy: passed (every ${stride}th float, every tier, every ISA of this machine; certificates in $certs)"
