#!/usr/bin/env bash
# image.sh - container images for the test node, without a public registry.
#
#   image.sh build DIR REF OUT.tar [ENTRYPOINT_JSON [CMD_JSON]]
#       Make an OCI image archive (oci-layout, index.json, blobs) whose only
#       layer is the content of DIR, named REF (e.g. localhost/testenv/app:1).
#       ENTRYPOINT_JSON / CMD_JSON are JSON arrays (default: ["/bin/sh"], none).
#       Deterministic: same DIR, same REF, same archive.
#   image.sh import ENV_FILE ARCHIVE
#       Load the archive into the node's containerd (namespace k8s.io): pods
#       use it by its REF with imagePullPolicy Never or IfNotPresent.
#   image.sh push ENV_FILE ARCHIVE REPO:TAG
#       Push it to the environment's plain-HTTP registry ($REGISTRY), which the
#       node pulls from; prints the reference for pods ($REGISTRY/REPO:TAG).
#       Plain registry API calls with curl: skopeo would leave its blob cache
#       in /var/lib/containers.
# ENV_FILE is the path up.sh printed (with DECKMOD_TE_NODE=1 for import).
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=common.sh
. "$here/common.sh"

usage() { die "usage: image.sh build DIR REF OUT.tar [ENTRYPOINT_JSON [CMD_JSON]] | import ENV_FILE ARCHIVE | push ENV_FILE ARCHIVE REPO:TAG"; }

# The layer is uncompressed, so its digest is also its diff_id: one hash, and
# containerd unpacks it without decompressing.
build() {
  local dir=$1 ref=$2 out=$3 entrypoint=${4:-'["/bin/sh"]'} cmd=${5:-null}
  [ -d "$dir" ] || die "build: $dir is not a directory"
  case "$ref" in
    *[!A-Za-z0-9._/:-]* | "") die "build: '$ref' is not an image reference (name:tag)" ;;
    *:*) ;;
    *) die "build: '$ref' has no tag" ;;
  esac
  local work
  work="$(mktemp -d "${TMPDIR:-/tmp}/kte-image.XXXXXX")"
  mkdir -p "$work/blobs/sha256"
  # blob FILE : move FILE into blobs/ under its digest; prints "DIGEST SIZE"
  blob() {
    local d s
    d="$(sha256sum "$1" | cut -d' ' -f1)"
    s="$(stat -c %s "$1")"
    mv "$1" "$work/blobs/sha256/$d"
    echo "$d $s"
  }
  tar --numeric-owner --owner=0 --group=0 --sort=name --mtime=@0 -C "$dir" -cf "$work/layer" .
  local layer layer_size config config_size manifest manifest_size
  read -r layer layer_size < <(blob "$work/layer")
  printf '{"architecture":"amd64","os":"linux","config":{"Env":["PATH=/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin"],"Entrypoint":%s,"Cmd":%s,"WorkingDir":"/"},"rootfs":{"type":"layers","diff_ids":["sha256:%s"]},"history":[{"created_by":"testenv/image.sh"}]}' \
    "$entrypoint" "$cmd" "$layer" >"$work/config"
  read -r config config_size < <(blob "$work/config")
  printf '{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"sha256:%s","size":%s},"layers":[{"mediaType":"application/vnd.oci.image.layer.v1.tar","digest":"sha256:%s","size":%s}]}' \
    "$config" "$config_size" "$layer" "$layer_size" >"$work/manifest"
  read -r manifest manifest_size < <(blob "$work/manifest")
  printf '{"imageLayoutVersion":"1.0.0"}' >"$work/oci-layout"
  # io.containerd.image.name: the name `ctr images import` gives the image.
  printf '{"schemaVersion":2,"manifests":[{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"sha256:%s","size":%s,"platform":{"architecture":"amd64","os":"linux"},"annotations":{"io.containerd.image.name":"%s","org.opencontainers.image.ref.name":"%s"}}]}' \
    "$manifest" "$manifest_size" "$ref" "${ref##*:}" >"$work/index.json"
  tar --numeric-owner --owner=0 --group=0 --sort=name --mtime=@0 -C "$work" -cf "$out.tmp" oci-layout index.json blobs
  mv "$out.tmp" "$out"
  rm -rf "$work"
  log "image $ref: $out (manifest sha256:$manifest)"
}

# push ARCHIVE REPO:TAG : upload the blobs of an archive made by build(), then
# its manifest (distribution API: monolithic uploads, one image per archive).
push() {
  local archive=$1 repo=${2%:*} tag=${2##*:} work manifest blob location in_env
  # The registry listens on the loopback of the environment's namespace.
  in_env="${DECKMOD_TE_NETNS:+ip netns exec $DECKMOD_TE_NETNS}"
  case "$2" in *:*) ;; *) die "push: '$2' has no tag" ;; esac
  work="$(mktemp -d "${TMPDIR:-/tmp}/kte-push.XXXXXX")"
  tar -xf "$archive" -C "$work"
  manifest="$(sed -n 's/.*"digest":"sha256:\([0-9a-f]*\)".*/\1/p' "$work/index.json")"
  [ -f "$work/blobs/sha256/$manifest" ] || die "push: $archive is not an archive made by image.sh build"
  for blob in "$work"/blobs/sha256/*; do
    [ "${blob##*/}" = "$manifest" ] && continue
    # 202 Accepted, Location: where the blob goes (absolute or from the root)
    location="$($in_env curl -sSf -X POST -D - -o /dev/null "http://$REGISTRY/v2/$repo/blobs/uploads/" |
      tr -d '\r' | sed -n 's/^[Ll]ocation: *//p')" || die "push: $REGISTRY refused an upload"
    [ -n "$location" ] || die "push: $REGISTRY gave no upload location"
    case "$location" in /*) location="http://$REGISTRY$location" ;; esac
    case "$location" in *\?*) location="$location&" ;; *) location="$location?" ;; esac
    $in_env curl -sSf -X PUT -o /dev/null -H 'Content-Type: application/octet-stream' \
      --data-binary "@$blob" "${location}digest=sha256:${blob##*/}" || die "push: blob ${blob##*/} refused"
  done
  $in_env curl -sSf -X PUT -o /dev/null -H 'Content-Type: application/vnd.oci.image.manifest.v1+json' \
    --data-binary "@$work/blobs/sha256/$manifest" "http://$REGISTRY/v2/$repo/manifests/$tag" ||
    die "push: manifest refused"
  rm -rf "$work"
}

# load_env ENV_FILE : source the environment up.sh wrote.
load_env() {
  [ -f "$1" ] || die "$1: no such env file (the path up.sh printed)"
  # shellcheck disable=SC1090
  . "$1"
}

cmd="${1:-}"
[ $# -gt 0 ] && shift
case "$cmd" in
  build)
    if [ $# -lt 3 ] || [ $# -gt 5 ]; then usage; fi
    build "$@"
    ;;
  import)
    [ $# -eq 2 ] || usage
    load_env "$1"
    [ -n "${CONTAINERD_ADDRESS:-}" ] || die "$1 has no node (start it with DECKMOD_TE_NODE=1)"
    "$DECKMOD_TE_BIN_DIR/ctr" --address "$CONTAINERD_ADDRESS" -n k8s.io images import "$2" >&2
    ;;
  push)
    [ $# -eq 3 ] || usage
    load_env "$1"
    [ -n "${REGISTRY:-}" ] || die "$1 has no registry (started with DECKMOD_TE_NO_REGISTRY=1)"
    push "$2" "$3"
    echo "$REGISTRY/$3"
    ;;
  *) usage ;;
esac
