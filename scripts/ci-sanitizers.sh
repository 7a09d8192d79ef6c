#!/usr/bin/env bash
# The tests under sanitizers:
#   1. ck_test (CKernels/tests/ck_test.c: every ISA; odd byte addresses, guard pages, the OpenMP
#      drivers) under ASan+UBSan, built by gcc and by clang; the accuracy sweeps at a coarse
#      CK_SAN_STRIDE, as their memory and UB behaviour is the tails' and scripts/ci-c.sh runs them
#      densely without sanitizers;
#   2. ck_test under TSan, built by clang with LLVM's libomp and its Archer tool (OMPT), which tells
#      TSan about OpenMP's barriers; without Archer, or with gcc's libgomp, TSan reports only false
#      races between a parallel region and the code around it. TSan's runtime in the Swift
#      toolchain's clang needs libdispatch and libBlocksRuntime even for a C program;
#   3. `swift test` under ASan (with UBSan for the C targets: swiftc has no -sanitize=undefined on
#      Linux) and under TSan, with --disable-xctest (XCTest's empty pass leaks under ASan; the
#      tests are swift-testing's). Only the suites that run threads or hand buffers to the kernels
#      (buffers, ISA switching, the gate cells, OpenMP): SWIFT_SAN_SKIP, a regular expression of
#      tests to skip, leaves out by default the accuracy sweeps, the evaluation library's, special
#      values, SIMD overloads and the exit tests, whose loops over the same kernels took most of
#      the time under TSan (about 4 minutes more; `swift test` runs them unsanitized). Empty skips none.
# Environment: CLANG (default clang), CK_SAN_STRIDE (default 4000037), SWIFT_SAN_SKIP.
set -euo pipefail

. "$(dirname "$0")/sanitizer-common.sh"
CK_SAN_STRIDE=${CK_SAN_STRIDE:-4000037}
jobs=2

ck_test() { # name, make arguments... (CC, CFLAGS, LDFLAGS)
    local name=$1; shift
    make -C "$root/CKernels" --no-print-directory -j"$jobs" O="$out/$name" WERROR=1 "$@" \
        test TEST_ARGS="--stride $CK_SAN_STRIDE" >"$out/$name.log" 2>&1 || { cat "$out/$name.log"; exit 1; }
    grep -E "passed|FAIL" "$out/$name.log"
}

asan="-O1 -g -fno-omit-frame-pointer -fsanitize=address,undefined -fno-sanitize-recover=all"
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=0 UBSAN_OPTIONS=print_stacktrace=1
for cc in gcc "$CLANG"; do
    step "ck_test under ASan+UBSan, $(basename "$cc")"
    ck_test "asan-$(basename "$cc")" CC="$cc" CFLAGS="$asan" LDFLAGS="$([ "$cc" = gcc ] || echo "$lld")"
done

step "ck_test under TSan, $(basename "$CLANG") + libomp + Archer"
omp_lib=$(make -s -C "$root/CKernels" --no-print-directory CC="$CLANG" print-libs | sed -n 's/.*-L\([^ ]*\).*/\1/p')
archer=$(ls "$omp_lib"/libarcher.so 2>/dev/null || true)
[ -n "$archer" ] || { echo "FAIL: no libarcher.so next to libomp ($omp_lib): TSan would report OpenMP's own synchronization"; exit 1; }
swift_lib=$(dirname "$(command -v "$CLANG")")/../lib/swift/linux
OMP_TOOL_LIBRARIES=$archer TSAN_OPTIONS="halt_on_error=1 ignore_noninstrumented_modules=1" \
    ck_test tsan CC="$CLANG" CFLAGS="-O1 -g -fsanitize=thread" \
    LDFLAGS="$lld -L$swift_lib -Wl,-rpath,$swift_lib -ldispatch -lBlocksRuntime"

skip=${SWIFT_SAN_SKIP-ContractTests|EvalTests|SpecialValueTests|SIMDTests|PreconditionTests}
swift_san() { # sanitizer, tests to skip beyond $skip (a regular expression), extra arguments...
    local san=$1 skip_san=${skip:+$skip${2:+|}}$2; shift 2
    swift test --scratch-path "$out/swift-$san" --sanitize="$san" --disable-xctest ${skip_san:+--skip "$skip_san"} "$@" \
        >"$out/swift-$san.log" 2>&1 || { tail -60 "$out/swift-$san.log"; exit 1; }
    grep -E "Test run with" "$out/swift-$san.log" | tail -1
}
step "swift test under ASan (+ UBSan in the C targets)"
# Foundation's Process.run leaks its weak-reference side table (32 bytes a process; the plugin tests)
echo 'leak:Foundation7ProcessC3run' >"$out/lsan.supp"
LSAN_OPTIONS=suppressions=$out/lsan.supp swift_san address "" -Xcc -fsanitize=undefined -Xcc -fno-sanitize-recover=all
step "swift test under TSan"
# PluginTests run sweeps in forked children, and TSan cannot start threads after a fork
swift_san thread PluginTests
step "sanitizers passed"
