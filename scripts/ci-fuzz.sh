#!/usr/bin/env bash
# The differential fuzzers (fuzz/) in CI, with clang:
#   1. under ASan+UBSan, each for FUZZ_SECONDS from a fresh seed (printed; a failure prints the
#      command that replays it: `fuzz_gates --seed S --case N`);
#   2. the libFuzzer builds (-fsanitize=fuzzer), each for LIBFUZZER_SECONDS from an empty corpus;
#   3. the fuzzers can fail: each scripts/fuzz-mutants/*.patch, applied to a temporary copy of the
#      sources, is a deliberately broken library that one of them must catch within
#      MUTANT_SECONDS (fixed seed), trying first the fuzzer its preamble names (a line
#      `Fuzzer: fuzz_gates` before the diff). A patch that no longer applies fails CI: refresh it
#      against the current sources (it must still break what its name says).
# Environment: CLANG (default clang), FUZZ_SECONDS (60), LIBFUZZER_SECONDS (20), MUTANT_SECONDS (20).
set -euo pipefail

. "$(dirname "$0")/sanitizer-common.sh"
FUZZ_SECONDS=${FUZZ_SECONDS:-60}
LIBFUZZER_SECONDS=${LIBFUZZER_SECONDS:-20}
MUTANT_SECONDS=${MUTANT_SECONDS:-20}
fuzzers="fuzz_activations fuzz_gates"

build() { # output dir, make arguments...
    local dir=$1; shift
    make -C "$dir/fuzz" -j2 --no-print-directory CC="$CLANG" LDFLAGS="$lld" "$@" >"$out/build.log" 2>&1 ||
        { cat "$out/build.log"; exit 1; }
}

step "ASan+UBSan: each fuzzer for $FUZZ_SECONDS s"
build "$root" O="$out/asan"
for f in $fuzzers; do
    "$out/asan/$f" --seconds "$FUZZ_SECONDS"
done

step "libFuzzer (ASan+UBSan): each for $LIBFUZZER_SECONDS s"
build "$root" O="$out/libfuzzer" LIBFUZZER=1
for f in $fuzzers; do
    mkdir -p "$out/corpus-$f"
    "$out/libfuzzer/$f" -max_total_time="$LIBFUZZER_SECONDS" -print_final_stats=1 "$out/corpus-$f" \
        >"$out/$f.log" 2>&1 || { tail -40 "$out/$f.log"; exit 1; }
    runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$out/$f.log")
    echo "$f: $runs inputs, corpus of $(find "$out/corpus-$f" -type f | wc -l)"
done

step "mutants: each deliberately broken build must be caught within $MUTANT_SECONDS s"
tree=$out/mutant
mkdir -p "$tree"
tar -C "$root" --exclude=build -cf - CKernels CKernelsOpenMP fuzz | tar -C "$tree" -xf -
for patch in "$root"/scripts/fuzz-mutants/*.patch; do
    name=$(basename "$patch" .patch)
    patch -s -p1 -d "$tree" <"$patch" || { echo "FAIL: $name.patch no longer applies"; exit 1; }
    # no sanitizer: the fuzzers' own checks must see it; make rebuilds only what the patch touched
    build "$tree" O="$tree/build" SANITIZE= WERROR=0
    caught=
    first=$(sed -n '/^--- /q; s/^Fuzzer: *//p' "$patch") # the one its preamble names first, then the others
    order=$first
    for f in $fuzzers; do [ "$f" = "$first" ] || order="$order $f"; done
    for f in $order; do
        start=$(date +%s.%N)
        if ! "$tree/build/$f" --seed 1 --seconds "$MUTANT_SECONDS" >"$out/mutant.log" 2>&1; then
            seconds=$(awk -v a="$start" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }')
            caught="$f after $seconds s: $(grep -m1 '^FAIL' "$out/mutant.log" | cut -c1-150)"
            break
        fi
    done
    [ -n "$caught" ] || { echo "FAIL: no fuzzer caught the mutant $name"; exit 1; }
    echo "$name: caught by $caught"
    patch -s -R -p1 -d "$tree" <"$patch"
done
step "fuzzers passed"
