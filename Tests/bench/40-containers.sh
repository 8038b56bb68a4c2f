#!/bin/bash
# Containers: `run -d` + `stop` + `rm` round trip, and `exec true` latency,
# hutch vs podman, as the test user hutch-sub, on the same busybox root
# filesystem. podman gets a store of its own under the work folder, runc
# (crun refuses this machine's hybrid cgroup layout), cgroupfs and file
# events, so it needs no systemd user session.
set -euo pipefail
ROOT=${1:?usage: 40-containers.sh E2E_ROOT}
HERE=$(cd "$(dirname "$0")" && pwd)
USER_NAME=hutch-sub
WORK=$ROOT/bench-containers
rm -rf "$WORK"; mkdir -p "$WORK"; chown "$USER_NAME:" "$WORK"
as_user() { runuser -u "$USER_NAME" -- env -i HOME="$(getent passwd $USER_NAME | cut -d: -f6)" PATH="$ROOT/prefix/bin:/usr/bin:/bin" HUTCH_ROOT="$WORK/store" XDG_RUNTIME_DIR="$WORK/run" "$@"; }
as_user mkdir -p "$WORK/run" "$WORK/tmp"
as_user sh "$HERE/../harness/make-busybox-rootfs.sh" "$WORK/rootfs" >/dev/null
# podman refuses a runroot path longer than 50 characters.
RUNROOT=$(mktemp -d /tmp/hutch-podman.XXXXXX); chown "$USER_NAME:" "$RUNROOT"
PODMAN_FLAGS="--root $WORK/podman --runroot $RUNROOT --tmpdir $WORK/tmp --cgroup-manager=cgroupfs --events-backend=file --runtime runc"

# One hyperfine run of two commands; prints "hutch-median podman-median" (empty when one failed).
bench() {
    local name=$1 hutch=$2 podman=$3
    as_user hyperfine --style none --warmup 1 --runs "${BENCH_RUNS:-10}" --export-json "$WORK/$name.json" \
        -n hutch "$hutch" -n podman "$podman" >/dev/null 2>&1 || true
}
median() { python3 -c "import json; d=json.load(open('$WORK/$1.json')); r={x['command']:x['median'] for x in d['results'] if x.get('exit_codes') is None or not any(x['exit_codes'])}; print(r.get('$2',''))" 2>/dev/null || true; }
# The first line podman prints on failure, for the table cell.
podman_error() { { as_user sh -c "$1" 2>&1 >/dev/null || true; } | { grep -v -e 'is not a shared mount' -e 'resorting to SIGKILL' || true; } | head -1 | cut -c1-150; }
row() {
    local label=$1 h=$2 p=$3 perr=$4
    printf "| %s | %.1f ms | %s | %s |\n" "$label" "$(python3 -c "print(${h:-0}*1000)")" \
        "$( [ -n "$p" ] && python3 -c "print('%.1f ms' % ($p*1000))" || echo "failed: ${perr:-no result}")" \
        "$( [ -n "$p" ] && [ -n "$h" ] && python3 -c "print('%.2f' % (${h}/${p}))" || echo "-")"
}

HUTCH_RT="hutch run -d --name b --network none --rootfs $WORK/rootfs sleep 60 >/dev/null && hutch stop -t 1 b >/dev/null && hutch rm b >/dev/null"
PODMAN_RT="podman $PODMAN_FLAGS run -d --init --name b --network none --rootfs $WORK/rootfs sleep 60 >/dev/null && podman $PODMAN_FLAGS stop -t 1 b >/dev/null && podman $PODMAN_FLAGS rm b >/dev/null"
bench rt "$HUTCH_RT" "$PODMAN_RT"
as_user sh -c "hutch rm -f b; podman $PODMAN_FLAGS rm -f -t 0 b" >/dev/null 2>&1 || true
rt_h=$(median rt hutch); rt_p=$(median rt podman); rt_err=""
[ -n "$rt_p" ] || rt_err=$(podman_error "$PODMAN_RT")
as_user sh -c "hutch rm -f b; podman $PODMAN_FLAGS rm -f -t 0 b" >/dev/null 2>&1 || true

# exec: one long-lived container each, `exec true` timed.
as_user hutch run -d --name e --network none --rootfs "$WORK/rootfs" sleep 600 >/dev/null
as_user podman $PODMAN_FLAGS run -d --name e --network none --rootfs "$WORK/rootfs" sleep 600 >/dev/null 2>&1 || true
HUTCH_EXEC="hutch exec e true"
PODMAN_EXEC="podman $PODMAN_FLAGS exec e true"
bench exec "$HUTCH_EXEC" "$PODMAN_EXEC"
ex_h=$(median exec hutch); ex_p=$(median exec podman); ex_err=""
[ -n "$ex_p" ] || ex_err=$(podman_error "$PODMAN_EXEC")
as_user sh -c "hutch rm -f e; podman $PODMAN_FLAGS rm -f -t 0 e" >/dev/null 2>&1 || true

echo "## Containers: run -d + stop + rm, and exec"
echo
echo "As $USER_NAME, busybox rootfs, \`--network none\`, \`stop -t 1\`; the command is sleep, which ends on SIGTERM when an init passes it on (hutch always has one; podman with \`--init\`)."
echo "podman with a store of its own, runc, cgroupfs and file events (no systemd user session needed)."
echo
echo '```'
echo "$HUTCH_RT"
echo "$PODMAN_RT"
echo "$HUTCH_EXEC"
echo "$PODMAN_EXEC"
echo '```'
echo
echo "| what | hutch | podman | hutch/podman |"
echo "|---|---|---|---|"
row "run -d + stop + rm" "$rt_h" "$rt_p" "$rt_err"
row "exec true" "$ex_h" "$ex_p" "$ex_err"
rm -rf "$WORK" "$RUNROOT"
