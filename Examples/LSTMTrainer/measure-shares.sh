#!/usr/bin/env bash
# Where a training step's time goes: GateKernels' gate updates against OpenBLAS, for a few model
# sizes (fast tier, and the libm reference gates for contrast). Prints a markdown table.
# Timing is wall time on a possibly shared machine: compare the shares within a row.
set -euo pipefail
cd "$(dirname "$0")"
swift build -c release --scratch-path "${SCRATCH:-.build-trainer}" --product lstm-trainer >&2
bin="${SCRATCH:-.build-trainer}/release/lstm-trainer"
echo "| task | cell | layers x hidden | batch | length | gates | steps/s (median step) | time in gate updates | time in BLAS | rest (Adam, loss, data) |"
echo "|---|---|---|---|---|---|---|---|---|---|"
while read -r task cell layers hidden batch length steps; do
    for tier in fast libm; do
        line=$("$bin" --task "$task" --cell "$cell" --layers "$layers" --hidden "$hidden" --batch "$batch" \
               --length "$length" --steps "$steps" --tier "$tier" --log-every "$steps" | tail -1)
        # "<rate> steps/s (median step); step time in gate updates <g>%, in BLAS <b>%"
        read -r rate gates blas < <(echo "$line" | sed -E 's/^([0-9.]+) steps.* updates ([0-9.]+)%, in BLAS ([0-9.]+)%/\1 \2 \3/')
        rest=$(awk -v g="$gates" -v b="$blas" 'BEGIN { printf "%.1f", 100 - g - b }')
        echo "| $task | $cell | ${layers}x$hidden | $batch | $length | $tier | $rate | $gates% | $blas% | $rest% |"
    done
done <<'SIZES'
adding lstm 1 32 32 100 300
adding gru 1 32 32 100 300
chars lstm 2 128 8 32 200
adding lstm 1 256 64 100 40
adding gru 1 256 64 100 40
adding lstm 1 1024 64 32 10
SIZES
