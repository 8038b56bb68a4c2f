#!/bin/bash
# Benchmark: pull of a fixture image from a local registry (Debian's
# docker-registry on 127.0.0.1), hutch vs podman, into an empty store each
# run, as the unprivileged test user. The fixture is the Debian+python3
# image (Tests/harness/make-python-image.sh, cached per user) when it can be
# made, else busybox. Prints a markdown section.
#
# usage: 20-pull.sh E2E_ROOT
set -euo pipefail
ROOT=${1:?usage: 20-pull.sh E2E_ROOT}
HERE=$(cd "$(dirname "$0")/.." && pwd)
USER_NAME=hutch-sub
HUTCH=$ROOT/prefix/bin/hutch
[ -x "$HUTCH" ] || { echo "missing $HUTCH: run make bench" >&2; exit 1; }
for tool in hyperfine podman skopeo docker-registry; do
    command -v $tool >/dev/null || { echo "missing $tool: install Debian's $tool" >&2; exit 1; }
done

WORK=$ROOT/bench-pull
rm -rf "$WORK"
mkdir -p "$WORK"
chmod 0755 "$WORK"
cleanup() {
    "$HERE/harness/registry.sh" stop "$WORK/registry" >/dev/null 2>&1 || true
    runuser -u $USER_NAME -- podman --root "$WORK/user/podman" --runroot "$WORK/user/podman-run" \
        rmi -a -f >/dev/null 2>&1 || true
    runuser -u $USER_NAME -- podman unshare rm -rf "$WORK/user" >/dev/null 2>&1 || true
    rm -rf "$WORK"
}
trap cleanup EXIT

# The fixture: python when the cached Debian tar is there or can be made.
fixture=busybox
if runuser -u $USER_NAME -- bash "$HERE/harness/make-python-image.sh" "$WORK/python.tar" >"$WORK/fixture.log" 2>&1; then
    fixture=python
    bash "$HERE/harness/make-oci-image.sh" "$WORK/oci" "$WORK/python.tar" >/dev/null
else
    sh "$HERE/harness/make-busybox-rootfs.sh" "$WORK/rootfs"
    bash "$HERE/harness/make-oci-image.sh" "$WORK/oci" "$WORK/rootfs" >/dev/null
fi
port=$("$HERE/harness/registry.sh" start "$WORK/registry")
image=127.0.0.1:$port/library/$fixture:latest
skopeo copy -q --dest-tls-verify=false "oci:$WORK/oci" "docker://$image" >/dev/null
size=$(du -sb "$WORK/oci/blobs" | cut -f1)

mkdir -p "$WORK/user"
chown $USER_NAME: "$WORK/user"
home=$(getent passwd $USER_NAME | cut -d: -f6)
as_user() { runuser -u $USER_NAME -- env -i HOME="$home" USER=$USER_NAME PATH=/usr/bin:/bin "$@"; }

hutch_cmd="$HUTCH --root $WORK/user/hutch pull -q $image"
podman_cmd="podman --root $WORK/user/podman --runroot $WORK/user/podman-run pull -q --tls-verify=false $image"
(cd "$WORK/user" && as_user hyperfine -N --style none --warmup 1 --runs 5 --export-json "$WORK/user/pull.json" \
    --prepare "rm -rf $WORK/user/hutch" -n "hutch pull" "$hutch_cmd" \
    --prepare "podman --root $WORK/user/podman --runroot $WORK/user/podman-run rmi -a -f" -n "podman pull" "$podman_cmd" \
    >/dev/null)

echo "## Pull from a local registry"
echo
echo "An image of $(numfmt --to=si "$size")B compressed ($fixture fixture), pushed by skopeo to docker-registry on"
echo "127.0.0.1, pulled into an empty store each run, as $USER_NAME:"
echo
echo '```'
echo "$hutch_cmd"
echo "$podman_cmd"
echo '```'
echo
/usr/bin/python3 - "$WORK/user/pull.json" <<'PY'
import json, statistics, sys
results = {r["command"]: statistics.median(r["times"]) for r in json.load(open(sys.argv[1]))["results"]}
hutch, podman = results["hutch pull"], results["podman pull"]
print("| command | median | ratio to podman |")
print("|---|---|---|")
print(f"| hutch pull | {hutch*1000:.0f} ms | {hutch/podman:.2f} |")
print(f"| podman pull | {podman*1000:.0f} ms | 1.00 |")
PY
