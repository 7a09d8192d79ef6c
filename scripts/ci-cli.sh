#!/usr/bin/env bash
# The gatekernels command behaves like a well-made command line tool (seconds, tiny sizes):
#   --version names CK_VERSION and this checkout's commit, as the JSON outputs do; the overview lists
#   every subcommand and the exit statuses; a bad option or value shows that subcommand's usage and
#   exits 64; list options have one spelling (--tiers) in every subcommand; bench draws progress only
#   on a terminal, never into a pipe.
set -euo pipefail
cd "$(dirname "$0")/.."
bin=${1:-.build/release/gatekernels}
fail() { echo "FAIL: $*"; exit 1; }

echo "-- --version: CK_VERSION and the commit"
version=$(sed -n 's/^#define CK_VERSION "\(.*\)"$/\1/p' CKernels/include/ckernels.h)
commit=$(git rev-parse HEAD)
out=$("$bin" --version)
echo "$out"
[[ $out == "gatekernels $version (commit $commit"* ]] || fail "--version does not say $version and commit $commit"
for json in "accuracy --functions sigmoid --tiers fast --stride 1000003 --format json" \
            "bench --sizes 1K --gate-sizes 1K --kernels sigmoid --tiers fast --batches 3 --no-peers --json"; do
    out=$("$bin" $json)
    echo "$out" | grep -q "\"library_version\" : \"$version\"" || fail "$json: no library_version $version"
    echo "$out" | grep -q "\"git_commit\" : \"$commit" || fail "$json: no git_commit $commit"
done

echo "-- the overview lists every subcommand and the exit statuses"
overview=$("$bin" --help)
for cmd in report accuracy bench bench-gates; do
    echo "$overview" | grep -q "^  $cmd " || fail "--help does not list $cmd"
done
echo "$overview" | tr -s "\n " "  " | grep -q "Exit status: 0 success; 1 .*; 64 " || fail "--help does not document the exit statuses"

echo "-- a bad option or value: that subcommand's usage, exit 64"
expect_usage() { # usage line expected, arguments...
    local usage=$1; shift
    local rc=0 err; err=$("$bin" "$@" 2>&1 >/dev/null) || rc=$?
    [ "$rc" = 64 ] || fail "gatekernels $* exited $rc, not 64"
    echo "$err" | grep -qF "Usage: $usage" || fail "gatekernels $* did not show 'Usage: $usage': $err"
    echo "gatekernels $*: exit 64, $(echo "$err" | head -1)"
}
for cmd in report accuracy bench bench-gates; do
    expect_usage "gatekernels $cmd" "$cmd" --bogus
done
for cmd in accuracy bench bench-gates; do # one spelling, one parser: the same message everywhere
    expect_usage "gatekernels $cmd" "$cmd" --tiers bogus
    err=$("$bin" "$cmd" --tiers bogus 2>&1) || true
    echo "$err" | grep -q "^Error: --tiers: unknown value 'bogus'" || fail "$cmd --tiers bogus: not the shared list message: $err"
done
expect_usage "gatekernels <subcommand>" bogus

echo "-- exit statuses 0 and 1"
"$bin" report --no-timing --stride 1000003 >/dev/null || fail "report exited $?, not 0"
rc=0; "$bin" accuracy --functions sigmoid --stride 1000003 --output /nonexistent/report.md 2>/dev/null || rc=$?
[ "$rc" = 1 ] || fail "accuracy with an unwritable --output exited $rc, not 1"

echo "-- bench: progress on a terminal only"
bench=(bench --sizes 1K,4K --gate-sizes 1K --kernels sigmoid,lstm --tiers fast --batches 3 --no-peers)
piped=$("$bin" "${bench[@]}" 2>&1 | cat)
! echo "$piped" | grep -q $'[\r\e]' || fail "bench drew progress into a pipe"
echo "$piped" | grep -q "^One thread:" || fail "bench printed no table: $piped"
echo "$piped" | grep -q "^Half formats against f32" || fail "bench printed no half-format table: $piped"
# `script` gives the command a terminal; standard output still goes to a file
tty_err=$(script -qec "$(printf '%q ' "$bin" "${bench[@]}") >/dev/null" /dev/null)
echo "$tty_err" | grep -q $'\rbench: .*rows done; N=4K (size 2 of 2)' || fail "bench showed no progress on a terminal: $tty_err"
echo "bench: no progress in a pipe; progress lines on a terminal"
