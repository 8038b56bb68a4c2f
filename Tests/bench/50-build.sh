#!/bin/bash
# Builds: the lecture's Dockerfile on the python fixture (cold and cached),
# a multi-stage Python project, and a RUN writing 5,000 files; hutch vs
# `podman build` on the kernel overlay and on fuse-overlayfs (each with its
# own --root), in one run, as the test user hutch-sub.
set -euo pipefail
ROOT=${1:?usage: 50-build.sh E2E_ROOT}
USER_NAME=hutch-sub
RUNS=${BENCH_RUNS:-5}
# BENCH_ROWS="run-5000-files" (space-separated) times only those rows.
ROWS=" ${BENCH_ROWS:-lecture-cold lecture-cached multi-stage run-5000-files run-python} "
want() { [[ "$ROWS" == *" $1 "* ]]; }
WORK=$ROOT/bench-build
FIXTURE=$ROOT/fixtures/debian-python3.tar
[ -s "$FIXTURE" ] || { echo "## Builds"; echo; echo "missing $FIXTURE (Tests/harness/setup.sh makes it)"; exit 1; }
rm -rf "$WORK"; mkdir -p "$WORK"; chown "$USER_NAME:" "$WORK"
as_user() {
    runuser -u "$USER_NAME" -- env -i HOME="$(getent passwd $USER_NAME | cut -d: -f6)" \
        PATH="$ROOT/prefix/bin:/usr/bin:/bin:/usr/sbin:/sbin" HUTCH_ROOT="$WORK/hutch" \
        XDG_RUNTIME_DIR="$WORK/run" LANG=C.UTF-8 "$@"
}
as_user mkdir -p "$WORK/run" "$WORK/lecture" "$WORK/multi/app" "$WORK/many"
# podman refuses a runroot longer than 50 characters: its own short folder.
PODMAN_RUN=$(as_user mktemp -d /tmp/hutch-bench-podman-XXXXXX)

# The three projects.
as_user sh -c "cat > '$WORK/lecture/Dockerfile'" <<'D'
FROM python:latest

# setup working dir
WORKDIR /tmp
COPY . .

CMD ["python","./hello.py"]
D
as_user sh -c "cat > '$WORK/lecture/hello.py'" <<'D'
#!/usr/bin/env python
import os
import sys

print(f"{sys.version}")
print(os.uname())
D
as_user sh -c "cat > '$WORK/multi/Dockerfile'" <<'D'
FROM python:latest AS build
COPY app/ /src/
RUN python -m compileall -q /src && mkdir -p /out && cp -r /src /out/app
FROM python:latest
COPY --from=build /out/app /app
CMD ["python", "/app/main.py"]
D
for i in $(seq 1 20); do
    as_user sh -c "printf 'def f%s(x):\n    return x * %s\n' $i $i > '$WORK/multi/app/mod$i.py'"
done
as_user sh -c "printf 'import sys\nsys.path.insert(0, \"/app\")\nimport mod1\nprint(mod1.f1(2))\n' > '$WORK/multi/app/main.py'"
as_user sh -c "cat > '$WORK/many/Dockerfile'" <<'D'
FROM python:latest
RUN mkdir /many && cd /many && i=0 && while [ $i -lt 5000 ]; do echo $i > f$i; i=$((i+1)); done
D

# The base image in each store.
as_user hutch import "$FIXTURE" python:latest >/dev/null
# runc, cgroupfs and file events: crun refuses this machine's hybrid cgroups, and the
# test user has no systemd session.
PODMAN_OPTS="--cgroup-manager=cgroupfs --events-backend=file --runtime runc"
PODMAN_K="podman --root $WORK/podman-overlay --runroot $PODMAN_RUN/overlay $PODMAN_OPTS --storage-driver overlay"
PODMAN_F="podman --root $WORK/podman-fuse --runroot $PODMAN_RUN/fuse $PODMAN_OPTS --storage-driver overlay --storage-opt overlay.mount_program=/usr/bin/fuse-overlayfs"
as_user $PODMAN_K import "$FIXTURE" python:latest >/dev/null 2>"$WORK/podman-overlay.err" || echo "(podman import on the kernel overlay failed)" >&2
as_user $PODMAN_F import "$FIXTURE" python:latest >/dev/null 2>"$WORK/podman-fuse.err" || echo "(podman import on fuse-overlayfs failed)" >&2

