#!/usr/bin/env bash
# Fails if two tracked paths (files or the folders above them) differ only in letter case: on
# case-insensitive file systems (macOS and Windows by default) they would become one.
set -euo pipefail
cd "$(dirname "$0")/.."
collisions=$(git ls-files | awk -F/ '{ p = ""; for (i = 1; i <= NF; i++) { p = p (i > 1 ? "/" : "") $i; print p } }' \
    | sort -u | awk '{ k = tolower($0); if (k in seen) print seen[k] "  <->  " $0; else seen[k] = $0 }')
if [ -n "$collisions" ]; then
    echo "FAIL: tracked paths that differ only in case:"; echo "$collisions"; exit 1
fi
echo "no two tracked paths differ only in case"
