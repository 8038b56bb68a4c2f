#!/bin/bash
# Runs inside `unshare -Urm` for 30-unionfs.sh: builds the data, then times
# each row on the three back ends with hyperfine and prints the table.
set -euo pipefail
W=$1; UNIONFS=$2
# UNIONFS_BENCH_ON=tmpfs: the data, the layers and the mounts on a tmpfs of
# this namespace, so the table shows the union filesystems' own cost rather
# than the disk's (on this machine's ext4, creating 5,000 small files takes
# about a second whatever sits on top).
if [ "${UNIONFS_BENCH_ON:-disk}" = tmpfs ]; then
    mount -t tmpfs -o size=3g,mode=0755 tmpfs "$W"
fi
cd "$W"
# UNIONFS_BENCH_SCALE=issue: the sizes issue 03 names (512 MB files, 20,000
# sibling directories, 20,000 lower files to delete); the default is scaled
# down (256 MB, 5,000, 10,000) so that `make bench` stays short.
if [ "${UNIONFS_BENCH_SCALE:-}" = issue ]; then BIG_MB=512 SIBLINGS=20000 MANY_DIRS=200
else BIG_MB=256 SIBLINGS=5000 MANY_DIRS=100; fi
MANY=$((MANY_DIRS * 100))
num() { echo "$1" | sed -e ':a' -e 's/\B[0-9]\{3\}\>/,&/' -e 'ta'; }
mkdir -p lower data json
MANY_DIRS=$MANY_DIRS python3 - <<'PY'
import os
# ~14k small files in 700 directories (the "find"/"stat"/"ls -lR" tree)
for d in range(700):
    p = f"lower/tree/d{d // 50}/d{d}"
    os.makedirs(p, exist_ok=True)
    for f in range(20):
        with open(f"{p}/f{f}", "wb") as fh: fh.write(b"x" * (f * 37))
# 10k (or 20k) files to delete (mass whiteouts)
for d in range(int(os.environ["MANY_DIRS"])):
    p = f"lower/many/d{d}"
    os.makedirs(p, exist_ok=True)
    for f in range(100):
        open(f"{p}/f{f}", "wb").close()
# ~5k files to untar
for d in range(100):
    p = f"data/src/d{d}"
    os.makedirs(p, exist_ok=True)
    for f in range(50):
        with open(f"{p}/f{f}", "wb") as fh: fh.write(os.urandom(512))
PY
tar -C data -cf data/untar.tar src && rm -rf data/src
dd if=/dev/urandom of=lower/big bs=1M count=$BIG_MB status=none

cat > lib.sh <<LIB
W=$W; UNIONFS=$UNIONFS
LIB
cat >> lib.sh <<'LIB'
remount() { # kind: a fresh upper and mount of that back end at $W/m-KIND
    local m=$W/m-$1 u=$W/upper-$1 wk=$W/work-$1
    umount "$m" 2>/dev/null || true
    rm -rf "$u" "$wk"; mkdir -p "$u" "$wk" "$m"
    case $1 in
        kernel) mount -t overlay overlay -o "lowerdir=$W/lower,upperdir=$u,workdir=$wk,userxattr" "$m" ;;
        hutch) "$UNIONFS" -o "lowerdir=$W/lower,upperdir=$u,workdir=$wk" "$m" ;;
        fuse-overlayfs) fuse-overlayfs -o "lowerdir=$W/lower,upperdir=$u,workdir=$wk" "$m" 2>/dev/null ;;
    esac
    # Wait for the FUSE daemons to serve (they mount before answering).
    for i in $(seq 1 100); do stat "$m/big" >/dev/null 2>&1 && return 0; sleep 0.02; done
    return 1
}
LIB
. ./lib.sh

