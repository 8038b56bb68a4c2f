#!/bin/bash
# make bench: runs every Tests/bench/NN-*.sh in order, each printing a
# markdown section (a heading and a table of medians and ratios, hutch beside
# its peers in the same run), and writes them all to OUT with the date and
# the command that produced them.
set -euo pipefail
ROOT=${1:?usage: run.sh E2E_ROOT OUT}
OUT=${2:?usage: run.sh E2E_ROOT OUT}
HERE=$(cd "$(dirname "$0")" && pwd)
tmp=$(mktemp)
{
    echo "# Benchmarks"
    echo
    echo "Produced by \`make bench\` on $(date -u +%Y-%m-%d), $(nproc) cores, kernel $(uname -r)."
    echo "Each row is the median of repeated runs, hutch and its peers measured side by side in one run,"
    echo "as the unprivileged test user; a ratio below 1 means hutch is faster."
    echo
    for script in "$HERE"/[0-9][0-9]-*.sh; do
        [ -e "$script" ] || continue
        case "$script" in *-inner.sh) continue ;; esac   # helpers a section runs itself
        bash "$script" "$ROOT" || echo "(\`$(basename "$script")\` failed: see the output of make bench)"
        echo
    done
} > "$tmp"
# Rootless podman leaves a pause process (catatonit -P) per user to hold its
# namespaces; the benches are done with podman, so leave nothing running.
pkill -u hutch-sub -x catatonit 2>/dev/null || true
pkill -u hutch-nosub -x catatonit 2>/dev/null || true
mv "$tmp" "$OUT"
cat "$OUT"
