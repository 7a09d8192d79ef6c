#!/bin/sh
# Regenerates the measured speed documents: docs/threads.md (one thread against Dispatch and OpenMP
# with two, 1K to 64M elements, f32, bf16 and f16), docs/gates.md (the fused gate updates, f32, bf16
# and f16), docs/peers.md (SLEEF, XNNPACK and Eigen against ours in one process,
# scripts/bench-peers.sh), and README's scaling table (the speed-up pivot of docs/threads.md),
# half-format table (docs/threads.md's "Half formats against f32" rows at 16K and 16M, one thread and
# Dispatch's two) and peers table (docs/peers.md's), spliced between their markers. Each document
# keeps its text above "<!-- generated below -->" and states the load average of its run.
#
# On a shared machine run it as root: the benches get their own session at autogroup nice -20 so
# that neighbours' builds do not take the second core in the middle of a batch.
set -eu
cd "$(dirname "$0")/.."
swift build -c release --traits OpenMP --product gatekernels
bench() { setsid sh -c "echo -20 > /proc/self/autogroup 2>/dev/null; exec nice -n -20 .build/release/gatekernels $*"; }
load() { echo "Load average (1, 5, 15 min) before the run: $(cut -d' ' -f1-3 /proc/loadavg)"; }
head_of() { sed '/^<!-- generated below -->$/q' "$1"; }

{ head_of docs/threads.md; echo; load; echo
  bench bench --kernels sigmoid,tanh,lstm,gru --tiers fast --formats all --threads 1,2 --batches 31 --no-peers \
    --sizes 1K,4K,16K,64K,128K,256K,512K,1M,4M,16M,64M --gate-sizes 16K,32K,256K,2M
} > docs/threads.md.new
mv docs/threads.md.new docs/threads.md

{ head_of docs/gates.md; echo; load; echo; echo '```'; bench bench-gates --formats all --batches 21; echo '```'; } > docs/gates.md.new
mv docs/gates.md.new docs/gates.md

{ head_of docs/peers.md; echo; load; echo
  setsid sh -c "echo -20 > /proc/self/autogroup 2>/dev/null; exec nice -n -20 scripts/bench-peers.sh"
} > docs/peers.md.new
mv docs/peers.md.new docs/peers.md

# README: the speed-up pivot (the rows under "Speed-up over one thread ..."), the half-format table's
# header and its rows at 16K and 16M on one thread and on Dispatch's two, and the peers table
sed -n '/^Speed-up over one thread/,/^$/p' docs/threads.md | grep '^|' | scripts/splice-readme.sh "scaling table" scripts/regen-speed-docs.sh
sed -n '/^Half formats against f32/,/^$/p' docs/threads.md | grep '^|' | awk -F'|' '
  function trim(s) { gsub(/ /, "", s); return s }
  NR <= 2 || (trim($2) == "16K" || trim($2) == "16M") && (trim($6) == "serial" || trim($6) == "dispatch")' \
  | scripts/splice-readme.sh "half-format table" scripts/regen-speed-docs.sh
sed -n '/^<!-- generated below -->$/,$p' docs/peers.md | grep '^|' | scripts/splice-readme.sh "peers table" scripts/regen-speed-docs.sh
