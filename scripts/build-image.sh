#!/usr/bin/env bash
# scripts/build-image.sh - build the deckmod image from the Dockerfile with
# buildah, without a daemon, and optionally push it or save it as an archive.
#
# The image is COPY-only (the static-pie binary, a CA bundle, /tmp), so it
# needs no container runtime at build time: buildah runs with chroot
# isolation and vfs storage (no overlay mounts, no user namespaces), in a
# store of its own (not /var/lib/containers), and timestamps set to 0 so
# that the same binary gives the same image digest.
#
# Usage: scripts/build-image.sh [--bin PATH] [--tag REF] [--push REF] [--archive FILE]
#   --bin PATH      the binary to ship (default: scripts/build-release.sh --pie);
#                   it must be static-pie (checked)
#   --tag REF       the local name (default: localhost/deckmod:<version>)
#   --push REF      push to REF (registry/repo:tag); plain HTTP allowed
#                   (a registry reached without TLS, such as the test one)
#   --archive FILE  also write an OCI archive (oci-archive) of the image
# Prints the image's manifest digest on stdout; progress on stderr.
# Env: DECKMOD_BUILDAH_ROOT (default ~/.cache/deckmod-buildah) holds the
#      store; CA_BUNDLE (default /etc/ssl/certs/ca-certificates.crt).
# Needs: buildah (Debian: apt-get install buildah), readelf (binutils).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"

bin=""
version="$(sed -n 's/^version = "\(.*\)"/\1/p' "$root/Cargo.toml" | head -1)"
tag="localhost/deckmod:$version"
push=""
archive=""
while [ $# -gt 0 ]; do
  case "$1" in
    --bin) bin="$2"; shift 2 ;;
    --tag) tag="$2"; shift 2 ;;
    --push) push="$2"; shift 2 ;;
    --archive) archive="$2"; shift 2 ;;
    *) echo "usage: scripts/build-image.sh [--bin PATH] [--tag REF] [--push REF] [--archive FILE]" >&2; exit 2 ;;
  esac
done
command -v buildah >/dev/null || { echo "build-image.sh: buildah is not installed (Debian: apt-get install buildah)" >&2; exit 1; }
[ -n "$bin" ] || bin="$("$root/scripts/build-release.sh" --pie)"

# Address randomization is required for the long-running operator: refuse a
# position-dependent or dynamically linked binary.
elf_type="$(readelf -h "$bin" | sed -n 's/^ *Type: *\([A-Z]*\).*/\1/p')"
if [ "$elf_type" != DYN ] || readelf -l "$bin" | grep -q 'INTERP' || readelf -d "$bin" | grep -q 'NEEDED'; then
  echo "build-image.sh: $bin is not a static-pie executable (type $elf_type); build it with scripts/build-release.sh --pie" >&2
  exit 1
fi

ctx="$(mktemp -d "${TMPDIR:-/tmp}/deckmod-image.XXXXXX")"
trap 'rm -rf "$ctx"' EXIT
install -m 0555 "$bin" "$ctx/deckmod"
install -m 0444 "${CA_BUNDLE:-/etc/ssl/certs/ca-certificates.crt}" "$ctx/ca-certificates.crt"
mkdir -m 1777 "$ctx/tmp"
cp "$root/Dockerfile" "$root/.dockerignore" "$ctx/"

store="${DECKMOD_BUILDAH_ROOT:-$HOME/.cache/deckmod-buildah}"
b() {
  buildah --storage-driver vfs --root "$store/root" --runroot "$store/run" "$@"
}
b bud --isolation chroot --timestamp 0 --layers=false -f "$ctx/Dockerfile" -t "$tag" "$ctx" >&2
digest_file="$ctx/digest"
if [ -n "$push" ]; then
  b push --tls-verify=false --digestfile "$digest_file" "$tag" "docker://$push" >&2
fi
if [ -n "$archive" ]; then
  rm -f "$archive"
  b push --digestfile "$digest_file" "$tag" "oci-archive:$archive:$tag" >&2
fi
if [ -s "$digest_file" ]; then
  cat "$digest_file"; echo
else
  b inspect --format '{{.FromImageDigest}}' "$tag"
fi
