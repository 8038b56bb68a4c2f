#!/bin/bash
# Clears what an earlier run of the tests left under E2E_ROOT when it was
# killed part way (a timeout, a machine shut down mid-run): FUSE and overlay
# mounts below the root, whose dead daemons make every walk of the tree fail
# with EACCES or ENOTCONN, the test users' leftover processes, and the
# per-run scratch folder $ROOT/tmp. The installed build, the fixtures and the
# users' caches stay.
#
# As root: detaches every mount below the root and stops every process of the
# test users (hutch-sub, hutch-nosub: made by setup.sh for the tests alone).
# As anyone else: detaches the user's own FUSE mounts below the root.
set -u
ROOT=${1:?usage: clear-stale.sh E2E_ROOT}
case "$ROOT" in
    /*/*) ;;
    *) echo "clear-stale.sh: E2E_ROOT must be a folder of its own, like /tmp/hutch-e2e (got '$ROOT')" >&2; exit 1 ;;
esac
ROOT=${ROOT%/}
[ -d "$ROOT" ] || exit 0

# Mount points below ROOT, deepest first. mountinfo escapes space, tab,
# newline and backslash as octal (\040 ...); printf %b undoes that.
mounts_below() {
    awk '{ print $5 }' /proc/self/mountinfo | while IFS= read -r m; do
        m=$(printf '%b' "$m")
        case "$m" in "$ROOT"/*) printf '%s\n' "$m" ;; esac
    done | sort -r
}

if [ "$(id -u)" = 0 ]; then
    for u in hutch-sub hutch-nosub; do
        id -u "$u" >/dev/null 2>&1 && pkill -KILL -u "$u" 2>/dev/null
    done
    # A killed process takes a moment to go; a bounded wait, not a sleep.
    for _ in $(seq 50); do
        pgrep -u hutch-sub,hutch-nosub >/dev/null 2>&1 || break
        sleep 0.1
    done
fi

left=0
while IFS= read -r m; do
    [ -n "$m" ] || continue
    if [ "$(id -u)" = 0 ]; then
        umount -l "$m" 2>/dev/null || umount -f "$m" 2>/dev/null
    else
        fusermount3 -u -z "$m" 2>/dev/null || umount -l "$m" 2>/dev/null
    fi
    if mounts_below | grep -qxF "$m"; then
        echo "clear-stale.sh: could not detach $m, left by an earlier run" >&2
        left=1
    else
        echo "clear-stale.sh: detached $m, left by an earlier run"
    fi
done < <(mounts_below)

if [ "$left" = 0 ] && [ -d "$ROOT/tmp" ]; then
    rm -rf "$ROOT/tmp" 2>/dev/null
    if [ -d "$ROOT/tmp" ] && [ -x "$ROOT/prefix/bin/hutch" ]; then
        # Files a container wrote with subordinate ids: hutch's own remover
        # (what the tests' Harness.removeTree uses too).
        "$ROOT/prefix/bin/hutch" system rm-tree "$ROOT/tmp" 2>/dev/null
    fi
fi
exit "$left"
