#!/bin/bash
# Installs the Debian packages named on the command line when run as root;
# otherwise names, one line each, those that are missing, for the admin.
set -u
missing=()
for p in "$@"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0
if [ "$(id -u)" = 0 ]; then
    echo "installing Debian packages: ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq >/dev/null && apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null \
        || { echo "Error: apt-get could not install: ${missing[*]}" >&2; exit 1; }
    exit 0
fi
for p in "${missing[@]}"; do
    echo "Error: the Debian package $p is missing: ask your admin to run \`apt-get install $p\`" >&2
done
exit 1
