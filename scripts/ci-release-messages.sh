#!/usr/bin/env bash
# Misuse messages survive release builds: Examples/MisuseProbe, a dependent built with -c release
# (so the library's inlinable checks land in its -O module), is run once per misuse, each run in its
# own process; each must stop with a non-zero status and print the library's message naming the sizes.
set -euo pipefail
cd "$(dirname "$0")/.."
scratch=${CI_RELEASE_MESSAGES_SCRATCH:-$(pwd)/.build-ci-release-messages}

swift build -c release --package-path Examples/MisuseProbe --scratch-path "$scratch"
probe=$scratch/release/MisuseProbe

expect_message() { # misuse, the message it must print
    local out status=0
    out=$(SWIFT_BACKTRACE=enable=no "$probe" "$1" 2>&1) || status=$?
    echo "$1 (exit $status): $out"
    if [ "$status" = 0 ] || ! grep -qxF -- "$2" <<<"${out##*Fatal error: }"; then
        echo "FAIL: a release-built dependent did not stop with: $2"; exit 1
    fi
}
expect_message activation "sigmoid: the input has 2048 elements but the result has 2047"
expect_message lstm "LSTMCell.forward: preactivations have 2047 elements but B = 64 rows of stride 32 need 2048"
expect_message stride "LSTMCell.forward: B rows of zRowStride: 2 · 9223372036854775807 elements overflow Int"
expect_message workspace "LSTMCell.workspaceCount(batch: 1): 5 · 1 · 9223372036854775807 elements overflow Int"
expect_message threads "sigmoid: Parallelism.threads(0): the thread count must be at least 1"
expect_message half-activation "tanh: the input has 2048 elements but the result has 2047"
expect_message half-cell "GRUCell.forward: hidden has 31 elements but previousHidden has 32"
expect_message setter "GRUCell: Parallelism.threads(0): the thread count must be at least 1"
echo "== misuse messages survive release builds"
