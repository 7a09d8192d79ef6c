#!/usr/bin/env bash
# The documentation a Swift user browses: the DocC catalog (Sources/GateKernels/GateKernels.docc)
# and the API references of GateKernels and GateKernelsEval build with swift-docc-plugin without a
# warning, every public symbol declared in Sources/GateKernels and Sources/GateKernelsEval has a doc
# comment, the catalog's Swift snippets compile, and the misuse that the Getting Started article
# describes (a [Double] buffer) gets the compiler's normal diagnostic, not "failed to produce
# diagnostic". The archives are left in .build/plugins/Swift-DocC/outputs/<module>.doccarchive.
set -euo pipefail
cd "$(dirname "$0")/.."

for module in GateKernels GateKernelsEval; do
    echo "== DocC: swift package generate-documentation --target $module --warnings-as-errors"
    swift package generate-documentation --target "$module" --warnings-as-errors

    echo "== every public symbol declared in Sources/$module has a doc comment"
    # The symbol graphs the plugin extracted; compiler-synthesized members have no source location,
    # and extension blocks have no page of their own.
    find .build -path "*/extracted-symbols/*/$module/$module*.symbols.json" -print0 | MODULE=$module python3 -c '
import json, os, sys
module = os.environ["MODULE"]
files = [f for f in sys.stdin.read().split("\0") if f]
if not files:
    sys.exit("FAIL: no symbol graph of %s under .build" % module)
undocumented = set()
for f in files:
    for s in json.load(open(f))["symbols"]:
        uri = s.get("location", {}).get("uri", "")
        if "/Sources/%s/" % module in uri and s["kind"]["identifier"] != "swift.extension" \
                and not s.get("docComment", {}).get("lines"):
            undocumented.add("%s (%s)" % (".".join(s["pathComponents"]), uri.split("/Sources/")[-1]))
if undocumented:
    sys.exit("FAIL: public symbols without a doc comment:\n  " + "\n  ".join(sorted(undocumented)))
print("every public symbol is documented")
'
done

# Type-checks Swift files against the module the plugin just built, with SwiftPM's module maps of
# the C targets (ckernels_omp.h includes ckernels.h by its bare name).
bin=$(swift build --show-bin-path)
c_modules=(-Xcc -ICKernels/include)
for map in "$bin"/*.build/module.modulemap; do c_modules+=(-Xcc "-fmodule-map-file=$map"); done
typecheck() { swiftc -typecheck -suppress-warnings -I "$bin/Modules" "${c_modules[@]}" "$@"; }
probe=$(mktemp -d)
trap 'rm -rf "$probe"' EXIT

echo "== the catalog's Swift snippets compile"
# Each swift block that imports GateKernels becomes the body of a function in a file of its own.
awk -v dir="$probe" '
    /^```swift$/ { inside = 1; imports = 0; text = ""; next }
    inside && /^```$/ {
        inside = 0
        if (imports) {
            n++
            file = dir "/snippet" n ".swift"
            printf "import GateKernels\nfunc snippet%d() throws {\n%s}\n", n, text > file
            close(file)
        }
        next
    }
    inside && /^import GateKernels$/ { imports = 1; next }
    inside { text = text $0 "\n" }
' Sources/GateKernels/GateKernels.docc/*.md
snippets=("$probe"/snippet*.swift)
[ -f "${snippets[0]}" ] || { echo "FAIL: the catalog has no swift snippet that imports GateKernels"; exit 1; }
for snippet in "${snippets[@]}"; do
    typecheck "$snippet" || { echo "FAIL: a DocC snippet does not compile:"; cat "$snippet"; exit 1; }
done
echo "${#snippets[@]} snippets compile"

echo "== a [Double] buffer gets a normal diagnostic"
cat > "$probe/misuse.swift" <<'EOF'
import GateKernels
let x: [Double] = [1, 2, 3]
let y = Activation.sigmoid(x)
EOF
if out=$(typecheck "$probe/misuse.swift" 2>&1); then
    echo "FAIL: Activation.sigmoid([Double]) compiled"; exit 1
fi
if ! grep -q "requires the types 'Double' and 'Float' be equivalent" <<<"$out" \
    || grep -q "failed to produce diagnostic" <<<"$out"; then
    echo "FAIL: Activation.sigmoid([Double]) did not get the expected diagnostic:"; echo "$out"; exit 1
fi
echo "ci-docs: OK"
