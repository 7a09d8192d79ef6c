#!/usr/bin/env bash
# GATEKERNELS_ISA, one rule for every subcommand: a bad or unsupported value is one message on
# stderr and exit 64 (no usage); a valid value in any case is applied. Tiny sizes: seconds.
set -euo pipefail
cd "$(dirname "$0")/.."
bin=${1:-.build/release/gatekernels}
declare -A runs=(
    [report]="report --no-timing --stride 1000003"
    [accuracy]="accuracy --functions sigmoid --tiers fast --stride 1000003"
    [bench]="bench --sizes 1K --gate-sizes 1K --kernels sigmoid,lstm --tiers fast --batches 3 --no-peers"
    [bench-gates]="bench-gates --shapes 2x512 --tiers fast --batches 3"
)
# how each subcommand names the instruction set it ran on
declare -A shows_scalar=([report]="^active: scalar " [accuracy]="^fast/scalar " [bench]="^ISA scalar;" [bench-gates]="^ISA scalar;")
unsupported=$([ "$(uname -m)" = x86_64 ] && echo NEON || echo AVX2)
fail() { echo "FAIL: $*"; exit 1; }
err_file=$(mktemp); trap 'rm -f "$err_file"' EXIT

for cmd in report accuracy bench bench-gates; do
    for bad in bogus "$unsupported"; do
        rc=0; err=$(GATEKERNELS_ISA=$bad "$bin" ${runs[$cmd]} 2>&1 >/dev/null) || rc=$?
        [ "$rc" = 64 ] || fail "$cmd with GATEKERNELS_ISA=$bad exited $rc, not 64"
        [ "$(echo "$err" | wc -l)" = 1 ] || fail "$cmd with GATEKERNELS_ISA=$bad printed more than one line: $err"
        echo "$err" | grep -q "^gatekernels: GATEKERNELS_ISA=$bad is not" || fail "$cmd with GATEKERNELS_ISA=$bad: $err"
        echo "$cmd, GATEKERNELS_ISA=$bad: exit 64, $err"
    done
    out=$(GATEKERNELS_ISA=Scalar "$bin" ${runs[$cmd]} 2>"$err_file") || fail "$cmd with GATEKERNELS_ISA=Scalar failed: $(cat "$err_file")"
    echo "$out" | grep -q "${shows_scalar[$cmd]}" || fail "$cmd did not run on scalar with GATEKERNELS_ISA=Scalar: $out"
    [ ! -s "$err_file" ] || fail "$cmd warned about a valid GATEKERNELS_ISA=Scalar: $(cat "$err_file")"
    echo "$cmd, GATEKERNELS_ISA=Scalar: ran on scalar"
done
