#!/usr/bin/env bash
# CI for the standalone C library (CKernels/Makefile), outside SwiftPM:
#   1. gcc and clang builds with -Wall -Wextra -Werror, and `make test` (every ISA this CPU has);
#   2. the AArch64 cross build (gcc-aarch64-linux-gnu; and clang --target=aarch64-linux-gnu) and its
#      test under qemu-aarch64 -cpu max (FEAT_BF16: the BFCVTN narrowing runs and is compared with
#      the integer one) with a strided sweep, also with GATEKERNELS_ISA set, and on a CPU without
#      FEAT_BF16 (-cpu cortex-a72: the integer narrowing alone); the result digests must equal the
#      x86 ones bit for bit; and the AArch64 test once more under UBSan;
#   3. `make install` to a temporary prefix, then Examples/CTrainerStep/trainer_step.c built through pkg-config
#      against the installed library and run (natively, and the AArch64 build under qemu).
# Environment: CLANG (default clang), CROSS_CC (default aarch64-linux-gnu-gcc), QEMU_STRIDE (default
# 20011: every 20011th float of the whole line, about a minute under qemu), CK_SKIP_CROSS=1 to skip 2.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
ck=$root/CKernels
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
CLANG=${CLANG:-clang}
CROSS_CC=${CROSS_CC:-aarch64-linux-gnu-gcc}
QEMU_STRIDE=${QEMU_STRIDE:-20011}
jobs=2

step() { printf '\n== %s\n' "$*"; }
mk() { local name=$1; shift; make -C "$ck" --no-print-directory -j"$jobs" O="$out/$name" WERROR=1 "$@"; }

for cc in gcc "$CLANG"; do
    name=$(basename "$cc")
    step "$name: build with warnings as errors, make test"
    mk "$name" CC="$cc" all
    mk "$name" CC="$cc" test | tee "$out/$name.log"
done

step "install to a temporary prefix; Examples/CTrainerStep/trainer_step.c through pkg-config"
mk gcc CC=gcc PREFIX="$out/prefix" install
export PKG_CONFIG_PATH=$out/prefix/lib/pkgconfig
# shellcheck disable=SC2046 # pkg-config prints several words on purpose
gcc -Wall -Wextra -Werror "$root/Examples/CTrainerStep/trainer_step.c" $(pkg-config --cflags --libs ckernels) -lm \
    -Wl,-rpath,"$(pkg-config --variable=libdir ckernels)" -o "$out/trainer_step"
"$out/trainer_step"

if [ "${CK_SKIP_CROSS:-0}" = 1 ]; then
    step "AArch64 skipped (CK_SKIP_CROSS=1)"
    exit 0
fi
# qemu-user reads the CPU model from QEMU_CPU: max has FEAT_BF16 (HWCAP2_BF16), so the bf16
# kernels narrow with BFCVTN there, and ck_test compares them with the integer narrowing
export QEMU_CPU=max
step "AArch64: cross build with $CROSS_CC, make test under qemu -cpu max (stride $QEMU_STRIDE)"
mk aarch64 CC="$CROSS_CC" all
mk aarch64 CC="$CROSS_CC" test TEST_ARGS="--stride $QEMU_STRIDE" | tee "$out/aarch64.log"
grep -q "neon BFCVTN" "$out/aarch64.log" || { echo "FAIL: -cpu max did not run the BFCVTN bf16 kernels"; exit 1; }

step "AArch64 without FEAT_BF16 (qemu -cpu cortex-a72): the integer bf16 narrowing alone"
QEMU_CPU=cortex-a72 mk aarch64 CC="$CROSS_CC" test TEST_ARGS="--stride 4000000000" | tee "$out/aarch64-nobf16.log" |
    grep -E "BFCVTN|FAIL|passed"
grep -q "bf16 gate forwards with BFCVTN: not on this CPU" "$out/aarch64-nobf16.log" ||
    { echo "FAIL: -cpu cortex-a72 ran the BFCVTN kernels"; exit 1; }

step "AArch64: GATEKERNELS_ISA=scalar, =NEON (any case), and =avx2 (not on this CPU: best ISA and a status)"
for isa in scalar NEON avx2; do
    GATEKERNELS_ISA=$isa mk aarch64 CC="$CROSS_CC" test TEST_ARGS="--stride 4000000000" | tee "$out/isa-env.log" |
        grep -E "GATEKERNELS_ISA|FAIL|passed"
    want=$(echo "$isa" | tr 'A-Z' 'a-z'); [ "$isa" = avx2 ] && want=neon
    grep -q "active ISA $want" "$out/isa-env.log" || { echo "FAIL: GATEKERNELS_ISA=$isa did not select $want"; exit 1; }
done

# x86's sanitizer runs (scripts/ci-sanitizers.sh) never see the NEON layer: its misaligned or
# otherwise undefined accesses show only here
step "AArch64 under UBSan: make test under qemu (stride 4000037)"
mk aarch64-ubsan CC="$CROSS_CC" CFLAGS="-O1 -g -fsanitize=undefined -fno-sanitize-recover=all" test \
    TEST_ARGS="--stride 4000037" | grep -E "runtime error|FAIL|passed"

step "AArch64 with $CLANG --target=aarch64-linux-gnu (the compiler SwiftPM uses): make test under qemu"
mk aarch64-clang CC="$CLANG --target=aarch64-linux-gnu" test TEST_ARGS="--stride 4000000000" | tee "$out/aarch64-clang.log" |
    grep -E "FAIL|passed"

step "digests: x86 and AArch64 (gcc and clang) give the same bits"
grep '^digest' "$out/gcc.log" > "$out/x86.digest"
for log in aarch64 aarch64-nobf16 aarch64-clang "$(basename "$CLANG")"; do
    grep '^digest' "$out/$log.log" | diff "$out/x86.digest" -
done
echo "$(wc -l < "$out/x86.digest") digests equal"

step "AArch64: install, example through pkg-config, run under qemu"
mk aarch64 CC="$CROSS_CC" PREFIX="$out/prefix-aarch64" install
export PKG_CONFIG_PATH=$out/prefix-aarch64/lib/pkgconfig
# shellcheck disable=SC2046
"$CROSS_CC" -Wall -Wextra -Werror "$root/Examples/CTrainerStep/trainer_step.c" $(pkg-config --cflags --libs ckernels) -lm \
    -Wl,-rpath,"$(pkg-config --variable=libdir ckernels)" -o "$out/trainer_step-aarch64"
qemu-aarch64 -L "/usr/$("$CROSS_CC" -dumpmachine)" "$out/trainer_step-aarch64"
step "C library CI passed"
