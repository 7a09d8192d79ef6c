#!/usr/bin/env bash
# GateKernels against SLEEF (Debian's libsleef-dev) in one run: builds Benchmarks/peers with the
# same kernel sources and -O2 as the SwiftPM release build, then runs it. Pass --quick for N=16K only.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
cc=${CC:-clang}
for f in "$top"/CKernels/src/*.c; do
    $cc -O2 -I"$top/CKernels/include" -c "$f" -o "$out/$(basename "$f").o"
done
$cc -O2 -mavx512f -c "$top/Benchmarks/peers/sleef_peers.c" -o "$out/sleef_peers.o"
$cc -O2 -I"$top/CKernels/include" -c "$top/Benchmarks/peers/bench_peers.c" -o "$out/bench_peers.o"
$cc "$out"/*.o -o "$out/bench_peers" -lsleef -lm -lpthread
"$out/bench_peers" "$@"
