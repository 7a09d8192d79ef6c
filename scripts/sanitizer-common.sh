# What scripts/ci-sanitizers.sh and scripts/ci-fuzz.sh share, sourced after their `set -euo pipefail`:
# the repository root, a scratch folder removed on exit, CLANG (default clang), the step banner,
# and in $lld the flag that links with lld where the compiler can.
root=$(cd "$(dirname "$0")/.." && pwd)
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
CLANG=${CLANG:-clang}

step() { printf '\n== %s  [%d s in]\n' "$*" "$SECONDS"; }
# GNU gold (the Swift toolchain clang's default linker) warns about every sanitizer-local symbol
lld=
if echo 'int main(void){return 0;}' | "$CLANG" -fuse-ld=lld -x c - -o "$out/probe" 2>/dev/null; then
    lld=-fuse-ld=lld
fi
