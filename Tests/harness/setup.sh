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
mkdir -p "$ROOT"
chmod 0755 "$ROOT"

if [ "$(id -u)" != 0 ]; then
    if grep -q "^$(id -un):" /etc/subuid 2>/dev/null; then kind=subuid; else kind=nosub; fi
    echo "$(id -un) $kind" > "$ROOT/users"
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
for u in hutch-sub hutch-nosub; do
    mkdir -p "$ROOT/home-tmp/$u"
    chown "$u:" "$ROOT/home-tmp/$u"
done
