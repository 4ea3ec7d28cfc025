# The cluster suite's machinery: the policy run as users run it, with the real binaries from
# ../shared/tools (or $KUBE_TOOLS): a loopback control plane (etcd, kube-apiserver,
# kube-controller-manager; no scheduler, no kubelet, so Pods stay Pending), the real
# policy-server serving annotated-policy.wasm over TLS with a policies file as the Kubewarden
# controller writes it, and the webhooks the controller would register for the three
# ClusterAdmissionPolicies of this repository (policy.yaml, policy-cluster-lookups.yaml,
# policy-add-missing.yaml). The policy server reads the cluster with a ServiceAccount token
# bound to exactly the ClusterRole the README documents.
#
# Sourced by cluster.bats (setup_file/teardown_file) and by bench.sh. Everything it starts is
# stopped by its PID in cluster_down: the control plane by the tools' down.sh (which stops the
# PIDs up.sh wrote), the policy server by the PID written when it was started.

CLUSTER_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
# The unpacked tools are shared by every run (install.sh keeps what it unpacked before).
TOOLS_SRC="${KUBE_TOOLS:-$CLUSTER_ROOT/../shared/tools}"
DEST="${CLUSTER_DEST:-$CLUSTER_ROOT/target/tools}"
WORK="${CLUSTER_WORK:-$CLUSTER_ROOT/target/cluster-e2e}"
MODULE="${CLUSTER_MODULE:-$CLUSTER_ROOT/annotated-policy.wasm}"
# The daemons' niceness (up.sh's K8S_NICE; the policy server gets the same).
K8S_NICE="${K8S_NICE:-19}"
export K8S_NICE

# The three policies, as the Kubewarden controller names a ClusterAdmissionPolicy's policy id
# (clusterwide-NAME) and its webhook (clusterwide-NAME.kubewarden.admission). Each covers the
# namespaces labelled POLICY_LABEL=<its policy id>, and never kube-system and its kin.
POLICY_LABEL=e2e.image-pull-secrets.io/policy
PLAIN=clusterwide-image-pull-secrets                # policy.yaml: settings only
LOOKUPS=clusterwide-image-pull-secrets-lookups      # policy-cluster-lookups.yaml
FIX=clusterwide-image-pull-secrets-add-missing      # policy-add-missing.yaml (mutating)

# log_step TEXT: a progress line, as a TAP comment under bats (fd 3), on stderr otherwise.
log_step() {
  if { true >&3; } 2>/dev/null; then echo "# $(date +%T) $*" >&3; else echo "# $(date +%T) $*" >&2; fi
}