declare -A CMD
row() { # name dir flags
    local name=$1 dir=$2 flags=$3
    CMD[$name-hutch]="hutch build -q $flags -t b-$name $dir >/dev/null"
    CMD[$name-podman-overlay]="$PODMAN_K build -q --network host $flags -t b-$name $dir >/dev/null"
    CMD[$name-podman-fuse]="$PODMAN_F build -q --network host $flags -t b-$name $dir >/dev/null"
    want "$name" || return 0
    interleaved "$name"
}
# The three commands of a row, one run each in turn (the first in the turn rotating),
# after one warm-up each. hyperfine's usual order (all runs of one command, then the
# next) is not fair on this machine: file creation on its ext4 gets slower for a few
# minutes after many deletions, and whichever command comes first pays for the rows
# before it. median() reads every run's JSON.
interleaved() {
    local name=$1 i who
    local order=(hutch podman-overlay podman-fuse)
    for who in "${order[@]}"; do
        as_user hyperfine --style none --runs 1 --ignore-failure -n "$who" "${CMD[$name-$who]}" >/dev/null 2>&1 || true
    done
    for i in $(seq 1 "$RUNS"); do
        for who in "${order[@]}"; do
            as_user hyperfine --style none --runs 1 --ignore-failure --export-json "$WORK/$name.$who.$i.json" \
                -n "$who" "${CMD[$name-$who]}" >/dev/null 2>&1 || true
        done
        order=("${order[@]:1}" "${order[0]}")
    done
}
row lecture-cold "$WORK/lecture" "--no-cache"
row lecture-cached "$WORK/lecture" ""
row multi-stage "$WORK/multi" "--no-cache"
row run-5000-files "$WORK/many" "--no-cache"
# A container of the image, start to end: the union mount, the sandbox, python's start.
CMD[run-python-hutch]="hutch run --rm --network none python:latest python3 -c pass"
CMD[run-python-podman-overlay]="$PODMAN_K run --rm --network none python:latest python3 -c pass"
CMD[run-python-podman-fuse]="$PODMAN_F run --rm --network none python:latest python3 -c pass"
want run-python && interleaved run-python

# The median of a command's runs of a row; empty when any run failed or none ran.
median() { python3 -c "
import glob, json, statistics
times = []
for f in glob.glob('$WORK/$1.$2.*.json'):
    for x in json.load(open(f))['results']:
        if any(c != 0 for c in x.get('exit_codes', [0])):
            print(''); raise SystemExit
        times += x['times']
print(statistics.median(times) if times else '')"; }
fmt() { [ -n "$1" ] && python3 -c "print(f'{$1:.3f} s')" || echo "failed"; }
ratio() { [ -n "$1" ] && [ -n "$2" ] && python3 -c "print(f'{$1/$2:.2f}')" || echo "-"; }

echo "## Builds: hutch build vs podman build"
echo
echo "As $USER_NAME, on the Debian+python3 fixture imported as \`python:latest\` in each store; median of $RUNS runs"
echo "after one warm-up each, the three commands of a row run in turn (hyperfine --runs 1 each, the first of a turn"
echo "rotating), because file creation on this machine's ext4 slows down for minutes after mass deletions. \`hutch build\` runs RUN on the kernel overlay over a read-only hutch-unionfs view of the layers (hutch-sub has a subuid range; docs/build.md); podman on the kernel overlay and on"
echo "fuse-overlayfs, each with its own \`--root\`. Cold rows use \`--no-cache\`."
echo
echo '```'
for name in lecture-cold lecture-cached multi-stage run-5000-files; do
    echo "${CMD[$name-hutch]}"
done
echo "$PODMAN_K build -q --network host [--no-cache] -t NAME DIR"
echo "$PODMAN_F build -q --network host [--no-cache] -t NAME DIR"
for who in hutch podman-overlay podman-fuse; do echo "${CMD[run-python-$who]}"; done
echo '```'
echo
echo "| build | hutch | podman (overlay) | podman (fuse-overlayfs) | hutch/podman overlay | hutch/podman fuse |"
echo "|---|---|---|---|---|---|"
for name in lecture-cold lecture-cached multi-stage run-5000-files run-python; do
    want "$name" || continue
    h=$(median $name hutch); k=$(median $name podman-overlay); f=$(median $name podman-fuse)
    echo "| $name | $(fmt "$h") | $(fmt "$k") | $(fmt "$f") | $(ratio "$h" "$k") | $(ratio "$h" "$f") |"
done
echo
echo "The last row is not a build: \`run --rm python:latest python3 -c pass\`, a container of the image from start to end."
echo "A \"failed\" cell: that command did not succeed here (see the commands above)."
as_user podman --root "$WORK/podman-overlay" --runroot "$PODMAN_RUN/overlay" unshare rm -rf "$WORK/podman-overlay" 2>/dev/null || true
as_user podman --root "$WORK/podman-fuse" --runroot "$PODMAN_RUN/fuse" unshare rm -rf "$WORK/podman-fuse" 2>/dev/null || true
rm -rf "$WORK" "$PODMAN_RUN"
