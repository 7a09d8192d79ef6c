#!/bin/sh
# Replaces what README.md holds between the markers "<!-- NAME: SCRIPT -->" and "<!-- end of NAME -->"
# with standard input, a blank line on either side: the one splice of scripts/regen-speed-docs.sh and
# scripts/regen-accuracy-docs.sh. Fails, leaving README.md as it was, when the first marker is missing.
# Usage: scripts/splice-readme.sh NAME SCRIPT < rows
set -eu
cd "$(dirname "$0")/.."
[ $# -eq 2 ] || { echo "usage: scripts/splice-readme.sh NAME SCRIPT < rows" >&2; exit 64; }
rows=$(cat)
awk -v start="<!-- $1: $2 -->" -v end="<!-- end of $1 -->" -v rows="$rows" '
  $0 == start { print; print ""; print rows; print ""; skip = 1; found = 1; next }
  $0 == end { skip = 0 }
  !skip { print }
  END { if (!found) { print "splice-readme: README.md has no line " start > "/dev/stderr"; exit 1 } }' README.md \
    > README.md.new || { rm -f README.md.new; exit 1; }
mv README.md.new README.md