# free_port VAR...: sets and exports each VAR to a TCP port on 127.0.0.1 that nothing listens
# on and that this run has not taken yet (not in a subshell, so that it remembers them). Other
# people's control planes on this machine use the tools' default ports and their own choices.
TAKEN_PORTS=" "
free_port() {
  local var port
  for var in "$@"; do
    for _ in $(seq 1 200); do
      port=$((20000 + RANDOM % 12000))
      [[ "$TAKEN_PORTS" == *" $port "* ]] && continue
      if ! (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
        TAKEN_PORTS="$TAKEN_PORTS$port "
        printf -v "$var" %s "$port"
        export "${var?}"
        continue 2
      fi
    done
    echo "no free port found" >&2
    return 1
  done
}

# yaml_block FILE KEY INDENT NEW_INDENT: the block under the line `<INDENT spaces>KEY:` of FILE,
# re-indented to NEW_INDENT spaces (comments kept). The block ends at the first non-blank line
# indented INDENT spaces or less. Enough for the repository's own manifests, which are plain
# block YAML.
yaml_block() {
  awk -v key="$2" -v indent="$3" -v new="$4" '
    function lead(s) { match(s, /^ */); return RLENGTH }
    !inside && lead($0) == indent && substr($0, indent + 1) ~ ("^" key ":[ \t]*$") { inside = 1; next }
    inside && $0 !~ /^[ \t]*$/ && lead($0) <= indent { exit }
    inside { lines[++n] = $0; if ($0 !~ /^[ \t]*$/ && (min == "" || lead($0) < min)) min = lead($0) }
    END {
      if (n == 0) { print "no block " key " in " FILENAME > "/dev/stderr"; exit 1 }
      pad = sprintf("%" new "s", "")
      for (i = 1; i <= n; i++) if (lines[i] !~ /^[ \t]*$/) print pad substr(lines[i], min + 1)
    }' "$1"
}

# spec_value FILE FIELD: a scalar of a manifest's spec (`  FIELD: value`).
spec_value() { sed -n "s/^  $2: *\([^ #]*\).*/\1/p" "$1" | head -n 1; }

# The ClusterRole the README documents for cluster lookups: the YAML block that holds
# `kind: ClusterRole`, taken from the README itself so that the suite tests what users copy.
readme_cluster_role() {
  awk '/^```yaml$/ { inside = 1; block = ""; next }
       inside && /^```$/ { inside = 0; if (block ~ /\nkind: ClusterRole\n/) { printf "%s", block; found = 1; exit } next }
       inside { block = block $0 "\n" }
       END { if (!found) { print "README.md documents no ClusterRole" > "/dev/stderr"; exit 1 } }' \
    "$CLUSTER_ROOT/README.md"
}

# ---- the control plane ------------------------------------------------------------------------

tools_available() { [ -x "$TOOLS_SRC/install.sh" ]; }

# What the suite needs besides the tools: openssl (certificates), curl (readiness), jq (answers).
# Debian packages, installed when missing (CI runs as root on a fresh machine).
install_debian_packages() {
  local missing=()
  command -v openssl >/dev/null || missing+=(openssl)
  command -v curl >/dev/null || missing+=(curl)
  command -v jq >/dev/null || missing+=(jq)
  command -v zstd >/dev/null || missing+=(zstd)
  [ "${#missing[@]}" -eq 0 ] && return 0
  apt-get update -qq >/dev/null && apt-get install -y -qq "${missing[@]}" >/dev/null
}

cluster_up() {
  tools_available || { echo "no tools at $TOOLS_SRC (set KUBE_TOOLS)" >&2; return 1; }
  install_debian_packages
  [ -f "$MODULE" ] || { echo "no $MODULE: run make annotated-policy.wasm" >&2; return 1; }
  mkdir -p "$WORK"
  rm -f "$WORK"/*.log "$WORK/control-plane.pids"
  local bin
  bin="$("$TOOLS_SRC/install.sh" "$DEST")"
  PATH="$bin:$PATH"
  export PATH
  # One control plane per unpacked tools folder: another run's (the benchmark's, say) is left
  # alone, and so is one a killed run left behind, with what to do about it.
  local name pid
  if [ -f "$DEST/pids" ]; then
    while read -r name pid; do
      if kill -0 "$pid" 2>/dev/null; then
        echo "a control plane of $DEST is running ($name, PID $pid): another run's, or one left by a killed run; stop it with $DEST/down.sh" >&2
        return 1
      fi
    done <"$DEST/pids"
  fi
  if [ -n "$(policy_server_pid)" ] && kill -0 "$(policy_server_pid)" 2>/dev/null; then
    echo "a policy server of $WORK is running (PID $(policy_server_pid)); stop it first" >&2
    return 1
  fi

  local attempt
  for attempt in 1 2 3; do
    free_port APISERVER_PORT ETCD_PORT ETCD_PEER_PORT KCM_PORT
    log_step "control plane: kube-apiserver on 127.0.0.1:$APISERVER_PORT (try $attempt)"
    if "$DEST/up.sh" >"$WORK/up.log" 2>&1; then
      cp "$DEST/pids" "$WORK/control-plane.pids"
      break
    fi
    cat "$WORK/up.log" >&2
    tail -n 5 "$DEST/run/logs/kube-apiserver.log" >&2 2>/dev/null
    [ "$attempt" -lt 3 ] || return 1
  done
  export KUBECONFIG="$DEST/kubeconfig"
  kubectl version -o json | jq -r '"kubectl \(.clientVersion.gitVersion), kube-apiserver \(.serverVersion.gitVersion)"' |
    while read -r line; do log_step "$line"; done
}

# ---- the policy server's identity -------------------------------------------------------------

# The namespace the policy server runs in, its ServiceAccount, the README's ClusterRole bound to
# it, and a kubeconfig holding that ServiceAccount's token.
policy_server_identity() {
  kubectl create namespace kubewarden >/dev/null
  kubectl create serviceaccount policy-server -n kubewarden >/dev/null
  readme_cluster_role | kubectl apply -f - >/dev/null
  local role
  role="$(readme_cluster_role | sed -n 's/^  name: *//p' | head -n 1)"
  kubectl create clusterrolebinding "$role" --clusterrole "$role" \
    --serviceaccount kubewarden:policy-server >/dev/null
  local token ca
  token="$(kubectl create token policy-server -n kubewarden --duration 2h)"
  ca="$(base64 -w0 <"$DEST/pki/ca.crt")"
  cat >"$WORK/policy-server.kubeconfig" <<EOF
apiVersion: v1
kind: Config
clusters:
- name: local
  cluster:
    server: https://127.0.0.1:$APISERVER_PORT
    certificate-authority-data: $ca
users:
- name: policy-server
  user:
    token: $token
contexts:
- name: local
  context: {cluster: local, user: policy-server, namespace: kubewarden}
current-context: local
EOF
  chmod 600 "$WORK/policy-server.kubeconfig"
}

# ---- the policy server ------------------------------------------------------------------------

# The serving certificate, signed by the control plane's CA, for 127.0.0.1.
serving_certificate() {
  local dir="$WORK/tls"
  mkdir -p "$dir"
  printf 'basicConstraints=CA:FALSE\nkeyUsage=digitalSignature,keyEncipherment\nextendedKeyUsage=serverAuth\nsubjectAltName=IP:127.0.0.1\n' \
    >"$dir/tls.ext"
  openssl req -newkey rsa:2048 -nodes -keyout "$dir/tls.key" -out "$dir/tls.csr" \
    -subj "/CN=policy-server" 2>/dev/null
  openssl x509 -req -in "$dir/tls.csr" -CA "$DEST/pki/ca.crt" -CAkey "$DEST/pki/ca.key" \
    -CAcreateserial -CAserial "$dir/ca.srl" -days 2 -extfile "$dir/tls.ext" -out "$dir/tls.crt" 2>/dev/null
  chmod 600 "$dir/tls.key"
}

# policy_entry ID MANIFEST: one policy of the policies file, as the controller writes it for the
# ClusterAdmissionPolicy MANIFEST: its mode, whether it may mutate and its settings, and the
# resources and capabilities the module's metadata asks for.
policy_entry() {
  local id="$1" manifest="$CLUSTER_ROOT/$2"
  cat <<EOF
$id:
  module: file://$MODULE
  policyMode: $(spec_value "$manifest" mode)
  allowedToMutate: $(spec_value "$manifest" mutating)
  hostCapabilities: ["*"]
$(context_aware_resources "$manifest")
  settings:
$(yaml_block "$manifest" settings 2 4)
EOF
}

# The resources a policy may read: the controller copies the ClusterAdmissionPolicy's
# spec.contextAwareResources, which the lookups manifest sets to what metadata.yml declares
# (tests/metadata.rs checks that they agree); the other manifests grant none.
context_aware_resources() {
  if grep -q '^  contextAwareResources:' "$1"; then
    echo "  contextAwareResources:"
    yaml_block "$CLUSTER_ROOT/metadata.yml" contextAwareResources 0 4
  else
    echo "  contextAwareResources: []"
  fi
}

policies_file() {
  {
    echo "# Written by e2e-tests/cluster/helpers.bash, as the Kubewarden controller writes it."
    policy_entry "$PLAIN" policy.yaml
    policy_entry "$LOOKUPS" policy-cluster-lookups.yaml
    policy_entry "$FIX" policy-add-missing.yaml
  } >"$WORK/policies.yml"
}

policy_server_pid() { cat "$WORK/policy-server.pid" 2>/dev/null || true; }

start_policy_server() {
  serving_certificate
  policies_file
  free_port PS_PORT PS_READY_PORT
  mkdir -p "$WORK/policies" "$WORK/sigstore"
  log_step "policy-server $(policy-server --version 2>/dev/null | head -n 1 | awk '{print $NF}') on https://127.0.0.1:$PS_PORT"
  KUBECONFIG="$WORK/policy-server.kubeconfig" NO_COLOR=1 setsid nohup nice -n "$K8S_NICE" policy-server \
    --policies "$WORK/policies.yml" --addr 127.0.0.1 --port "$PS_PORT" \
    --readiness-probe-port "$PS_READY_PORT" \
    --cert-file "$WORK/tls/tls.crt" --key-file "$WORK/tls/tls.key" --workers 2 \
    --policies-download-dir "$WORK/policies" --sigstore-cache-dir "$WORK/sigstore" \
    --log-level "${POLICY_SERVER_LOG_LEVEL:-info}" --log-no-color \
    >"$WORK/policy-server.log" 2>&1 </dev/null &
  echo $! >"$WORK/policy-server.pid"
  POLICY_SERVER_STARTED=1
  # Ready once every policy is compiled and validated; a policy whose settings are refused
  # makes it exit.
  local i
  for i in $(seq 1 600); do
    curl -fsS "http://127.0.0.1:$PS_READY_PORT/readiness" >/dev/null 2>&1 && return 0
    kill -0 "$(policy_server_pid)" 2>/dev/null || break
    sleep 0.5
  done
  echo "policy-server not ready; its log:" >&2
  tail -n 30 "$WORK/policy-server.log" >&2
  return 1
}

# Stops the policy server this run started, by its PID, if that PID is still the policy server.
stop_policy_server() {
  local pid exe
  [ -n "${POLICY_SERVER_STARTED:-}" ] || return 0
  POLICY_SERVER_STARTED=
  pid="$(policy_server_pid)"
  [ -n "$pid" ] || return 0
  exe="$(readlink "/proc/$pid/exe" 2>/dev/null || true)"
  if [[ "$exe" == */policy-server ]]; then
    kill -TERM "$pid"
    for _ in $(seq 1 40); do kill -0 "$pid" 2>/dev/null || break; sleep 0.25; done
    kill -0 "$pid" 2>/dev/null && kill -KILL "$pid"
  fi
  rm -f "$WORK/policy-server.pid"
}

# ---- the webhooks -----------------------------------------------------------------------------

# webhook ID: one webhook of a configuration, as the controller registers a
# ClusterAdmissionPolicy's: the module's rules (metadata.yml), the policy server's URL and CA,
# Fail on error, no side effects (so dry runs reach it), and the namespaces it covers.
webhook() {
  local id="$1"
  cat <<EOF
  - name: $id.kubewarden.admission
    admissionReviewVersions: ["v1"]
    sideEffects: None
    failurePolicy: Fail
    matchPolicy: Equivalent
    timeoutSeconds: 10
    clientConfig:
      url: https://127.0.0.1:$PS_PORT/validate/$id
      caBundle: $(base64 -w0 <"$DEST/pki/ca.crt")
    rules:
$(yaml_block "$CLUSTER_ROOT/metadata.yml" rules 0 6)
    namespaceSelector:
      matchExpressions:
        - key: kubernetes.io/metadata.name
          operator: NotIn
          values: [kube-system, kube-public, kube-node-lease, kubewarden]
        - key: $POLICY_LABEL
          operator: In
          values: [$id]
EOF
}

register_webhooks() {
  {
    cat <<EOF
apiVersion: admissionregistration.k8s.io/v1
kind: ValidatingWebhookConfiguration
metadata:
  name: image-pull-secrets-e2e
webhooks:
$(webhook "$PLAIN")
$(webhook "$LOOKUPS")
---
apiVersion: admissionregistration.k8s.io/v1
kind: MutatingWebhookConfiguration
metadata:
  name: image-pull-secrets-e2e
webhooks:
$(webhook "$FIX")
    reinvocationPolicy: Never
EOF
  } >"$WORK/webhooks.yaml"
  kubectl apply -f "$WORK/webhooks.yaml" >/dev/null
}

# namespace NAME POLICY_ID: a namespace the policy covers.
namespace() {
  kubectl create namespace "$1" >/dev/null
  [ -z "${2:-}" ] || kubectl label namespace "$1" "$POLICY_LABEL=$2" >/dev/null
  # The serviceaccount controller writes its default ServiceAccount soon after.
  for _ in $(seq 1 60); do kubectl get serviceaccount default -n "$1" >/dev/null 2>&1 && return 0; sleep 0.5; done
  echo "no default ServiceAccount in $1" >&2
  return 1
}

# The API server reads webhook configurations through an informer: wait until a request each
# policy must refuse (a pull secret holding only the Docker Hub key, dry run) is refused.
wait_for_webhooks() {
  local ns_id ns id answer
  for ns_id in "$@"; do
    ns="${ns_id%%=*}"
    id="${ns_id#*=}"
    for _ in $(seq 1 120); do
      answer="$(kubectl create secret docker-registry regcred -n "$ns" --docker-username=probe \
        --docker-password=probe --dry-run=server -o name 2>&1 || true)"
      [[ "$answer" != *"admission webhook \"$id.kubewarden.admission\" denied"* ]] || continue 2
      sleep 0.5
    done
    echo "the webhook $id never answered for namespace $ns" >&2
    return 1
  done
}

# Everything the suite and the benchmark need, up.
cluster_setup() {
  cluster_up
  log_step "the policy server's identity: ServiceAccount kubewarden/policy-server, the README's ClusterRole"
  policy_server_identity
  start_policy_server
  register_webhooks
}

# Stops what this run started, by PID: the policy server, and the control plane if up.sh ran
# for this run (down.sh stops the PIDs up.sh wrote).
cluster_down() {
  stop_policy_server
  if [ -f "$WORK/control-plane.pids" ] && cmp -s "$WORK/control-plane.pids" "$DEST/pids"; then
    "$DEST/down.sh" >"$WORK/down.log" 2>&1
  fi
  rm -f "$WORK/control-plane.pids"
}

# ---- what the cases assert --------------------------------------------------------------------

# The fake credentials the cases write: recognisable, and searched for in every output.
PASSWORD_SERVED=Fake-Served-Pa55w0rd-e2e
PASSWORD_HUB=Fake-DockerHub-Pa55w0rd-e2e
PASSWORD_POISON=Fake-Poison-Pa55w0rd-e2e

# contains_all WHAT HAYSTACK TEXT...: HAYSTACK contains every TEXT.
contains_all() {
  local what="$1" haystack="$2" text
  shift 2
  for text in "$@"; do
    [[ "$haystack" == *"$text"* ]] || { echo "$what lacks <$text>: $haystack" >&2; return 1; }
  done
}

# k ARGS...: kubectl as its user types it (the admin's kubeconfig); stdout in $output, what the
# user reads on the terminal's error stream (denials, warnings) in $stderr. Neither may show a
# piece of a password.
k() {
  run --separate-stderr kubectl "$@"
  no_password
}

accepted() { [ "$status" -eq 0 ] || { echo "exit $status: $stderr" >&2; return 1; }; }
# denied_by POLICY_ID TEXT...: kubectl failed with that policy's denial, holding every TEXT.
denied_by() {
  local id="$1"
  shift
  [ "$status" -ne 0 ] || { echo "accepted: $output $stderr" >&2; return 1; }
  contains_all "kubectl's stderr" "$stderr" "admission webhook \"$id.kubewarden.admission\" denied the request: " "$@"
}
no_warning() { [[ "$stderr" != *"Warning:"* ]] || { echo "warned: $stderr" >&2; return 1; }; }

# secret_pieces: every password, and 12-character pieces of base64 of `robot:PASSWORD` and of the
# password alone, as a Secret's data would hold them.
secret_pieces() {
  local password b64
  for password in "$PASSWORD_SERVED" "$PASSWORD_HUB" "$PASSWORD_POISON"; do
    echo "$password"
    for b64 in "$(printf %s "robot:$password" | base64 -w0)" "$(printf %s "$password" | base64 -w0)"; do
      echo "${b64:0:12}"
      echo "${b64:12:12}"
    done
  done
  echo Pa55w0rd
}
# no_password [TEXT]: TEXT (by default the last command's output and stderr) holds no piece of
# any password.
no_password() {
  local text="${1-$output$stderr}" piece
  while read -r piece; do
    [[ "$text" != *"$piece"* ]] || { echo "a password piece <$piece> is shown: $text" >&2; return 1; }
  done < <(secret_pieces)
}

# wait_pods NAMESPACE SELECTOR COUNT: COUNT Pods matching SELECTOR exist (created by a
# controller, so admitted by the policy); they stay Pending, since nothing schedules them.
wait_pods() {
  local n
  for _ in $(seq 1 120); do
    n="$(kubectl get pods -n "$1" -l "$2" -o name | wc -l)"
    [ "$n" -ge "$3" ] && return 0
    sleep 0.5
  done
  echo "$n Pods match $2 in $1, not $3:" >&2
  kubectl get deployments,replicasets,pods -n "$1" >&2
  kubectl get events -n "$1" --field-selector reason=FailedCreate >&2
  return 1
}
# no_failed_creates NAMESPACE: no controller was refused a Pod there.
no_failed_creates() {
  local events
  events="$(kubectl get events -n "$1" --field-selector reason=FailedCreate -o name)"
  [ -z "$events" ] || { kubectl get events -n "$1" --field-selector reason=FailedCreate >&2; return 1; }
}
