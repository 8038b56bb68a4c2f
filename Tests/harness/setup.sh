#!/bin/bash
# Prepares the machine for the end-to-end tests.
#
# As root (CI): creates two unprivileged test users, hutch-sub with a 65536-id
# /etc/subuid and /etc/subgid range and hutch-nosub with none (lab machines
# often have none), and makes /dev/fuse and /dev/net/tun mode 0666 as a stock
# distribution does. It grants them nothing else.
# As anyone else: the tests run as that user, and nothing is changed.
#
# Writes $ROOT/users: one line per test user, "name subuid|nosub".
set -eu
ROOT=${1:?usage: setup.sh E2E_ROOT}
case "$ROOT" in
    /*/*) ;;
    *) echo "setup.sh: E2E_ROOT must be a folder of its own, like /tmp/hutch-e2e (got '$ROOT')" >&2; exit 1 ;;
esac
mkdir -p "$ROOT"
chmod 0755 "$ROOT"

HERE=$(cd "$(dirname "$0")" && pwd)
mkdir -p "$ROOT/fixtures"

# The Debian+python3 rootfs tar (cached in the building user's cache dir).
python_fixture() { # user-or-empty
    local out="$ROOT/fixtures/debian-python3.tar"
    [ -s "$out" ] && return 0
    if [ -n "${1:-}" ]; then
        chown "$1:" "$ROOT/fixtures"
        runuser -u "$1" -- env HOME="$(getent passwd "$1" | cut -d: -f6)" bash "$HERE/make-python-image.sh" "$out" \
            || echo "warning: could not make the python fixture; the tests that need it will fail" >&2
        chown root: "$ROOT/fixtures"
    else
        bash "$HERE/make-python-image.sh" "$out" \
            || echo "warning: could not make the python fixture; the tests that need it will fail" >&2
    fi
    chmod a+r "$out" 2>/dev/null || true
}

if [ "$(id -u)" != 0 ]; then
    if grep -q "^$(id -un):" /etc/subuid 2>/dev/null; then kind=subuid; else kind=nosub; fi
    echo "$(id -un) $kind" > "$ROOT/users"
    python_fixture ""
    exit 0
fi

make_user() { # name
    id -u "$1" >/dev/null 2>&1 || useradd --create-home --shell /bin/bash "$1"
}
make_user hutch-sub
make_user hutch-nosub
# Ranges chosen well above ordinary uids; replaced, not appended, on reruns.
for f in /etc/subuid /etc/subgid; do
    touch "$f"
    sed -i '/^hutch-sub:/d;/^hutch-nosub:/d' "$f"
    echo "hutch-sub:1000000:65536" >> "$f"
done
for dev in /dev/fuse /dev/net/tun; do
    [ -e "$dev" ] && chmod 0666 "$dev"
done
printf 'hutch-sub subuid\nhutch-nosub nosub\n' > "$ROOT/users"
python_fixture hutch-sub
for u in hutch-sub hutch-nosub; do
    mkdir -p "$ROOT/home-tmp/$u"
    chown "$u:" "$ROOT/home-tmp/$u"
done
