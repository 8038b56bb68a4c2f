#!/bin/bash
# Union filesystem benchmark: hutch-unionfs vs fuse-overlayfs vs the kernel
# overlay, same data, same run, as hutch-sub inside `unshare -Urm` (the
# single-id case: only root is mapped). Prints a markdown section.
#
# Scaled down to keep `make bench` to a few minutes on 2 cores: a 256 MB big
# file (not 512 MB), 5,000 sibling directories (not 20,000: fuse-overlayfs
# alone would take minutes) and 10,000 lower files for the mass-whiteout row.
set -euo pipefail
ROOT=${1:?usage: 30-unionfs.sh E2E_ROOT}
UNIONFS=$ROOT/prefix/bin/hutch-unionfs
USER_NAME=${BENCH_USER:-hutch-sub}
for tool in hyperfine fuse-overlayfs unshare python3; do
    command -v $tool >/dev/null || { echo "## Union filesystem"; echo; echo "missing: $tool"; exit 1; }
done
WORK=$ROOT/bench-unionfs
rm -rf "$WORK"; mkdir -p "$WORK"
HERE=$(cd "$(dirname "$0")" && pwd)
cp "$HERE/30-unionfs-inner.sh" "$WORK/inner.sh"
chown -R "$USER_NAME" "$WORK" 2>/dev/null || true
if [ "$(id -u)" = 0 ]; then
    runuser -u "$USER_NAME" -- unshare -Urm bash "$WORK/inner.sh" "$WORK" "$UNIONFS"
else
    unshare -Urm bash "$WORK/inner.sh" "$WORK" "$UNIONFS"
fi
rm -rf "$WORK"