# While tuning: UNIONFS_BENCH_ROWS=REGEX picks rows by label,
# UNIONFS_BENCH_KINDS="hutch kernel" picks back ends.
ROWS=${UNIONFS_BENCH_ROWS:-}
KINDS=${UNIONFS_BENCH_KINDS:-hutch fuse-overlayfs kernel}
# The back ends take turns, run by run, the first of a turn rotating: this
# machine's speed drifts over minutes (other guests on the host, ext4
# after mass deletions), and three back-to-back blocks of runs would put
# that drift into the ratios. $M is the mount of the back end at hand.
row() { # label, prepare, command, runs
    local label=$1 prep=$2 cmd=$3 runs=${4:-3}
    if [ -n "$ROWS" ] && ! echo "$label" | grep -Eq "$ROWS"; then return 0; fi
    local slug kinds=($KINDS) n r j kind f
    slug=$(echo "$label" | tr -c 'a-zA-Z0-9' _)
    n=${#kinds[@]}
    for kind in "${kinds[@]}"; do remount $kind; done
    for r in $(seq 1 "$runs"); do
        for j in $(seq 0 $((n - 1))); do
            kind=${kinds[$(( (r + j) % n ))]}
            f="json/$kind-$slug-$r.json"
            KIND=$kind M=$W/m-$kind hyperfine -N --style none --runs 1 --export-json "$f" \
                --prepare "bash -c '. $W/lib.sh; $prep'" "bash -c 'cd $W/m-$kind && $cmd'" >/dev/null 2>&1 ||
                echo '{"results":[{"median":null}]}' > "$f"
        done
    done
    for kind in "${kinds[@]}"; do umount "$W/m-$kind" 2>/dev/null || true; rm -rf "$W/upper-$kind" "$W/work-$kind"; done
    echo "$label|$cmd|$runs" >> rows.txt
}
: > rows.txt
row "find over 14k lower files" "true" "find tree >/dev/null" 5
row "stat of each lower file" "true" "find tree -type f -print0 | xargs -0 stat -c %s >/dev/null" 5
row "ls -lR of the lower tree" "true" "ls -lR tree >/dev/null" 5
row "read a $BIG_MB MB lower file" "true" "cat big >/dev/null" 3
row "untar 5,000 files" "rm -rf \$M/u" "mkdir u && tar -C u -xf $W/data/untar.tar" 3
row "rm -rf 5,000 new files" "rm -rf \$M/u; mkdir \$M/u && tar -C \$M/u -xf $W/data/untar.tar" "rm -rf u" 3
row "write $BIG_MB MB + fsync" "rm -f \$M/w" "dd if=/dev/zero of=w bs=1M count=$BIG_MB conv=fsync status=none" 3
row "copy-up of a big lower file by append" "remount \$KIND" "echo x >> big" 3
row "chmod of a big lower file" "remount \$KIND" "chmod 600 big" 3
row "chown -R of the lower tree" "remount \$KIND" "chown -R 0:0 tree" 3
row "mkdir $(num $SIBLINGS) siblings, then find -delete" "rm -rf \$M/s" "mkdir s && cd s && seq 1 $SIBLINGS | xargs mkdir && cd .. && find s -delete" 3
row "rm -rf of $(num $MANY) lower files (whiteouts)" "remount \$KIND" "rm -rf many" 3

python3 - "$W" <<'PY'
import json, os, sys
w = sys.argv[1]
def med(kind, label, runs):
    slug = "".join(c if c.isalnum() else "_" for c in label) + "_"
    times = []
    for r in range(1, runs + 1):
        try:
            t = json.load(open(f"{w}/json/{kind}-{slug}-{r}.json"))["results"][0]["median"]
        except Exception:
            t = None
        if t is None:
            return None
        times.append(t)
    times.sort()
    return times[len(times) // 2] if times else None
fmt = lambda t: "failed" if t is None else (f"{t*1000:.0f} ms" if t < 10 else f"{t:.1f} s")
ratio = lambda a, b: "" if a is None or b is None or b == 0 else f"{a / b:.2f}"
where = {"tmpfs": "On a tmpfs", "disk": "On the disk"}.get(os.environ.get("UNIONFS_BENCH_ON", "disk"), "On the disk")
fs = os.popen(f"findmnt -n -o FSTYPE -T {w}").read().strip()
print(f"### {where} ({fs})")
print()
print("| operation | command | hutch-unionfs | fuse-overlayfs | kernel overlay | hutch / fuse-overlayfs | hutch / kernel |")
print("|---|---|---|---|---|---|---|")
for line in open(f"{w}/rows.txt"):
    label, rest = line.rstrip("\n").split("|", 1)
    cmd, runs = rest.rsplit("|", 1)
    h, f, k = (med(kind, label, int(runs)) for kind in ("hutch", "fuse-overlayfs", "kernel"))
    print(f"| {label} | `{cmd.replace('|', '∣')}` | {fmt(h)} | {fmt(f)} | {fmt(k)} | {ratio(h, f)} | {ratio(h, k)} |")
PY
