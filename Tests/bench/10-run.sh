#!/bin/bash
# Benchmark: start a container and run `true` in it, on the test busybox
# rootfs, as the unprivileged test user: hutch against bubblewrap and podman.
# Then the same for hutch and bubblewrap as hutch-nosub (no subuid range, so
# no newuidmap/newgidmap: one-line maps, as bwrap writes).
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
table() {
python3 - "$1" <<'PY'
import json, sys
results = json.load(open(sys.argv[1]))["results"]
hutch = next(r for r in results if r["command"] == "hutch")["median"]
print("| command | median | mean ± σ | hutch / it |")
print("|---|---|---|---|")
for r in results:
    print("| %s | %.1f ms | %.1f ± %.1f ms | %.2f |" % (r["command"], r["median"] * 1000, r["mean"] * 1000,
                                               r["stddev"] * 1000, hutch / r["median"]))
PY
}
table "$JSON"

# Without a subuid range (only when run as root, which can be hutch-nosub).
if [ "$(id -u)" = 0 ] && id hutch-nosub >/dev/null 2>&1; then
    NOSUB_WORK=$WORK/nosub
    NOSUB_ROOTFS=$NOSUB_WORK/busybox
    NOSUB_HOME=$(getent passwd hutch-nosub | cut -d: -f6)
    as_nosub() { runuser -u hutch-nosub -- env HOME="$NOSUB_HOME" "$@"; }
    mkdir -p "$NOSUB_WORK" && chown hutch-nosub "$NOSUB_WORK"
    [ -x "$NOSUB_ROOTFS/bin/busybox" ] || as_nosub sh "$HERE/../harness/make-busybox-rootfs.sh" "$NOSUB_ROOTFS"
    nosub_hutch="$HUTCH run --rootfs $NOSUB_ROOTFS --network none true"
    nosub_bwrap="bwrap --unshare-all --ro-bind $NOSUB_ROOTFS / --proc /proc --dev /dev true"
    as_nosub $nosub_hutch >/dev/null 2>&1 && as_nosub $nosub_bwrap >/dev/null 2>&1 || { echo; echo "\`$nosub_hutch\` failed as hutch-nosub"; exit 1; }
    as_nosub hyperfine -N --warmup 10 --min-runs 30 --max-runs 200 --export-json "$NOSUB_WORK/run.json" \
        --command-name hutch "$nosub_hutch" --command-name bwrap "$nosub_bwrap" >/dev/null 2>&1
    echo
    echo "As hutch-nosub (no subuid range: no newuidmap/newgidmap, the container maps one id):"
    echo
    echo "    $nosub_hutch"
    echo "    $nosub_bwrap"
    echo
    table "$NOSUB_WORK/run.json"
fi
