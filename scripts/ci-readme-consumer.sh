#!/usr/bin/env bash
# README's "Use it from your package" works as written: the Package.swift snippet (the swift block
# that starts with `// swift-tools-version`) is built beside a clean clone of HEAD named as the
# snippet's path says, with every README swift block that imports GateKernels as its code (each in
# a function of its own file), and run. Then the same manifest, its path dependency replaced by
# `.package(url:from:)` on a tagged file:// clone, builds again: the product line holds for a
# versioned dependency too. The snippets come from README each time, so the two cannot drift.
set -euo pipefail
cd "$(dirname "$0")/.."
top=$(pwd)
scratch=${CI_README_SCRATCH:-$top/.build-ci-readme}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# README's swift blocks, one file each in $work/blocks: the manifest, and each runnable snippet.
mkdir -p "$work/blocks"
awk -v dir="$work/blocks" '
    /^```swift$/ { inside = 1; text = ""; next }
    inside && /^```$/ {
        inside = 0
        if (text ~ /^\/\/ swift-tools-version/) { printf "%s", text > (dir "/manifest.swift") }
        else if (text ~ /(^|\n)import GateKernels\n/) { n++; printf "%s", text > (dir "/snippet" n ".swift") }
        next
    }
    inside { text = text $0 "\n" }
' README.md
[ -f "$work/blocks/manifest.swift" ] || { echo "FAIL: README has no Package.swift snippet"; exit 1; }
snippets=("$work"/blocks/snippet*.swift)
[ -f "${snippets[0]}" ] || { echo "FAIL: README has no swift snippet that imports GateKernels"; exit 1; }

dependency_path=$(sed -n 's/.*\.package(path: "\([^"]*\)".*/\1/p' "$work/blocks/manifest.swift")
target=$(sed -n 's/.*\.executableTarget(name: "\([^"]*\)".*/\1/p' "$work/blocks/manifest.swift")
[ -n "$dependency_path" ] && [ -n "$target" ] \
    || { echo "FAIL: the README manifest has no .package(path:) or no executable target"; exit 1; }

# The consumer: the manifest as written, one function per snippet, main.swift calling them in order.
consumer=$work/consumer
mkdir -p "$consumer/Sources/$target"
cp "$work/blocks/manifest.swift" "$consumer/Package.swift"
main=$consumer/Sources/$target/main.swift
for k in $(seq 1 "${#snippets[@]}"); do
    # a snippet's imports stay at file scope, the rest is the function's body
    { grep '^import ' "$work/blocks/snippet$k.swift"; echo; echo "func readmeSnippet$k() throws {"
      grep -v '^import ' "$work/blocks/snippet$k.swift"; echo "}"; } > "$consumer/Sources/$target/Snippet$k.swift"
    echo "try readmeSnippet$k()" >> "$main"
done
echo "print(\"README: ${#snippets[@]} snippets ran\")" >> "$main"
git clone -q "$top" "$consumer/$dependency_path"   # HEAD, where the snippet's path points

echo "== README's Package.swift as written, with README's swift snippets as its code"
swift run --package-path "$consumer" --scratch-path "$scratch/path" "$target"

echo "== the same manifest with a versioned dependency (a tagged clone)"
name=$(basename "$dependency_path")
git clone -q --bare "$top" "$work/$name.git"
git -C "$work/$name.git" tag 0.1.0 HEAD
sed -i "s|\.package(path: \"$dependency_path\")|.package(url: \"file://$work/$name.git\", from: \"0.1.0\")|" "$consumer/Package.swift"
grep -q "file://$work/$name.git" "$consumer/Package.swift" || { echo "FAIL: could not replace the path dependency"; exit 1; }
swift build --package-path "$consumer" --scratch-path "$scratch/versioned"
echo "== README's dependency snippet works"
