#!/bin/bash
# Union filesystem benchmark: hutch-unionfs vs fuse-overlayfs vs the kernel
# overlay, same data, same run, as hutch-sub inside `unshare -Urm` (the
# single-id case: only root is mapped), once on a tmpfs and once on the
# disk. Prints a markdown section.
#
# Scaled down to keep `make bench` to a few minutes on 2 cores: a 256 MB big
# file (not 512 MB), 5,000 sibling directories (not 20,000: fuse-overlayfs
# alone would take minutes) and 10,000 lower files for the mass-whiteout row.
# UNIONFS_BENCH_SCALE=issue runs the sizes issue 03 names instead.
set -euo pipefail
ROOT=${1:?usage: 30-unionfs.sh E2E_ROOT}
UNIONFS=$ROOT/prefix/bin/hutch-unionfs
USER_NAME=${BENCH_USER:-hutch-sub}
for tool in hyperfine fuse-overlayfs unshare python3; do
    command -v $tool >/dev/null || { echo "## Union filesystem (hutch-unionfs)"; echo; echo "missing: $tool"; exit 1; }
done
WORK=$ROOT/bench-unionfs
rm -rf "$WORK"; mkdir -p "$WORK"
HERE=$(cd "$(dirname "$0")" && pwd)
cp "$HERE/30-unionfs-inner.sh" "$WORK/inner.sh"
chown -R "$USER_NAME" "$WORK" 2>/dev/null || true
echo "## Union filesystem (hutch-unionfs)"
echo
echo "As $USER_NAME inside \`unshare -Urm\` (single-id namespace), the same data for each back end,"
echo "a fresh mount per back end; hutch-unionfs and fuse-overlayfs with their default options,"
echo "the kernel overlay with \`-o userxattr\`. Medians of 3 to 5 runs, each timed by \`hyperfine -N --runs 1\`;"
echo "the back ends take turns run by run, the first of a turn rotating, so that the machine's drift over minutes stays out of the ratios."
if [ "${UNIONFS_BENCH_SCALE:-}" = issue ]; then
    echo "At the sizes issue 03 names (\`UNIONFS_BENCH_SCALE=issue\`): 512 MB files, 20,000 sibling directories, 20,000 lower files for mass whiteouts."
else
    echo "Scaled down to keep the run short: 256 MB files, 5,000 sibling directories, 10,000 lower files for mass whiteouts."
fi
echo "Run twice: with the layers on a tmpfs, which shows what each union filesystem itself costs,"
echo "and on the machine's disk, where creating and deleting files costs the same under every back end."
echo
# UNIONFS_BENCH_ON=tmpfs|disk runs one of the two.
for on in ${UNIONFS_BENCH_ON:-tmpfs disk}; do
    if [ "$(id -u)" = 0 ]; then
        runuser -u "$USER_NAME" -- env UNIONFS_BENCH_ON=$on UNIONFS_BENCH_SCALE="${UNIONFS_BENCH_SCALE:-}" \
            UNIONFS_BENCH_ROWS="${UNIONFS_BENCH_ROWS:-}" UNIONFS_BENCH_KINDS="${UNIONFS_BENCH_KINDS:-}" \
            unshare -Urm bash "$WORK/inner.sh" "$WORK" "$UNIONFS"
    else
        UNIONFS_BENCH_ON=$on unshare -Urm bash "$WORK/inner.sh" "$WORK" "$UNIONFS"
    fi
    echo
done
rm -rf "$WORK"
