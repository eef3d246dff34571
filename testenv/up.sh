#!/usr/bin/env bash
# up.sh - start a throw-away test environment on loopback (127.0.0.1 only):
#   etcd            -> storage for the API server (plain HTTP, loopback)
#   kube-apiserver  -> real Kubernetes API (HTTPS, client-cert + token auth, RBAC)
#   docker-registry -> OCI registry, plain HTTP, no auth          ($REGISTRY)
#   docker-registry -> OCI registry, HTTPS + htpasswd basic auth  ($REGISTRY_TLS)
# No kubelet, scheduler or controller-manager run: objects are stored and
# served, but no pods run, no garbage collection and no namespace finalization.
#
# With DECKMOD_TE_NODE=1 (root only; install.sh run with DECKMOD_TE_NODE=1) it is a
# one-node cluster whose pods really run:
#   kube-controller-manager, kube-scheduler  (no serving ports, no leader election)
#   containerd + runc, the bridge CNI plugin (pods on 10.88.0.0/16)
#   kubelet (node "testenv-node"), kube-proxy (iptables mode, ClusterIP Services)
# and the whole stack, etcd and registries included, runs in a network
# namespace of its own ($DECKMOD_TE_NETNS, linked to nothing): its loopback, and
# the node address 10.88.0.1 on the pods' bridge inside it. Nothing listens or
# sends outside loopback in the machine's namespace. Clients run inside it:
#   ip netns exec "$DECKMOD_TE_NETNS" kubectl get pods
# Preloaded images: localhost/testenv/busybox:1 (static busybox) and the
# sandbox image localhost/testenv/pause:1; image.sh makes and loads others.
# Machine-wide state it touches, restored by down.sh: the kernel settings the
# kubelet changes (vm.overcommit_memory, vm.panic_on_oom, kernel.panic,
# kernel.panic_on_oops, kernel.keys.root_max*); fixed paths in these versions:
# /var/log/pods, /var/log/containers, /var/lib/kubelet/device-plugins,
# /var/lib/cni (CNI results), /run/containerd/s (the shims' sockets),
# /run/netns; one cgroup per hierarchy. One node per machine at a time (a
# second up.sh waits up to DECKMOD_TE_NODE_WAIT seconds, default 600).
#
# Everything lives in one run directory (a new mktemp dir under /tmp unless
# DECKMOD_TE_RUN_DIR is set). Ports are picked free at start. When all components
# answer, up.sh writes $RUN_DIR/env (shell "export" lines) and prints its path
# as the only line on stdout, so callers can do:  . "$(./up.sh)"
# Stop with:  ./down.sh "$RUN_DIR"   (or DECKMOD_TE_RUN_DIR=... ./down.sh)
#
# Idempotent: with DECKMOD_TE_RUN_DIR pointing at a run that is still up, it just
# prints the env file again. Knobs:
#   DECKMOD_TE_CACHE_DIR / DECKMOD_TE_BIN_DIR   where install.sh put the binaries
#   DECKMOD_TE_RUN_DIR                   run directory to use (created if missing)
#   DECKMOD_TE_ETCD_ON_TMPFS=0           keep etcd data in the run dir instead of /dev/shm
#   DECKMOD_TE_APISERVER_ARGS            extra kube-apiserver flags (space separated)
#   DECKMOD_TE_NO_REGISTRY=1             do not start the registries
#   DECKMOD_TE_TIMEOUT                   seconds to wait for each component (default 120)
#   DECKMOD_TE_NODE=1                    also run a node (see above)
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=common.sh
. "$here/common.sh"

DECKMOD_TE_TIMEOUT="${DECKMOD_TE_TIMEOUT:-120}"
DECKMOD_TE_NODE="${DECKMOD_TE_NODE:-0}"
# docker-registry reads REGISTRY_* variables as configuration: those of an env
# file sourced in the calling shell would break its start.
unset "${!REGISTRY@}"
t_start=$(date +%s%N)

for b in kube-apiserver etcd docker-registry kubectl; do
  [ -x "$DECKMOD_TE_BIN_DIR/$b" ] || die "$DECKMOD_TE_BIN_DIR/$b missing: run install.sh first"
done
for c in openssl curl htpasswd; do
  command -v "$c" >/dev/null 2>&1 || die "$c missing: run install.sh first"
