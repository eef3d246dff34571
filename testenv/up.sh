#!/usr/bin/env bash
# up.sh - start a throw-away test environment on loopback (127.0.0.1 only):
#   etcd            -> storage for the API server (plain HTTP, loopback)
#   kube-apiserver  -> real Kubernetes API (HTTPS, client-cert + token auth, RBAC)
#   docker-registry -> OCI registry, plain HTTP, no auth          ($REGISTRY)
#   docker-registry -> OCI registry, HTTPS + htpasswd basic auth  ($REGISTRY_TLS)
# No kubelet, scheduler or controller-manager run: objects are stored and
# served, but no pods run, no garbage collection and no namespace finalization.
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
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=common.sh
. "$here/common.sh"

DECKMOD_TE_TIMEOUT="${DECKMOD_TE_TIMEOUT:-120}"
t_start=$(date +%s%N)

for b in kube-apiserver etcd docker-registry kubectl; do
  [ -x "$DECKMOD_TE_BIN_DIR/$b" ] || die "$DECKMOD_TE_BIN_DIR/$b missing: run install.sh first"
done
for c in openssl curl htpasswd; do
  command -v "$c" >/dev/null 2>&1 || die "$c missing: run install.sh first"
done

# ---------------------------------------------------------------------------
# Run directory (reuse a live one when asked to).
# ---------------------------------------------------------------------------
if [ -n "${DECKMOD_TE_RUN_DIR:-}" ]; then
  RUN="$DECKMOD_TE_RUN_DIR"
  if [ -f "$RUN/env" ] && [ -d "$RUN/pids" ]; then
    alive=1
    for p in "$RUN"/pids/*.pid; do
      [ -e "$p" ] && kill -0 "$(cat "$p")" 2>/dev/null || alive=0
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
on_exit() {
  local rc=$?
  [ "$up_ok" = 1 ] && return
  log "startup failed (exit $rc); last log lines:"
  for f in "$RUN"/logs/*.log; do
    [ -e "$f" ] && { echo "--- $f" >&2; tail -n 15 "$f" >&2; }
  done
  DECKMOD_TE_KEEP_RUN_DIR=1 "$here/down.sh" "$RUN" || true
  log "logs kept in $RUN/logs"
}
trap on_exit EXIT

# ---------------------------------------------------------------------------
# Free loopback ports: let the kernel choose (bind to port 0), never reusing
# one already chosen in this run.
# ---------------------------------------------------------------------------
chosen=" "
free_port() {
  local p
  for _ in $(seq 1 50); do
    if command -v python3 >/dev/null 2>&1; then
      p=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()')
    else
      p=$(( 20000 + RANDOM % 40000 ))
      # something answers there: taken
      (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null && continue
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
sign server "/CN=127.0.0.1" \
  "basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature,keyEncipherment\nextendedKeyUsage=serverAuth\nsubjectAltName=IP:127.0.0.1,DNS:localhost,DNS:kubernetes,DNS:kubernetes.default,DNS:kubernetes.default.svc,DNS:kubernetes.default.svc.cluster.local,IP:10.0.0.1\n"
sign admin "/O=system:masters/CN=testenv-admin" \
  "basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature,keyEncipherment\nextendedKeyUsage=clientAuth\n"
ec_key "$pki/sa.key"
openssl pkey -in "$pki/sa.key" -pubout -out "$pki/sa.pub" 2>/dev/null
TOKEN="$(openssl rand -hex 24)"
# token,user,uid,"group1,group2"
printf '%s,testenv-admin,testenv-admin,"system:masters"\n' "$TOKEN" >"$pki/tokens.csv"
chmod 600 "$pki"/*.key "$pki/tokens.csv"

# ---------------------------------------------------------------------------
# start NAME CMD... : run CMD detached (setsid, logs in logs/NAME.log),
# record its PID in pids/NAME.pid. The process carries DECKMOD_TE_RUN_DIR in its
# environment so that down.sh can check a PID still belongs to this run.
# ---------------------------------------------------------------------------
start() {
  local name=$1 pidf="$RUN/pids/$1.pid"
  shift
  # the inner shell writes its own PID, then becomes the command (exec)
  # shellcheck disable=SC2016
  DECKMOD_TE_RUN_DIR="$RUN" setsid bash -c 'echo $$ >"$0"; exec "$@"' "$pidf" "$@" \
    >"$RUN/logs/$name.log" 2>&1 </dev/null &
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
wait_for etcd curl -sf "http://127.0.0.1:$ETCD_PORT/health"
log "etcd ready on 127.0.0.1:$ETCD_PORT in $(ms_since "$t0") ms"

# ---------------------------------------------------------------------------
# kube-apiserver (v1.20 flags). Notes:
#  - service-account issuer + signing key are mandatory since 1.20;
#  - --insecure-port=0 disables the old plain-HTTP port (8080) entirely;
#  - --endpoint-reconciler-type=none: the "kubernetes" Service endpoints may
#    not point at a loopback address, so the reconciler would only log errors;
#  - ServiceAccount admission is off: no controller-manager creates the
#    "default" service account, which would make every Pod create fail.
# ---------------------------------------------------------------------------
t0=$(date +%s%N)
# shellcheck disable=SC2086
start kube-apiserver "$DECKMOD_TE_BIN_DIR/kube-apiserver" \
  --etcd-servers="http://127.0.0.1:$ETCD_PORT" \
  --bind-address=127.0.0.1 \
  --advertise-address=127.0.0.1 \
  --secure-port="$API_PORT" \
  --insecure-port=0 \
  --cert-dir="$pki" \
  --tls-cert-file="$pki/server.crt" \
  --tls-private-key-file="$pki/server.key" \
  --client-ca-file="$pki/ca.crt" \
  --token-auth-file="$pki/tokens.csv" \
  --authorization-mode=RBAC \
  --service-account-issuer=https://kubernetes.default.svc.cluster.local \
  --service-account-key-file="$pki/sa.pub" \
  --service-account-signing-key-file="$pki/sa.key" \
  --service-cluster-ip-range=10.0.0.0/24 \
  --endpoint-reconciler-type=none \
  --disable-admission-plugins=ServiceAccount \
  --allow-privileged=true \
  --profiling=false \
  ${DECKMOD_TE_APISERVER_ARGS:-}
api_ready() {
  [ "$(curl -s --cacert "$pki/ca.crt" -H "Authorization: Bearer $TOKEN" \
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
  wait_for registry curl -sf "http://127.0.0.1:$REG_PORT/v2/"
  reg_tls_ready() {
    [ "$(curl -s -o /dev/null -w '%{http_code}' --cacert "$pki/ca.crt" -u "$REG_USER:$REG_PASS" \
      "https://127.0.0.1:$REG_TLS_PORT/v2/")" = 200 ]
  }
  wait_for registry-tls reg_tls_ready
  log "registries ready on 127.0.0.1:$REG_PORT (http) and 127.0.0.1:$REG_TLS_PORT (https+auth) in $(ms_since "$t0") ms"
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
cat >>"$RUN/env.tmp" <<EOF
export HELM_CONFIG_HOME='$RUN/helm/config'
export HELM_CACHE_HOME='$RUN/helm/cache'
export HELM_DATA_HOME='$RUN/helm/data'
EOF
mv "$RUN/env.tmp" "$RUN/env"
up_ok=1
log "all up in $(ms_since "$t_start") ms; env file:"
echo "$RUN/env"
