#!/bin/sh
# Regenerates the exhaustive accuracy documents: docs/exhaustive.md (every tier on every ISA of this
# machine, all 2^32 inputs, with certificates), docs/accuracy.md and docs/accuracy.svg (the tiers
# beside the approximation zoo, every 17th float), docs/peers-accuracy.md and
# docs/peers-accuracy-line.md (the tiers beside the installed peer libraries: every float in
# [-20, 20], every 17th of the whole line), and README's accuracy table (the widest ISA's rows of
# docs/exhaustive.md, spliced between its markers). About 45 minutes on 2 idle cores, most of it the
# double-precision reference; --check fails the run if any kernel breaks the contract of
# docs/design.md.
set -eu
cd "$(dirname "$0")/.."
swift build -c release --product gatekernels
bin=.build/release/gatekernels
"$bin" accuracy --exhaustive --isas all --format markdown --output docs/exhaustive.md \
    --certificates "${TMPDIR:-/tmp}/gatekernels-certs-exhaustive" --check
"$bin" accuracy --stride 17 --zoo --format markdown --output docs/accuracy.md --plot docs/accuracy.svg
"$bin" accuracy --peers --isas active --range=-20:20 --stride 1 --format markdown --output docs/peers-accuracy.md
"$bin" accuracy --peers --isas active --stride 17 --format markdown --output docs/peers-accuracy-line.md

# README: one row per function and tier from the widest ISA's rows of the first table of each
# function's float section (columns: max ulp, ulp (frac), max abs, exact %, monotonicity, specials,
# contract); the bf16 and f16 sections ("## sigmoid bf16") go to a table of their own
isa=$("$bin" report --no-timing --stride 1000003 | sed -n 's/^active: \([a-z0-9]*\).*/\1/p')
rows=$(awk -v isa="$isa" -F' *\\| *' '
  /^## / { fn = $0; sub(/^## /, "", fn); table = 0; half = fn ~ / / }
  /^\| implementation \|/ { table++ }
  !half && table == 1 && $2 ~ ("/" isa "$") { split($2, t, "/"); printf "| %s | %s | %s | %s | %s | %s | %s | %s | %s |\n", fn, t[1], $3, $4, $6, $10, $11, $16, $18 }
' docs/exhaustive.md)
[ -n "$rows" ] || { echo "regen-accuracy-docs: no $isa rows in docs/exhaustive.md" >&2; exit 1; }
printf '%s\n%s\n%s\n' "| function | tier | max ulp | ulp (frac) | max abs err | exact % | monotonicity violations | specials | contract |" \
    "|---|---|--:|--:|--:|--:|--:|--:|---|" "$rows" | scripts/splice-readme.sh "accuracy table" scripts/regen-accuracy-docs.sh

# README: the bf16 and f16 sections' widest-ISA rows (columns: max ulp, correctly rounded %, flushed,
# monotonicity, specials, contract)
rows=$(awk -v isa="$isa" -F' *\\| *' '
  /^## / { fn = $0; sub(/^## /, "", fn); half = fn ~ / / }
  half && $2 ~ ("/" isa "$") { split(fn, f, " "); split($2, t, "/"); printf "| %s | %s | %s | %s | %s | %s | %s | %s | %s |\n", f[1], f[2], t[1], $3, $5, $8, $9, $13, $14 }
' docs/exhaustive.md)
[ -n "$rows" ] || { echo "regen-accuracy-docs: no $isa bf16/f16 rows in docs/exhaustive.md" >&2; exit 1; }
printf '%s\n%s\n%s\n' "| function | format | tier | max ulp | correctly rounded % | flushed | monotonicity violations | specials | contract |" \
    "|---|---|---|--:|--:|--:|--:|---|---|" "$rows" | scripts/splice-readme.sh "half-format accuracy table" scripts/regen-accuracy-docs.sh