done
if [ "$DECKMOD_TE_NODE" = 1 ]; then
  [ "$(id -u)" -eq 0 ] || die "DECKMOD_TE_NODE=1 needs root (network namespace, mounts, cgroups)"
  for b in "${DECKMOD_TE_NODE_K8S_BINS[@]}" "${DECKMOD_TE_NODE_PKG_BINS[@]}"; do
    [ -x "$DECKMOD_TE_BIN_DIR/$b" ] || die "$DECKMOD_TE_BIN_DIR/$b missing: run DECKMOD_TE_NODE=1 install.sh first"
  done
  for i in busybox pause; do
    [ -f "$DECKMOD_TE_IMAGE_DIR/$i.tar" ] || die "$DECKMOD_TE_IMAGE_DIR/$i.tar missing: run DECKMOD_TE_NODE=1 install.sh first"
  done
  for c in ip nsenter iptables; do
    command -v "$c" >/dev/null 2>&1 || die "$c missing: run DECKMOD_TE_NODE=1 install.sh first"
  done
fi

# ---------------------------------------------------------------------------
# Run directory (reuse a live one when asked to).
# ---------------------------------------------------------------------------
if [ -n "${DECKMOD_TE_RUN_DIR:-}" ]; then
  RUN="$DECKMOD_TE_RUN_DIR"
  if [ -f "$RUN/env" ] && [ -d "$RUN/pids" ]; then
    alive=1
    for p in "$RUN"/pids/*.pid; do
      [ -e "$p" ] && run_owns "$(cd "$RUN" && pwd)" "$(cat "$p")" || alive=0
    done
    if [ "$alive" = 1 ]; then
      log "already up: $RUN"
      echo "$RUN/env"
      exit 0
    fi
    log "stale run in $RUN: stopping leftovers and starting again"
    "$here/down.sh" "$RUN" || true
  fi
  mkdir -p "$RUN"
else
  RUN="$(mktemp -d "${TMPDIR:-/tmp}/deckmod-testenv.XXXXXX")"
fi
RUN="$(cd "$RUN" && pwd)"
mkdir -p "$RUN/pids" "$RUN/logs" "$RUN/pki"
log "run dir: $RUN"

# On any failure (error or die): show what happened and stop whatever was
# already started, so a failed start leaves nothing running.
up_ok=0
# the caller's stderr: a signal may run the trap inside a quietened probe
exec 9>&2
on_exit() {
  local rc=$?
  [ "$up_ok" = 1 ] && return
  exec 2>&9
  log "startup failed (exit $rc); last log lines:"
  for f in "$RUN"/logs/*.log; do
    [ -e "$f" ] && { echo "--- $f" >&2; tail -n 15 "$f" >&2; }
  done
  DECKMOD_TE_KEEP_RUN_DIR=1 "$here/down.sh" "$RUN" || true
  log "logs kept in $RUN/logs"
}
trap on_exit EXIT
# a signal ends the shell without its EXIT trap unless it is turned into an exit
trap 'exit 130' INT
trap 'exit 143' TERM

# ---------------------------------------------------------------------------
# Node mode: first the machine-wide state the node touches is recorded in
# $RUN/node (down.sh undoes exactly what is recorded there, also after a
# failed start), then the network namespace everything below runs in.
# `ns` prefixes each command that must run inside it; it is empty on loopback.
# ---------------------------------------------------------------------------
ns=()
NODE_NAME=testenv-node
NODE_IP=10.88.0.1        # the kubelet refuses a loopback node address
POD_CIDR=10.88.0.0/16
if [ "$DECKMOD_TE_NODE" = 1 ]; then
  node="$RUN/node"
  mkdir -p "$node/paths"
  deadline=$(( $(date +%s) + ${DECKMOD_TE_NODE_WAIT:-600} ))
  until mkdir "$DECKMOD_TE_NODE_LOCK" 2>/dev/null; do
    owner="$(cat "$DECKMOD_TE_NODE_LOCK/owner" 2>/dev/null || true)"
    if [ -n "$owner" ] && [ ! -d "$owner" ]; then
      log "node lock: its owner $owner is gone, taking it over"
      rm -rf "$DECKMOD_TE_NODE_LOCK"
      continue
    fi
    [ "$(date +%s)" -lt "$deadline" ] ||
      die "another node runs (${owner:-starting}); stop it with down.sh $owner"
    [ -n "${lock_waiting:-}" ] || log "another node runs (${owner:-starting}): waiting for it to stop"
    lock_waiting=1
    sleep 1
  done
  echo "$RUN" >"$DECKMOD_TE_NODE_LOCK/owner"
  echo "$DECKMOD_TE_NODE_LOCK" >"$node/lock"

  # The kernel settings the kubelet sets at start (vm.*, kernel.*: not per
  # namespace), written back by down.sh.
  sysctl -e vm.overcommit_memory vm.panic_on_oom kernel.panic kernel.panic_on_oops \
    kernel.keys.root_maxkeys kernel.keys.root_maxbytes >"$node/sysctl"
  # Directories the node writes to outside the run dir, none configurable in
  # these versions (the kubelet's pod logs and device-plugins socket, the CNI
  # results cache, the shims' sockets, the namespaces' files): down.sh removes
  # the new ones, and from the others the entries that were not there before.
  for d in /var/log/pods /var/log/containers /var/lib/kubelet /var/lib/cni /run/containerd /run/netns; do
    f="$node/paths/$(printf '%s' "$d" | tr / _)"
    if [ -d "$d" ]; then
      { echo "$d"; ls -A "$d"; } >"$f.existing"
    else
      echo "$d" >"$f.new"
    fi
  done
  # `ip netns add` turns /run/netns into a mount point; down.sh unmounts it
  # when it was none before.
  mountpoint -q /run/netns 2>/dev/null || touch "$node/netns-dir-unmounted"

  id="$(openssl rand -hex 4)"
  # The pods' cgroups: below one cgroup of this run in every hierarchy (the
  # kubelet's cgroupRoot), so down.sh removes exactly these.
  echo "/deckmod-te-$id" >"$node/cgroup"
  for h in $(cgroup_hierarchies); do
    mkdir "$h/deckmod-te-$id"
    # a new cpuset cgroup has no CPUs and no memory nodes until given some
    if [ -e "$h/cpuset.cpus" ]; then
      cat "$h/cpuset.cpus" >"$h/deckmod-te-$id/cpuset.cpus"
      cat "$h/cpuset.mems" >"$h/deckmod-te-$id/cpuset.mems"
    fi
  done

  NETNS="deckmod-te-$id"
  echo "$NETNS" >"$node/netns"
  ip netns add "$NETNS"
  ns=(nsenter "--net=/run/netns/$NETNS" --)
  # The node address lives on the pods' bridge (the bridge plugin takes the
  # existing one); nothing links this namespace to the machine's.
  "${ns[@]}" ip link set lo up
  "${ns[@]}" ip link add cni0 type bridge
  "${ns[@]}" ip addr add "$NODE_IP/16" dev cni0
  "${ns[@]}" ip link set cni0 up
  log "network namespace $NETNS: loopback and $NODE_IP (cni0)"
fi

# ---------------------------------------------------------------------------
# Free loopback ports: let the kernel choose (bind to port 0), never reusing
# one already chosen in this run.
# ---------------------------------------------------------------------------
chosen=" "
free_port() {
  local p
  for _ in $(seq 1 50); do
    if command -v python3 >/dev/null 2>&1; then
      p=$("${ns[@]}" python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()')
    else
      p=$(( 20000 + RANDOM % 40000 ))
      # something answers there: taken
      "${ns[@]}" bash -c "exec 3<>/dev/tcp/127.0.0.1/$p" 2>/dev/null && continue
    fi
    case "$chosen" in *" $p "*) continue ;; esac
    chosen="$chosen$p "
    echo "$p"
    return 0
  done
  die "no free port found"
}
ETCD_PORT=$(free_port)
ETCD_PEER_PORT=$(free_port)
API_PORT=$(free_port)
REG_PORT=$(free_port)
REG_TLS_PORT=$(free_port)
if [ "$DECKMOD_TE_NODE" = 1 ]; then
  KUBELET_PORT=$(free_port)
  KUBELET_HEALTHZ_PORT=$(free_port)
  PROXY_HEALTHZ_PORT=$(free_port)
  PROXY_METRICS_PORT=$(free_port)
fi

# ---------------------------------------------------------------------------
# PKI: one CA signing the serving certificate (API server and TLS registry),
# an admin client certificate (group system:masters), the service-account
# signing key, and a static admin token. ECDSA P-256 keys: instant to make.
# ---------------------------------------------------------------------------
pki="$RUN/pki"
ec_key() { openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$1" 2>/dev/null; }
ec_key "$pki/ca.key"
openssl req -x509 -new -key "$pki/ca.key" -out "$pki/ca.crt" -days 3650 -subj "/CN=deckmod-testenv-ca" \
  -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign" 2>/dev/null
# sign NAME SUBJECT EXTENSIONS : key + CSR + certificate signed by the CA
sign() {
  ec_key "$pki/$1.key"
  openssl req -new -key "$pki/$1.key" -out "$pki/$1.csr" -subj "$2" 2>/dev/null
  printf '%b' "$3" >"$pki/$1.ext"
  openssl x509 -req -in "$pki/$1.csr" -CA "$pki/ca.crt" -CAkey "$pki/ca.key" -CAcreateserial \
    -out "$pki/$1.crt" -days 3650 -extfile "$pki/$1.ext" 2>/dev/null
  rm -f "$pki/$1.csr"
}
node_san=""
[ "$DECKMOD_TE_NODE" = 1 ] && node_san=",IP:$NODE_IP"
sign server "/CN=127.0.0.1" \
  "basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature,keyEncipherment\nextendedKeyUsage=serverAuth\nsubjectAltName=IP:127.0.0.1,DNS:localhost,DNS:kubernetes,DNS:kubernetes.default,DNS:kubernetes.default.svc,DNS:kubernetes.default.svc.cluster.local,IP:10.0.0.1$node_san\n"
sign admin "/O=system:masters/CN=testenv-admin" \
  "basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature,keyEncipherment\nextendedKeyUsage=clientAuth\n"
# the kubelet's identity, as the Node authorizer expects it
[ "$DECKMOD_TE_NODE" = 1 ] && sign kubelet "/O=system:nodes/CN=system:node:$NODE_NAME" \
  "basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature,keyEncipherment\nextendedKeyUsage=clientAuth\n"
ec_key "$pki/sa.key"
openssl pkey -in "$pki/sa.key" -pubout -out "$pki/sa.pub" 2>/dev/null
TOKEN="$(openssl rand -hex 24)"
# token,user,uid,"group1,group2"
printf '%s,testenv-admin,testenv-admin,"system:masters"\n' "$TOKEN" >"$pki/tokens.csv"
chmod 600 "$pki"/*.key "$pki/tokens.csv"

# ---------------------------------------------------------------------------
# start NAME CMD... : run CMD detached (setsid, logs in logs/NAME.log, in the
# node's network namespace if any), record its PID in pids/NAME.pid.
# The process carries DECKMOD_TE_RUN_DIR in its
# environment so that down.sh can check a PID still belongs to this run.
# ---------------------------------------------------------------------------
start() {
  local name=$1 pidf="$RUN/pids/$1.pid"
  shift
  # the inner shell writes its own PID, then becomes the command (exec)
  # shellcheck disable=SC2016
  DECKMOD_TE_RUN_DIR="$RUN" setsid "${ns[@]}" bash -c 'echo $$ >"$0"; exec "$@"' "$pidf" "$@" \
    >"$RUN/logs/$name.log" 2>&1 </dev/null 9>&- &
  for _ in $(seq 1 100); do [ -s "$pidf" ] && break; sleep 0.02; done
  [ -s "$pidf" ] || die "$name did not start"
}

# wait_for NAME CMD... : poll CMD until it succeeds, the process dies, or timeout.
wait_for() {
  local name=$1 deadline=$(( $(date +%s) + DECKMOD_TE_TIMEOUT ))
  shift
  until "$@" >/dev/null 2>&1; do
    kill -0 "$(cat "$RUN/pids/$name.pid")" 2>/dev/null || die "$name exited (see $RUN/logs/$name.log)"
    [ "$(date +%s)" -lt "$deadline" ] || die "$name not ready after ${DECKMOD_TE_TIMEOUT}s"
    sleep 0.1
  done
}
ms_since() { echo $(( ($(date +%s%N) - $1) / 1000000 )); }

# ---------------------------------------------------------------------------
# Node mode: containerd first, so that it comes up while etcd and the API
# server do. Its state, sockets and the pods' CNI network are in $RUN/node;
# only the shims' sockets go to /run/containerd/s (fixed in containerd 1.6).
# ---------------------------------------------------------------------------
if [ "$DECKMOD_TE_NODE" = 1 ]; then
  CONTAINERD_SOCK="$node/containerd/containerd.sock"
  mkdir -p "$node/containerd" "$node/net.d" "$node/cni" "$node/certs.d/127.0.0.1:$REG_PORT" \
    "$node/certs.d/127.0.0.1:$REG_TLS_PORT"
  cat >"$node/containerd.toml" <<EOF
version = 2
root = "$node/containerd/root"
state = "$node/containerd/state"
# "opt" would create /opt/containerd; the others are snapshotters never used.
disabled_plugins = ["io.containerd.internal.v1.opt", "io.containerd.snapshotter.v1.aufs",
  "io.containerd.snapshotter.v1.btrfs", "io.containerd.snapshotter.v1.devmapper",
  "io.containerd.snapshotter.v1.zfs"]
[grpc]
  address = "$CONTAINERD_SOCK"
[ttrpc]
  address = "$CONTAINERD_SOCK.ttrpc"
[metrics]
  address = ""
[plugins."io.containerd.grpc.v1.cri"]
  sandbox_image = "$DECKMOD_TE_PAUSE_IMAGE"
  stream_server_address = "127.0.0.1"
  stream_server_port = "0"
  enable_selinux = false
  # Without CAP_SYS_RESOURCE (missing on these machines) runc cannot lower
  # oom_score_adj, and every sandbox fails ("can't get final child's PID from
  # pipe: EOF"): keep each container's at least containerd's own.
  restrict_oom_score_adj = true
  [plugins."io.containerd.grpc.v1.cri".containerd]
    snapshotter = "overlayfs"
    default_runtime_name = "runc"
    [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]
      runtime_type = "io.containerd.runc.v2"
      [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc.options]
        BinaryName = "$DECKMOD_TE_BIN_DIR/runc"
        Root = "$node/runc"
        SystemdCgroup = false
  [plugins."io.containerd.grpc.v1.cri".cni]
    bin_dir = "$DECKMOD_TE_BIN_DIR/cni"
    conf_dir = "$node/net.d"
    max_conf_num = 1
  # one directory per registry host, read at each pull
  [plugins."io.containerd.grpc.v1.cri".registry]
    config_path = "$node/certs.d"
EOF
  cat >"$node/certs.d/127.0.0.1:$REG_PORT/hosts.toml" <<EOF
server = "http://127.0.0.1:$REG_PORT"
[host."http://127.0.0.1:$REG_PORT"]
  capabilities = ["pull", "resolve"]
EOF
  cat >"$node/certs.d/127.0.0.1:$REG_TLS_PORT/hosts.toml" <<EOF
server = "https://127.0.0.1:$REG_TLS_PORT"
[host."https://127.0.0.1:$REG_TLS_PORT"]
  capabilities = ["pull", "resolve"]
  ca = "$pki/ca.crt"
EOF
  # Pods on the bridge that holds the node address; no masquerading (there is
  # nowhere to go), addresses from the run's own IPAM directory.
  cat >"$node/net.d/10-testenv.conflist" <<EOF
{"cniVersion": "0.4.0", "name": "testenv", "plugins": [
  {"type": "bridge", "bridge": "cni0", "isGateway": true, "ipMasq": false, "hairpinMode": true,
   "ipam": {"type": "host-local", "dataDir": "$node/cni",
            "ranges": [[{"subnet": "$POD_CIDR", "rangeStart": "10.88.1.1", "rangeEnd": "10.88.255.254", "gateway": "$NODE_IP"}]],
            "routes": [{"dst": "0.0.0.0/0"}]}},
  {"type": "portmap", "capabilities": {"portMappings": true}}]}
EOF
  t_containerd=$(date +%s%N)
  # containerd finds its shim (containerd-shim-runc-v2) on PATH
  PATH="$DECKMOD_TE_BIN_DIR:$PATH" start containerd "$DECKMOD_TE_BIN_DIR/containerd" --config "$node/containerd.toml"
fi

# ---------------------------------------------------------------------------
# etcd: single member, loopback only. Data on tmpfs when available (fsync on
# a real disk dominates API write latency; etcd 3.4 has no --unsafe-no-fsync).
# ---------------------------------------------------------------------------
if [ "${DECKMOD_TE_ETCD_ON_TMPFS:-1}" = 1 ] && [ -d /dev/shm ] && [ -w /dev/shm ]; then
  ETCD_DATA="$(mktemp -d /dev/shm/deckmod-testenv-etcd.XXXXXX)"
else
  ETCD_DATA="$RUN/etcd-data"
  mkdir -p "$ETCD_DATA"
fi
echo "$ETCD_DATA" >"$RUN/etcd-data-dir"
t0=$(date +%s%N)
start etcd "$DECKMOD_TE_BIN_DIR/etcd" \
  --name=testenv \
  --data-dir="$ETCD_DATA" \
  --listen-client-urls="http://127.0.0.1:$ETCD_PORT" \
  --advertise-client-urls="http://127.0.0.1:$ETCD_PORT" \
  --listen-peer-urls="http://127.0.0.1:$ETCD_PEER_PORT" \
  --initial-advertise-peer-urls="http://127.0.0.1:$ETCD_PEER_PORT" \
  --initial-cluster="testenv=http://127.0.0.1:$ETCD_PEER_PORT" \
  --logger=zap --log-level=warn \
  --quota-backend-bytes=$(( 2 * 1024 * 1024 * 1024 ))
wait_for etcd "${ns[@]}" curl -sf "http://127.0.0.1:$ETCD_PORT/health"
log "etcd ready on 127.0.0.1:$ETCD_PORT in $(ms_since "$t0") ms"

# ---------------------------------------------------------------------------
# kube-apiserver (v1.20 flags). Notes:
#  - service-account issuer + signing key are mandatory since 1.20;
#  - --insecure-port=0 disables the old plain-HTTP port (8080) entirely;
#  - --endpoint-reconciler-type=none: the "kubernetes" Service endpoints may
#    not point at a loopback address, so the reconciler would only log errors;
#  - ServiceAccount admission is off: no controller-manager creates the
#    "default" service account, which would make every Pod create fail.
# With the node, the API server listens in the namespace on every address, so
# pods reach it at $NODE_IP and through the "kubernetes" Service (its
# endpoints reconciled to $NODE_IP); the controller-manager creates service
# accounts and their tokens; the kubelet is authorized as a node.
# ---------------------------------------------------------------------------
if [ "$DECKMOD_TE_NODE" = 1 ]; then
  # shellcheck disable=SC2054 # Node,RBAC is one flag's value
  api_mode_args=(--bind-address=0.0.0.0 --advertise-address="$NODE_IP"
    --authorization-mode=Node,RBAC
    --kubelet-client-certificate="$pki/admin.crt" --kubelet-client-key="$pki/admin.key"
    --kubelet-preferred-address-types=InternalIP)
else
  api_mode_args=(--bind-address=127.0.0.1 --advertise-address=127.0.0.1
    --authorization-mode=RBAC
    --endpoint-reconciler-type=none
    --disable-admission-plugins=ServiceAccount)
fi
t0=$(date +%s%N)
# shellcheck disable=SC2086
start kube-apiserver "$DECKMOD_TE_BIN_DIR/kube-apiserver" \
  --etcd-servers="http://127.0.0.1:$ETCD_PORT" \
  "${api_mode_args[@]}" \
  --secure-port="$API_PORT" \
  --insecure-port=0 \
  --cert-dir="$pki" \
  --tls-cert-file="$pki/server.crt" \
  --tls-private-key-file="$pki/server.key" \
  --client-ca-file="$pki/ca.crt" \
  --token-auth-file="$pki/tokens.csv" \
  --service-account-issuer=https://kubernetes.default.svc.cluster.local \
  --service-account-key-file="$pki/sa.pub" \
  --service-account-signing-key-file="$pki/sa.key" \
  --service-cluster-ip-range=10.0.0.0/24 \
  --allow-privileged=true \
  --profiling=false \
  ${DECKMOD_TE_APISERVER_ARGS:-}
api_ready() {
  [ "$("${ns[@]}" curl -s --cacert "$pki/ca.crt" -H "Authorization: Bearer $TOKEN" \
    "https://127.0.0.1:$API_PORT/readyz")" = ok ]
}
wait_for kube-apiserver api_ready
log "kube-apiserver ready on https://127.0.0.1:$API_PORT in $(ms_since "$t0") ms"

# kubeconfig with everything embedded (no file references), admin via client cert.
b64() { base64 -w0 <"$1"; }
cat >"$RUN/kubeconfig" <<EOF
apiVersion: v1
kind: Config
clusters:
- name: testenv
  cluster:
    server: https://127.0.0.1:$API_PORT
    certificate-authority-data: $(b64 "$pki/ca.crt")
users:
- name: testenv-admin
  user:
    client-certificate-data: $(b64 "$pki/admin.crt")
    client-key-data: $(b64 "$pki/admin.key")
- name: testenv-admin-token
  user:
    token: $TOKEN
contexts:
- name: testenv
  context: {cluster: testenv, user: testenv-admin, namespace: default}
- name: testenv-token
  context: {cluster: testenv, user: testenv-admin-token, namespace: default}
current-context: testenv
EOF
chmod 600 "$RUN/kubeconfig"

# ---------------------------------------------------------------------------
# OCI registries (distribution v2), filesystem storage in the run dir.
# ---------------------------------------------------------------------------
REG_USER=testenv
REG_PASS="$(openssl rand -hex 12)"
if [ "${DECKMOD_TE_NO_REGISTRY:-0}" != 1 ]; then
  t0=$(date +%s%N)
  mkdir -p "$RUN/registry/data" "$RUN/registry/data-tls" "$RUN/registry/certs"
  htpasswd -Bbn "$REG_USER" "$REG_PASS" >"$RUN/registry/htpasswd" 2>/dev/null
  cat >"$RUN/registry/config.yml" <<EOF
version: 0.1
log: {level: warn, accesslog: {disabled: true}}
storage:
  filesystem: {rootdirectory: $RUN/registry/data}
  delete: {enabled: true}
http:
  addr: 127.0.0.1:$REG_PORT
EOF
  cat >"$RUN/registry/config-tls.yml" <<EOF
version: 0.1
log: {level: warn, accesslog: {disabled: true}}
storage:
  filesystem: {rootdirectory: $RUN/registry/data-tls}
  delete: {enabled: true}
http:
  addr: 127.0.0.1:$REG_TLS_PORT
  tls: {certificate: $pki/server.crt, key: $pki/server.key}
auth:
  htpasswd: {realm: deckmod-testenv, path: $RUN/registry/htpasswd}
EOF
  start registry "$DECKMOD_TE_BIN_DIR/docker-registry" serve "$RUN/registry/config.yml"
  start registry-tls "$DECKMOD_TE_BIN_DIR/docker-registry" serve "$RUN/registry/config-tls.yml"
  # certs dir in the layout skopeo/podman expect (--cert-dir)
  cp "$pki/ca.crt" "$RUN/registry/certs/ca.crt"
  # docker-style auth file, read by skopeo (REGISTRY_AUTH_FILE), helm
  # (HELM_REGISTRY_CONFIG) and docker-compatible clients (DOCKER_CONFIG)
  mkdir -p "$RUN/docker"
  printf '{"auths":{"127.0.0.1:%s":{"auth":"%s"}}}\n' "$REG_TLS_PORT" \
    "$(printf '%s:%s' "$REG_USER" "$REG_PASS" | base64 -w0)" >"$RUN/docker/config.json"
  chmod 600 "$RUN/docker/config.json"
  wait_for registry "${ns[@]}" curl -sf "http://127.0.0.1:$REG_PORT/v2/"
  reg_tls_ready() {
    [ "$("${ns[@]}" curl -s -o /dev/null -w '%{http_code}' --cacert "$pki/ca.crt" -u "$REG_USER:$REG_PASS" \
      "https://127.0.0.1:$REG_TLS_PORT/v2/")" = 200 ]
  }
  wait_for registry-tls reg_tls_ready
  log "registries ready on 127.0.0.1:$REG_PORT (http) and 127.0.0.1:$REG_TLS_PORT (https+auth) in $(ms_since "$t0") ms"
fi

# ---------------------------------------------------------------------------
# Node mode: the preloaded images, the controllers, the kubelet, kube-proxy;
# ready when the Node is Ready and the "default" service account exists
# (pods of a namespace are refused until it does).
# ---------------------------------------------------------------------------
if [ "$DECKMOD_TE_NODE" = 1 ]; then
  ctr=("$DECKMOD_TE_BIN_DIR/ctr" --address "$CONTAINERD_SOCK" -n k8s.io)
  wait_for containerd "${ctr[@]}" version
  for i in busybox pause; do
    "${ctr[@]}" images import "$DECKMOD_TE_IMAGE_DIR/$i.tar" >/dev/null
  done
  log "containerd ready, images $DECKMOD_TE_BUSYBOX_IMAGE and $DECKMOD_TE_PAUSE_IMAGE loaded, in $(ms_since "$t_containerd") ms"

  t0=$(date +%s%N)
  # No serving ports (--port=0 --secure-port=0), one instance: no election.
  start kube-controller-manager "$DECKMOD_TE_BIN_DIR/kube-controller-manager" \
    --kubeconfig="$RUN/kubeconfig" --port=0 --secure-port=0 --leader-elect=false \
    --controllers='*,-nodeipam' --use-service-account-credentials=false \
    --flex-volume-plugin-dir="$node/kcm-volume-plugins" \
    --service-account-private-key-file="$pki/sa.key" --root-ca-file="$pki/ca.crt" \
    --cluster-signing-cert-file="$pki/ca.crt" --cluster-signing-key-file="$pki/ca.key"
  start kube-scheduler "$DECKMOD_TE_BIN_DIR/kube-scheduler" \
    --kubeconfig="$RUN/kubeconfig" --port=0 --secure-port=0 --leader-elect=false

  cat >"$node/kubelet.kubeconfig" <<EOF
apiVersion: v1
kind: Config
clusters:
- name: testenv
  cluster: {server: "https://127.0.0.1:$API_PORT", certificate-authority-data: $(b64 "$pki/ca.crt")}
users:
- name: kubelet
  user: {client-certificate-data: $(b64 "$pki/kubelet.crt"), client-key-data: $(b64 "$pki/kubelet.key")}
contexts:
- name: testenv
  context: {cluster: testenv, user: kubelet}
current-context: testenv
EOF
  # Pods get no DNS (there is no cluster DNS and nothing to resolve).
  : >"$node/resolv.conf"
  cat >"$node/kubelet.yaml" <<EOF
apiVersion: kubelet.config.k8s.io/v1beta1
kind: KubeletConfiguration
address: $NODE_IP
port: $KUBELET_PORT
readOnlyPort: 0
healthzBindAddress: 127.0.0.1
healthzPort: $KUBELET_HEALTHZ_PORT
authentication: {anonymous: {enabled: false}, webhook: {enabled: false}, x509: {clientCAFile: "$pki/ca.crt"}}
authorization: {mode: AlwaysAllow}
cgroupDriver: cgroupfs
cgroupRoot: $(cat "$node/cgroup")
failSwapOn: false
resolvConf: "$node/resolv.conf"
# a status every second: the Node is Ready as soon as it can be
nodeStatusUpdateFrequency: 1s
# disk and memory pressure would evict test pods; images are never collected
evictionHard: {memory.available: "100Mi", nodefs.available: "1%", imagefs.available: "1%", nodefs.inodesFree: "1%"}
imageGCHighThresholdPercent: 100
serializeImagePulls: false
# iptables chains only kube-proxy needs
makeIPTablesUtilChains: false
EOF
  # --oom-score-adj=0: lowering it needs CAP_SYS_RESOURCE; --containerd: the
  # stats of our containerd, not of a (missing) machine-wide one.
  start kubelet "$DECKMOD_TE_BIN_DIR/kubelet" \
    --config="$node/kubelet.yaml" --kubeconfig="$node/kubelet.kubeconfig" \
    --container-runtime=remote --container-runtime-endpoint="unix://$CONTAINERD_SOCK" \
    --containerd="$CONTAINERD_SOCK" --pod-infra-container-image="$DECKMOD_TE_PAUSE_IMAGE" \
    --root-dir="$node/kubelet" --cert-dir="$node/kubelet/pki" \
    --volume-plugin-dir="$node/kubelet/volume-plugins" \
    --hostname-override="$NODE_NAME" --node-ip="$NODE_IP" --oom-score-adj=0 --v=1
  # The conntrack settings 0: leave the kernel's (some are machine-wide).
  start kube-proxy "$DECKMOD_TE_BIN_DIR/kube-proxy" \
    --kubeconfig="$RUN/kubeconfig" --hostname-override="$NODE_NAME" \
    --proxy-mode=iptables --cluster-cidr="$POD_CIDR" --oom-score-adj=0 \
    --conntrack-max-per-core=0 --conntrack-tcp-timeout-established=0 \
    --conntrack-tcp-timeout-close-wait=0 \
    --healthz-bind-address="127.0.0.1:$PROXY_HEALTHZ_PORT" \
    --metrics-bind-address="127.0.0.1:$PROXY_METRICS_PORT"
  kube() { "${ns[@]}" "$DECKMOD_TE_BIN_DIR/kubectl" --kubeconfig "$RUN/kubeconfig" "$@"; }
  node_ready() {
    [ "$(kube get node "$NODE_NAME" -o jsonpath='{.status.conditions[?(@.type=="Ready")].status}')" = True ]
  }
  wait_for kubelet node_ready
  wait_for kube-controller-manager kube get serviceaccount default -n default
  log "node $NODE_NAME Ready in $(ms_since "$t0") ms"
fi

# ---------------------------------------------------------------------------
# env file
# ---------------------------------------------------------------------------
cat >"$RUN/env.tmp" <<EOF
# deckmod-testenv: source this file ( . $RUN/env ); stop with down.sh $RUN
export DECKMOD_TE_RUN_DIR='$RUN'
export DECKMOD_TE_BIN_DIR='$DECKMOD_TE_BIN_DIR'
export PATH='$DECKMOD_TE_BIN_DIR':"\$PATH"
export KUBECONFIG='$RUN/kubeconfig'
export KUBE_APISERVER='https://127.0.0.1:$API_PORT'
export KUBE_CA_FILE='$pki/ca.crt'
export KUBE_TOKEN='$TOKEN'
export ETCD_ENDPOINTS='http://127.0.0.1:$ETCD_PORT'
EOF
if [ "${DECKMOD_TE_NO_REGISTRY:-0}" != 1 ]; then
  cat >>"$RUN/env.tmp" <<EOF
export REGISTRY='127.0.0.1:$REG_PORT'
export REGISTRY_TLS='127.0.0.1:$REG_TLS_PORT'
export REGISTRY_USER='$REG_USER'
export REGISTRY_PASSWORD='$REG_PASS'
export REGISTRY_CA_FILE='$pki/ca.crt'
export REGISTRY_CERT_DIR='$RUN/registry/certs'
export REGISTRY_AUTH_FILE='$RUN/docker/config.json'
export DOCKER_CONFIG='$RUN/docker'
export HELM_REGISTRY_CONFIG='$RUN/docker/config.json'
EOF
fi
if [ "$DECKMOD_TE_NODE" = 1 ]; then
  cat >>"$RUN/env.tmp" <<EOF
# the node: clients of the API server, registries and pods run in this namespace
export DECKMOD_TE_NETNS='$NETNS'
export DECKMOD_TE_NODE_NAME='$NODE_NAME'
export DECKMOD_TE_NODE_IP='$NODE_IP'
export DECKMOD_TE_BUSYBOX_IMAGE='$DECKMOD_TE_BUSYBOX_IMAGE'
export CONTAINERD_ADDRESS='$CONTAINERD_SOCK'
export CONTAINERD_NAMESPACE=k8s.io
EOF
fi
cat >>"$RUN/env.tmp" <<EOF
export HELM_CONFIG_HOME='$RUN/helm/config'
export HELM_CACHE_HOME='$RUN/helm/cache'
export HELM_DATA_HOME='$RUN/helm/data'
EOF
mv "$RUN/env.tmp" "$RUN/env"
up_ok=1
log "all up in $(ms_since "$t_start") ms; env file:"
echo "$RUN/env"
