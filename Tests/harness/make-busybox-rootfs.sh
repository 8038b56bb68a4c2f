#!/bin/sh
# Makes a tiny root filesystem from Debian's busybox-static in DIR, owned by
# whoever runs it: /bin/busybox, its applet links, /etc/passwd and /etc/group.
set -eu
DIR=${1:?usage: make-busybox-rootfs.sh DIR}
BUSYBOX=/bin/busybox
[ -x "$BUSYBOX" ] || { echo "missing $BUSYBOX: install Debian's busybox-static" >&2; exit 1; }
mkdir -p "$DIR/bin" "$DIR/sbin" "$DIR/usr/bin" "$DIR/usr/sbin" "$DIR/etc" "$DIR/tmp" \
         "$DIR/proc" "$DIR/sys" "$DIR/dev" "$DIR/root" "$DIR/home" "$DIR/var/www"
chmod 1777 "$DIR/tmp"
cp "$BUSYBOX" "$DIR/bin/busybox"
for applet in $("$BUSYBOX" --list-full); do
    [ -e "$DIR/$applet" ] || ln -s /bin/busybox "$DIR/$applet"
done
cat > "$DIR/etc/passwd" <<'P'
root:x:0:0:root:/root:/bin/sh
daemon:x:1:1:daemon:/usr/sbin:/bin/false
www-data:x:33:33:www-data:/var/www:/bin/false
student:x:1000:1000:student:/home/student:/bin/sh
nobody:x:65534:65534:nobody:/nonexistent:/bin/false
P
cat > "$DIR/etc/group" <<'G'
root:x:0:
daemon:x:1:
www-data:x:33:
student:x:1000:
nogroup:x:65534:
G
