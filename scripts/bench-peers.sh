#!/usr/bin/env bash
# GateKernels against its peers in one process (Benchmarks/peers/bench_peers.c): SLEEF (libsleef-dev),
# XNNPACK's sigmoid operator (libxnnpack-dev, libpthreadpool-dev, libcpuinfo-dev) and Eigen 3.4
# (libeigen3-dev). Our kernels are built as SwiftPM builds them (the CKernels sources at -O2, no -march:
# what users get); the peers at -O3 -march=native. A peer whose packages are missing is skipped with a
# message, the rest still runs. Prints markdown (scripts/regen-speed-docs.sh puts it in docs/peers.md).
#   scripts/bench-peers.sh [--quick]    --quick: the hot-in-cache groups, short batches (seconds)
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
cc=${CC:-clang}
cxx=${CXX:-clang++}
peers="$top/Benchmarks/peers"
peer_flags=(-O3 -march=native -I"$peers")

# Whether a test program using the peer links: the header and the library are both installed.
links() { # language, program, flags...
    local lang=$1 prog=$2
    shift 2
    echo "$prog" | "$cxx" -x "$lang" "${peer_flags[@]}" - -o "$out/probe" "$@" >/dev/null 2>&1
}
version() { dpkg-query -W -f='${Version}' "$1" 2>/dev/null || echo "version unknown"; }

for f in "$top"/CKernels/src/*.c; do
    $cc -O2 -I"$top/CKernels/include" -c "$f" -o "$out/$(basename "$f").o"
done
$cc -O2 -I"$top/CKernels/include" -I"$peers" -c "$peers/bench_peers.c" -o "$out/bench_peers.o"

libs=()
cxx_defs=()
built=()
skipped=()
# SLEEF's 512-bit functions are declared only for AVX-512 targets
if grep -qw avx512f /proc/cpuinfo && links c '#include <sleef.h>
int main(void) { return Sleef_expf16_u10(_mm512_setzero_ps())[0] != 1.0f; }' -lsleef; then
    $cc "${peer_flags[@]}" -c "$peers/sleef_peers.c" -o "$out/sleef_peers.o"
    libs+=(-lsleef)
    built+=("SLEEF $(version libsleef-dev)")
else
    skipped+=("SLEEF (needs libsleef-dev and an AVX-512 CPU)")
fi
if links c++ '#include <xnnpack.h>
int main() { return xnn_initialize(nullptr); }' -lXNNPACK; then
    cxx_defs+=(-DPEERS_XNNPACK)
    libs+=(-lXNNPACK)
    built+=("XNNPACK $(version libxnnpack-dev)")
else
    skipped+=("XNNPACK (needs libxnnpack-dev, libpthreadpool-dev, libcpuinfo-dev)")
fi
if pkg-config --exists eigen3 && links c++ '#include <Eigen/Core>
int main() { return Eigen::ArrayXf::Zero(4).tanh().sum() != 0; }' $(pkg-config --cflags eigen3); then
    cxx_defs+=(-DPEERS_EIGEN $(pkg-config --cflags eigen3))
    built+=("Eigen $(pkg-config --modversion eigen3)")
else
    skipped+=("Eigen (needs libeigen3-dev)")
fi
# the conversions of "convert, float kernel, convert" (x86 intrinsics; no package)
if [ "$(uname -m)" = x86_64 ]; then
    $cc "${peer_flags[@]}" -c "$peers/half_peers.c" -o "$out/half_peers.o"
fi
$cxx "${peer_flags[@]}" "${cxx_defs[@]}" -c "$peers/cxx_peers.cpp" -o "$out/cxx_peers.o"
$cxx "$out"/*.o -o "$out/bench_peers" "${libs[@]}" -lm -lpthread

echo "Machine: $(grep -m1 '^model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//'), $(nproc) CPUs."
echo "Command: \`scripts/bench-peers.sh${*:+ $*}\`. Ours: the CKernels sources, $cc -O2 (as SwiftPM builds them);"
echo "peers: -O3 -march=native, $(IFS=,; echo "${built[*]:-none}" | sed 's/,/, /g')."
for s in "${skipped[@]}"; do echo "Skipped (not installed): $s."; done
echo
"$out/bench_peers" "$@"
