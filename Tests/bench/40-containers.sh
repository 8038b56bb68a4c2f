#!/bin/bash
# Containers: `run -d` + `stop` + `rm` round trip, hutch vs podman, as the
# test user hutch-sub, on the same busybox root filesystem.
# (exec latency joins this table when `hutch exec` lands.)
set -euo pipefail
ROOT=${1:?usage: 40-containers.sh E2E_ROOT}
HERE=$(cd "$(dirname "$0")" && pwd)
USER_NAME=hutch-sub
WORK=$ROOT/bench-containers
rm -rf "$WORK"; mkdir -p "$WORK"; chown "$USER_NAME:" "$WORK"
as_user() { runuser -u "$USER_NAME" -- env -i HOME="$(getent passwd $USER_NAME | cut -d: -f6)" PATH="$ROOT/prefix/bin:/usr/bin:/bin" HUTCH_ROOT="$WORK/store" XDG_RUNTIME_DIR="$WORK/run" "$@"; }
as_user mkdir -p "$WORK/run"
as_user sh "$HERE/../harness/make-busybox-rootfs.sh" "$WORK/rootfs" >/dev/null
HUTCH="hutch run -d --name b --network none --rootfs $WORK/rootfs sleep 60 >/dev/null && hutch stop -t 1 b >/dev/null && hutch rm b >/dev/null"
PODMAN="podman run -d --name b --network none --rootfs $WORK/rootfs sleep 60 >/dev/null && podman stop -t 1 b >/dev/null && podman rm b >/dev/null"
as_user hyperfine --style none --warmup 1 --runs "${BENCH_RUNS:-10}" --export-json "$WORK/rt.json" \
    -n hutch "$HUTCH" -n podman "$PODMAN" >/dev/null 2>&1 || true
median() { python3 -c "import json,sys; d=json.load(open('$WORK/rt.json')); r={x['command']:x['median'] for x in d['results']}; print(r.get('$1',''))"; }
h=$(median hutch); p=$(median podman)
echo "## Containers: run -d + stop + rm"
echo
echo "As $USER_NAME, busybox rootfs, \`--network none\`, \`stop -t 1\` (the command is sleep, which ends on SIGTERM)."
echo
echo '```'
echo "$HUTCH"
echo "$PODMAN"
echo '```'
echo
echo "| round trip | median |"
echo "|---|---|"
printf "| hutch | %.1f ms |\n" "$(python3 -c "print(${h:-0}*1000)")"
if [ -n "$p" ]; then
    printf "| podman | %.1f ms |\n" "$(python3 -c "print($p*1000)")"
    printf "| ratio hutch/podman | %.2f |\n" "$(python3 -c "print(${h:-0}/$p)")"
else
    echo "| podman | failed |"
fi
rm -rf "$WORK"
