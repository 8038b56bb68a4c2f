#!/bin/bash
# Makes (once, then cached) a Debian root filesystem with python3 as a tar,
# with mmdebstrap in unshare mode: it needs the running user to have an
# /etc/subuid range, so the harness runs it as hutch-sub. The apt sources
# are this machine's own, so it works wherever apt-get does.
#
# usage: make-python-image.sh OUT.tar
# Cache: ${XDG_CACHE_HOME:-~/.cache}/hutch-tests/debian-python3.tar
set -euo pipefail
OUT=${1:?usage: make-python-image.sh OUT.tar}
CACHE=${XDG_CACHE_HOME:-$HOME/.cache}/hutch-tests
TAR=$CACHE/debian-python3.tar
mkdir -p "$CACHE"
if [ ! -s "$TAR" ]; then
    command -v mmdebstrap >/dev/null || { echo "missing mmdebstrap: install Debian's mmdebstrap" >&2; exit 1; }
    grep -q "^$(id -un):" /etc/subuid || { echo "mmdebstrap --mode=unshare needs an /etc/subuid range for $(id -un)" >&2; exit 1; }
    suite=$(. /etc/os-release && echo "$VERSION_CODENAME")
    sources=$(cat /etc/apt/sources.list.d/*.sources /etc/apt/sources.list 2>/dev/null || true)
    [ -n "$sources" ] || { echo "no apt sources on this machine for mmdebstrap" >&2; exit 1; }
    # mmdebstrap reads the mirror list from stdin when given "-".
    printf '%s\n' "$sources" | mmdebstrap --quiet --mode=unshare --variant=apt \
        --include=python3,python-is-python3,ca-certificates --format=tar \
        --customize-hook='rm -rf "$1"/var/lib/apt/lists/* "$1"/var/cache/apt/*' \
        "$suite" "$TAR.tmp" - 
    mv "$TAR.tmp" "$TAR"
fi
cp "$TAR" "$OUT"
