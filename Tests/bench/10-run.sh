#!/bin/bash
# Benchmark: start a container and run `true` in it, on the test busybox
# rootfs, as the unprivileged test user: hutch against bubblewrap and podman.
# Usage: 10-run.sh E2E_ROOT   (prints a markdown section)
set -euo pipefail
ROOT=${1:?usage: 10-run.sh E2E_ROOT}
HERE=$(cd "$(dirname "$0")" && pwd)
HUTCH=$ROOT/prefix/bin/hutch
USER_NAME=hutch-sub
[ "$(id -u)" = 0 ] || USER_NAME=$(id -un)
WORK=$ROOT/bench/run
mkdir -p "$WORK/xdg-run"
chmod 700 "$WORK/xdg-run"
[ "$(id -u)" = 0 ] && chown "$USER_NAME" "$WORK" "$WORK/xdg-run"
USER_HOME=$(getent passwd "$USER_NAME" | cut -d: -f6)
# podman needs a runtime folder of the user's own (no login session here).
as_user() {
    if [ "$(id -u)" = 0 ]; then
        runuser -u "$USER_NAME" -- env HOME="$USER_HOME" XDG_RUNTIME_DIR="$WORK/xdg-run" "$@"
    else
        env XDG_RUNTIME_DIR="${XDG_RUNTIME_DIR:-$WORK/xdg-run}" "$@"
    fi
}
ROOTFS=$WORK/busybox
[ -x "$ROOTFS/bin/busybox" ] || as_user sh "$HERE/../harness/make-busybox-rootfs.sh" "$ROOTFS"
JSON=$WORK/run.json

cmd_hutch="$HUTCH run --rootfs $ROOTFS --network none true"
cmd_bwrap="bwrap --unshare-all --ro-bind $ROOTFS / --proc /proc --dev /dev true"
# No cgroups for podman either: hutch and bwrap make none.
cmd_podman="podman run --rm --cgroups=disabled --network none --rootfs $ROOTFS true"
cmds=("$cmd_hutch" "$cmd_bwrap")
names=("hutch" "bwrap")
podman_note=""
if ! command -v podman >/dev/null; then
    podman_note="podman is not installed (Debian package podman)."
elif podman_err=$(as_user $cmd_podman 2>&1); then
    cmds+=("$cmd_podman"); names+=("podman")
else
    podman_note="podman could not run here, left out: \`$(echo "$podman_err" | tail -1)\`"
fi
for c in "${cmds[@]}"; do as_user $c >/dev/null 2>&1 || { echo "## Container start"; echo; echo "\`$c\` failed"; exit 1; }; done

args=()
for i in "${!cmds[@]}"; do
    args+=(--command-name "${names[$i]}" "${cmds[$i]}")
done
as_user hyperfine -N --warmup 10 --min-runs 30 --max-runs 200 --export-json "$JSON" "${args[@]}" >/dev/null 2>&1

echo "## Container start: \`run --network none true\` on busybox"
echo
echo "As $USER_NAME (a subuid range: hutch maps it with newuidmap/newgidmap). Commands:"
echo
for c in "${cmds[@]}"; do echo "    $c"; done
echo
[ -n "$podman_note" ] && { echo "$podman_note"; echo; }
python3 - "$JSON" <<'PY'
import json, sys
results = json.load(open(sys.argv[1]))["results"]
hutch = next(r for r in results if r["command"] == "hutch")["median"]
print("| command | median | mean ± σ | hutch / it |")
print("|---|---|---|---|")
for r in results:
    print("| %s | %.1f ms | %.1f ± %.1f ms | %.2f |" % (r["command"], r["median"] * 1000, r["mean"] * 1000,
                                               r["stddev"] * 1000, hutch / r["median"]))
PY
