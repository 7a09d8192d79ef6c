#!/usr/bin/env bash
# `gatekernels accuracy --impl` and `--peers` end to end (under a minute): plug-ins compiled here
# into shared libraries are swept at a stride beside the tiers.
#   - a plug-in that wraps our fast tier (libckernels.so from CKernels/Makefile) gives the same
#     statistics as the built-in fast row, column for column;
#   - a plug-in that breaks the contract fails --check --bound approximate, each broken check named;
#   - a plug-in that crashes is named with its signal and input, exit status 1;
#   - a missing file or symbol is a usage error (exit 64) that says which;
#   - a certificate of a plug-in verifies against the same plug-in and not against another;
#   - --peers sweeps whatever peers are installed.
set -euo pipefail
cd "$(dirname "$0")/.."
bin=${1:-.build/release/gatekernels}
fail() { echo "FAIL: $*"; exit 1; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
stride=65537

echo "-- plug-ins: our fast tier through libckernels.so, a bad one, a crashing one"
make -s -C CKernels O="$work/ck" "$work/ck/libckernels.so" >/dev/null
cat > "$work/tier.c" <<'C'
#include <ckernels.h>
void fast_sigmoid(const float *x, float *y, size_t n) { ck_sigmoid_f32(x, y, n, CK_FAST); }
C
cc -O2 -shared -fPIC -ICKernels/include "$work/tier.c" -L"$work/ck" -lckernels -Wl,-rpath,"$work/ck" -o "$work/libtier.so"
cat > "$work/bad.c" <<'C'
#include <math.h>
#include <stddef.h>
/* not monotone entering (1, 2), out of range above 30, NaN on [-3, -2] */
void bad_sigmoid(const float *x, float *y, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        float v = x[i], s = 1.0f / (1.0f + expf(-v));
        if (v > 1.0f && v < 2.0f) s -= 0.01f;
        if (v > 30.0f) s = 1.5f;
        if (v >= -3.0f && v <= -2.0f) s = NAN;
        y[i] = s;
    }
}
void crashing_sigmoid(const float *x, float *y, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (x[i] == 1.5f) *(volatile int *)0 = 1;
        y[i] = 1.0f / (1.0f + expf(-x[i]));
    }
}
C
cc -O2 -shared -fPIC "$work/bad.c" -o "$work/libbad.so" -lm

echo "-- a plug-in equal to the fast tier gives the built-in row's statistics (every ${stride}th float)"
csv=$("$bin" accuracy --functions sigmoid --tiers fast --isas active --impl "$work/libtier.so:fast_sigmoid" \
      --bound fast --stride "$stride" --format csv)
echo "$csv" | cut -d, -f2,7,10,15
# the columns after the names (implementation, tier, isa) up to cpu_seconds, which is a time
stats() { echo "$csv" | grep "$1" | cut -d, -f5- | rev | cut -d, -f2- | rev; }
[ -n "$(stats '^sigmoid,fast/')" ] && [ "$(stats '^sigmoid,fast/')" = "$(stats '^sigmoid,libtier.so:fast_sigmoid,')" ] \
    || fail "the plug-in wrapping ck_sigmoid_f32 fast differs from the built-in fast row"

echo "-- a bad plug-in fails every check it breaks"
if out=$("$bin" accuracy --functions sigmoid --tiers none --impl "$work/libbad.so:bad_sigmoid" --bound approximate \
         --stride 4099 --check 2>&1); then fail "--check passed a bad plug-in"; fi
for words in "monotonicity violations" "outputs out of range" "NaN/inf for finite input" "special +inf" "breaks max abs"; do
    grep -q "libbad.so:bad_sigmoid: .*$words" <<<"$out" || fail "the bad plug-in's '$words' was not reported"
done

echo "-- a crashing plug-in: its name, the signal and the input"
status=0
out=$("$bin" accuracy --functions sigmoid --tiers fast --impl "$work/libbad.so:crashing_sigmoid" --range=1:2 2>&1) || status=$?
echo "$out" | tail -1
[ "$status" = 1 ] || fail "a crashing plug-in exited with $status, not 1"
grep -q "libbad.so:crashing_sigmoid crashed with signal 11 .* on the input x = 1.5" <<<"$out" \
    || fail "the crash does not name the plug-in, the signal and the input"

echo "-- a missing file or symbol: a usage error that says which"
for spec in "$work/nope.so:f" "$work/libbad.so:no_such_symbol" "$work/libbad.so"; do
    status=0
    out=$("$bin" accuracy --functions sigmoid --impl "$spec" 2>&1) || status=$?
    echo "$out" | head -1
    [ "$status" = 64 ] || fail "--impl $spec exited with $status, not 64"
done

echo "-- a certificate of a plug-in verifies against it, and not against another"
"$bin" accuracy --functions sigmoid --tiers none --impl "$work/libtier.so:fast_sigmoid" --bound fast --stride "$stride" \
    --certificates "$work/certs" >/dev/null
cert="$work/certs/sigmoid-libtier.so-fast_sigmoid.json"
grep -q '"symbol" : "fast_sigmoid"' "$cert" && grep -q '"isa_active"' "$cert" || fail "the certificate does not name the symbol and the ISA"
"$bin" accuracy --verify "$cert" --impl "$work/libtier.so:fast_sigmoid" >/dev/null || fail "--verify: the same plug-in did not verify"
if "$bin" accuracy --verify "$cert" --impl "$work/libbad.so:bad_sigmoid" >/dev/null 2>&1; then
    fail "--verify: another plug-in verified"
fi

echo "-- --peers: the installed peers beside the fast tier"
"$bin" accuracy --tiers fast --peers --stride 1000003 | grep -E "^(implementation|fast/|sleef|xnnpack|libmvec)" | cut -c1-120
echo "ci-impl: OK"
