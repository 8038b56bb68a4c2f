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
mkdir -p lower data json
python3 - <<'PY'
import os
# ~14k small files in 700 directories (the "find"/"stat"/"ls -lR" tree)
for d in range(700):
    p = f"lower/tree/d{d // 50}/d{d}"
    os.makedirs(p, exist_ok=True)
    for f in range(20):
        with open(f"{p}/f{f}", "wb") as fh: fh.write(b"x" * (f * 37))
# 10k files to delete (mass whiteouts)
for d in range(100):
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
dd if=/dev/urandom of=lower/big bs=1M count=256 status=none

cat > lib.sh <<LIB
W=$W; UNIONFS=$UNIONFS
LIB
cat >> lib.sh <<'LIB'
remount() { # kind
    umount "$W/m" 2>/dev/null || true
    rm -rf "$W/upper" "$W/work"; mkdir -p "$W/upper" "$W/work" "$W/m"
    case $1 in
        kernel) mount -t overlay overlay -o "lowerdir=$W/lower,upperdir=$W/upper,workdir=$W/work,userxattr" "$W/m" ;;
        hutch) "$UNIONFS" -o "lowerdir=$W/lower,upperdir=$W/upper,workdir=$W/work" "$W/m" ;;
        fuse-overlayfs) fuse-overlayfs -o "lowerdir=$W/lower,upperdir=$W/upper,workdir=$W/work" "$W/m" ;;
    esac
    # Wait for the FUSE daemons to serve (they mount before answering).
    for i in $(seq 1 100); do stat "$W/m/big" >/dev/null 2>&1 && return 0; sleep 0.02; done
    return 1
}
LIB
. ./lib.sh

# While tuning: UNIONFS_BENCH_ROWS=REGEX picks rows by label,
# UNIONFS_BENCH_KINDS="hutch kernel" picks back ends.
ROWS=${UNIONFS_BENCH_ROWS:-}
KINDS=${UNIONFS_BENCH_KINDS:-hutch fuse-overlayfs kernel}
row() { # label, prepare, command, runs
    local label=$1 prep=$2 cmd=$3 runs=${4:-3}
    if [ -n "$ROWS" ] && ! echo "$label" | grep -Eq "$ROWS"; then return 0; fi
    for kind in $KINDS; do
        remount $kind
        KIND=$kind hyperfine -N --style none --runs "$runs" --export-json "json/$kind-$(echo "$label" | tr -c 'a-zA-Z0-9' _).json" \
            --prepare "bash -c '. $W/lib.sh; $prep'" "bash -c 'cd $W/m && $cmd'" >/dev/null 2>&1 ||
            echo "{\"results\":[{\"median\":null}]}" > "json/$kind-$(echo "$label" | tr -c 'a-zA-Z0-9' _).json"
    done
    echo "$label|$cmd" >> rows.txt
}
: > rows.txt
row "find over 14k lower files" "true" "find tree >/dev/null" 5
row "stat of each lower file" "true" "find tree -type f -print0 | xargs -0 stat -c %s >/dev/null" 5
row "ls -lR of the lower tree" "true" "ls -lR tree >/dev/null" 5
row "read a 256 MB lower file" "true" "cat big >/dev/null" 3
row "untar 5,000 files" "rm -rf $W/m/u" "mkdir u && tar -C u -xf $W/data/untar.tar" 3
row "rm -rf 5,000 new files" "rm -rf $W/m/u; mkdir $W/m/u && tar -C $W/m/u -xf $W/data/untar.tar" "rm -rf u" 3
row "write 256 MB + fsync" "rm -f $W/m/w" "dd if=/dev/zero of=w bs=1M count=256 conv=fsync status=none" 3
row "copy-up of a big lower file by append" "remount \$KIND" "echo x >> big" 3
row "chmod of a big lower file" "remount \$KIND" "chmod 600 big" 3
row "chown -R of the lower tree" "remount \$KIND" "chown -R 0:0 tree" 3
row "mkdir 5,000 siblings, then find -delete" "rm -rf $W/m/s" "mkdir s && cd s && seq 1 5000 | xargs mkdir && cd .. && find s -delete" 3
row "rm -rf of 10,000 lower files (whiteouts)" "remount \$KIND" "rm -rf many" 3
umount "$W/m" 2>/dev/null || true

python3 - "$W" <<'PY'
import json, os, sys
w = sys.argv[1]
def med(kind, label):
    p = f"{w}/json/{kind}-" + "".join(c if c.isalnum() else "_" for c in label) + "_.json"
    if not os.path.exists(p):
        p = p[:-6] + ".json"
    try:
        return json.load(open(p))["results"][0]["median"]
    except Exception:
        return None
fmt = lambda t: "failed" if t is None else (f"{t*1000:.0f} ms" if t < 10 else f"{t:.1f} s")
ratio = lambda a, b: "" if a is None or b is None or b == 0 else f"{a / b:.2f}"
where = {"tmpfs": "On a tmpfs", "disk": "On the disk"}.get(os.environ.get("UNIONFS_BENCH_ON", "disk"), "On the disk")
fs = os.popen(f"findmnt -n -o FSTYPE -T {w}").read().strip()
print(f"### {where} ({fs})")
print()
print("| operation | command | hutch-unionfs | fuse-overlayfs | kernel overlay | hutch / fuse-overlayfs | hutch / kernel |")
print("|---|---|---|---|---|---|---|")
for line in open(f"{w}/rows.txt"):
    label, cmd = line.rstrip("\n").split("|", 1)
    h, f, k = med("hutch", label), med("fuse-overlayfs", label), med("kernel", label)
    print(f"| {label} | `{cmd.replace('|', '∣')}` | {fmt(h)} | {fmt(f)} | {fmt(k)} | {ratio(h, f)} | {ratio(h, k)} |")
PY
