#!/bin/bash
# Makes an OCI image layout in OUT (for `skopeo copy oci:OUT docker://...`)
# from ROOTFS folders (or rootfs .tar files, used as they are), one gzip
# layer each, base first:
#   make-oci-image.sh OUT ROOTFS [ROOTFS...]
# The image's config runs /bin/sh, for linux/amd64 (the host's platform).
set -euo pipefail
OUT=${1:?usage: make-oci-image.sh OUT ROOTFS [ROOTFS...]}
shift
[ $# -ge 1 ] || { echo "usage: make-oci-image.sh OUT ROOTFS [ROOTFS...]" >&2; exit 2; }
mkdir -p "$OUT/blobs/sha256"
arch=$(dpkg --print-architecture 2>/dev/null || echo amd64)
layers="" diffids=""
for rootfs in "$@"; do
    tmp="$OUT/layer.tmp"
    if [ -f "$rootfs" ]; then
        cp "$rootfs" "$tmp"
    else
        # Fixed mtimes and owner, sorted names: the same folder gives the same digest.
        tar --sort=name --mtime=@0 --owner=0 --group=0 --numeric-owner -C "$rootfs" -cf "$tmp" .
    fi
    diffid=$(sha256sum "$tmp" | cut -d' ' -f1)
    gzip -n -1 -c "$tmp" > "$tmp.gz"
    rm -f "$tmp"
    digest=$(sha256sum "$tmp.gz" | cut -d' ' -f1)
    size=$(stat -c %s "$tmp.gz")
    mv "$tmp.gz" "$OUT/blobs/sha256/$digest"
    layers="$layers${layers:+,}{\"mediaType\":\"application/vnd.oci.image.layer.v1.tar+gzip\",\"digest\":\"sha256:$digest\",\"size\":$size}"
    diffids="$diffids${diffids:+,}\"sha256:$diffid\""
done
config="{\"architecture\":\"$arch\",\"os\":\"linux\",\"created\":\"2024-01-01T00:00:00Z\",\"config\":{\"Env\":[\"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin\"],\"Cmd\":[\"/bin/sh\"]},\"rootfs\":{\"type\":\"layers\",\"diff_ids\":[$diffids]},\"history\":[{\"created\":\"2024-01-01T00:00:00Z\",\"created_by\":\"make-oci-image.sh\"}]}"
printf '%s' "$config" > "$OUT/config.tmp"
cdigest=$(sha256sum "$OUT/config.tmp" | cut -d' ' -f1)
csize=$(stat -c %s "$OUT/config.tmp")
mv "$OUT/config.tmp" "$OUT/blobs/sha256/$cdigest"
manifest="{\"schemaVersion\":2,\"mediaType\":\"application/vnd.oci.image.manifest.v1+json\",\"config\":{\"mediaType\":\"application/vnd.oci.image.config.v1+json\",\"digest\":\"sha256:$cdigest\",\"size\":$csize},\"layers\":[$layers]}"
printf '%s' "$manifest" > "$OUT/manifest.tmp"
mdigest=$(sha256sum "$OUT/manifest.tmp" | cut -d' ' -f1)
msize=$(stat -c %s "$OUT/manifest.tmp")
mv "$OUT/manifest.tmp" "$OUT/blobs/sha256/$mdigest"
printf '{"imageLayoutVersion":"1.0.0"}' > "$OUT/oci-layout"
printf '{"schemaVersion":2,"manifests":[{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"sha256:%s","size":%s,"platform":{"architecture":"%s","os":"linux"}}]}' \
    "$mdigest" "$msize" "$arch" > "$OUT/index.json"
echo "sha256:$mdigest"
