#!/usr/bin/env bats
# The policy as its users run it: the real policy-server serves annotated-policy.wasm, the real
# kube-apiserver calls it as a webhook for what they type with kubectl, and it reads Secrets and
# ServiceAccounts through the policy server's own ServiceAccount, bound to the ClusterRole the
# README documents. helpers.bash sets it up (see there); `make cluster-tests` runs it.
#
# The namespaces: team-a is covered by policy-cluster-lookups.yaml (clusterLookups: true),
# team-b by policy-add-missing.yaml (the fix, a mutating webhook), team-c by policy.yaml
# (settings only). The cases run in order and build on each other, as a user's session does.
# The commands a user types run through k (helpers.bash), which fails a case whose kubectl output
# shows a piece of one of the fake passwords the cases write; the last case searches the logs.

bats_require_minimum_version 1.5.0
load helpers

setup_file() {
  cluster_setup
  namespace team-a "$LOOKUPS"
  namespace team-b "$FIX"
  namespace team-c "$PLAIN"
  wait_for_webhooks "team-a=$LOOKUPS" "team-b=$FIX" "team-c=$PLAIN"
  log_step "ready: logs in $WORK and $DEST/run/logs"
}

# Also after a failed setup_file or case: the policy server and the control plane, by their PIDs.
teardown_file() {
  cluster_down
}

setup() {
  export PATH="$DEST/bin:$PATH" KUBECONFIG="$DEST/kubeconfig"
}

@test "cluster: the policy server reads the cluster as its own ServiceAccount, granted only the README's ClusterRole" {
  run kubectl auth whoami --kubeconfig "$WORK/policy-server.kubeconfig" -o jsonpath='{.status.userInfo.username}'
  [ "$output" = system:serviceaccount:kubewarden:policy-server ]
  as=(--as system:serviceaccount:kubewarden:policy-server)
  for allowed in "get secrets -n team-a" "get serviceaccounts -n team-b" "list pods -n team-a" \
    "watch deployments.apps -n team-b" "list cronjobs.batch -n team-c" "watch replicationcontrollers -n team-a"; do
    run --separate-stderr kubectl auth can-i $allowed "${as[@]}"
    [ "$output" = yes ] || { echo "cannot $allowed" >&2; return 1; }
  done
  for refused in "list secrets -n team-a" "watch secrets -n team-a" "list serviceaccounts -n team-a" \
    "get pods -n team-a" "get configmaps -n team-a" "create pods -n team-a" "get nodes"; do
    run --separate-stderr kubectl auth can-i $refused "${as[@]}"
    [ "$output" = no ] || { echo "may $refused" >&2; return 1; }
  done
}

@test "cluster: the webhooks are the controller's: metadata.yml's rules, the policy server's URL and CA, never a Service" {
  run -0 kubectl get validatingwebhookconfiguration,mutatingwebhookconfiguration -o json
  webhooks="$(jq -c '[.items[] | select(.metadata.name == "image-pull-secrets-e2e") | .webhooks[]]' <<<"$output")"
  [ "$(jq length <<<"$webhooks")" -eq 3 ]
  for id in "$PLAIN" "$LOOKUPS" "$FIX"; do
    w="$(jq -c --arg n "$id.kubewarden.admission" '.[] | select(.name == $n)' <<<"$webhooks")"
    [ "$(jq -r .clientConfig.url <<<"$w")" = "https://127.0.0.1:$PS_PORT/validate/$id" ]
    [ "$(jq -r '.clientConfig.service // "none"' <<<"$w")" = none ]
    [ "$(jq -r .clientConfig.caBundle <<<"$w" | base64 -d)" = "$(cat "$DEST/pki/ca.crt")" ]
    [ "$(jq -c '[.rules[].resources[]]' <<<"$w")" = \
      '["pods","pods/ephemeralcontainers","replicationcontrollers","secrets","serviceaccounts","deployments","replicasets","statefulsets","daemonsets","jobs","cronjobs"]' ]
  done
}

@test "cluster: kubectl create secret docker-registry without --docker-server is denied: it writes the Docker Hub key" {
  k create secret docker-registry regcred -n team-a --docker-username=robot --docker-password="$PASSWORD_HUB"
  denied_by "$LOOKUPS" 'Secret "regcred" in namespace "team-a" is declared in the policy settings as a pull secret for private.registry.com, but none of its registry keys serves that registry'"'"'s images: it holds "https://index.docker.io/v1/" (the Docker Hub key that `kubectl create secret docker-registry` writes when --docker-server is left out)' \
    'To fix: write it with `kubectl create secret docker-registry regcred --docker-server=private.registry.com --docker-username=<user> --docker-password=<password> -n team-a`.'
  [[ "$stderr" == "error: failed to create secret admission webhook "* ]]
  run kubectl get secret regcred -n team-a
  [ "$status" -ne 0 ]
}

@test "cluster: kubectl create secret docker-registry --docker-server=private.registry.com is accepted" {
  k create secret docker-registry regcred -n team-a --docker-server=private.registry.com \
    --docker-username=robot --docker-password="$PASSWORD_SERVED"
  accepted
  [ "$output" = "secret/regcred created" ]
  no_warning
}

@test "cluster: a poison pull secret (an auth that is not base64) is denied without showing it" {
  local config
  config="$(printf '{"auths":{"private.registry.com":{"auth":"robot:%s"}}}' "$PASSWORD_POISON" | base64 -w0)"
  k apply -n team-a -f - <<EOF
apiVersion: v1
kind: Secret
metadata: {name: poison-cred}
type: kubernetes.io/dockerconfigjson
data:
  .dockerconfigjson: $config
EOF
  denied_by "$LOOKUPS" 'Secret "poison-cred" in namespace "team-a" cannot be decoded by the kubelet: in its .dockerconfigjson, `auth` of "private.registry.com" is not base64' \
    'makes every image pull of every Pod that references it fail, public images included'
  [[ "$stderr" == 'Error from server: error when creating "STDIN": admission webhook '* ]]
}

@test "cluster: kubectl create deployment from a private registry with no pull secret is denied" {
  k create deployment web --image=private.registry.com/team/web:1.0 -n team-a
  denied_by "$LOOKUPS" 'Deployment "web" in namespace "team-a": 1 container cannot pull its image: container "web" pulls "private.registry.com/team/web:1.0" from registry private.registry.com, which needs one of the pull secrets regcred, regcred-ro, but the pod template lists no imagePullSecrets and ServiceAccount "default" has none.' \
    'To fix: add one of regcred, regcred-ro to the imagePullSecrets of ServiceAccount "default", or to spec.template.spec.imagePullSecrets'
  [[ "$stderr" == "error: failed to create deployment: admission webhook "* ]]
  # Without lookups (policy.yaml), the policy cannot see the ServiceAccount and says so.
  k create deployment web --image=private.registry.com/team/web:1.0 -n team-c
  denied_by "$PLAIN" 'Deployment "web" in namespace "team-c": 1 container cannot pull its image' \
    'but the pod template lists no imagePullSecrets (its Pods would get those of ServiceAccount "default", which this policy cannot see)'
}

@test "cluster: kubectl apply of a Deployment that lists the right secret: it, its ReplicaSet and its Pods are admitted" {
  k apply -n team-a -f - <<'EOF'
apiVersion: apps/v1
kind: Deployment
metadata: {name: web2}
spec:
  replicas: 2
  selector: {matchLabels: {app: web2}}
  template:
    metadata: {labels: {app: web2}}
    spec:
      imagePullSecrets: [{name: regcred}]
      containers: [{name: web, image: private.registry.com/team/web:1.0}]
EOF
  accepted
  [ "$output" = "deployment.apps/web2 created" ]
  no_warning
  wait_pods team-a app=web2 2
  run -0 kubectl get pods -n team-a -l app=web2 -o json
  [ "$(jq -c '[.items[].spec.imagePullSecrets]' <<<"$output")" = '[[{"name":"regcred"}],[{"name":"regcred"}]]' ]
  [ "$(jq -r '[.items[].status.phase] | unique | join(",")' <<<"$output")" = Pending ]
  no_failed_creates team-a
}

@test "cluster: a ServiceAccount patched with imagePullSecrets serves a Deployment, whose Pods get the list the API server copied" {
  run -0 kubectl create serviceaccount builder -n team-a
  run -0 kubectl patch serviceaccount builder -n team-a -p '{"imagePullSecrets":[{"name":"regcred"}]}'
  k apply -n team-a -f - <<'EOF'
apiVersion: apps/v1
kind: Deployment
metadata: {name: builder}
spec:
  replicas: 1
  selector: {matchLabels: {app: builder}}
  template:
    metadata: {labels: {app: builder}}
    spec:
      serviceAccountName: builder
      containers: [{name: build, image: private.registry.com/team/builder:1.0}]
EOF
  accepted
  no_warning
  wait_pods team-a app=builder 1
  run -0 kubectl get pods -n team-a -l app=builder -o jsonpath='{.items[0].spec.imagePullSecrets}'
  [ "$output" = '[{"name":"regcred"}]' ]
  no_failed_creates team-a
}

@test "cluster: kubectl run naming a pull secret that does not exist is denied" {
  k run app --image=private.registry.com/team/app:1.0 -n team-a \
    --overrides='{"spec":{"imagePullSecrets":[{"name":"regcred-ro"}]}}'
  denied_by "$LOOKUPS" 'Pod "app" in namespace "team-a": Secret "regcred-ro" does not exist in namespace "team-a"' \
    'To fix: write Secret "regcred-ro" with `kubectl create secret docker-registry regcred-ro --docker-server=private.registry.com'
  [[ "$stderr" == "Error from server: admission webhook "* ]]
}

@test "cluster: kubectl run naming a pull secret of another namespace is denied: Secrets are namespace-scoped" {
  k create secret docker-registry regcred-ro -n team-b --docker-server=private.registry.com \
    --docker-username=robot --docker-password="$PASSWORD_SERVED"
  accepted
  k run app --image=private.registry.com/team/app:1.0 -n team-a \
    --overrides='{"spec":{"imagePullSecrets":[{"name":"regcred-ro"}]}}'
  denied_by "$LOOKUPS" 'Secret "regcred-ro" does not exist in namespace "team-a" (Secrets are namespace-scoped: the kubelet reads a Pod'"'"'s pull secrets from the Pod'"'"'s own namespace)'
}

@test "cluster: kubectl debug adds an ephemeral container whose image the Pod's secret serves, and is denied one it does not" {
  k run served --image=private.registry.com/team/app:1.0 -n team-a \
    --overrides='{"spec":{"imagePullSecrets":[{"name":"regcred"}]}}'
  accepted
  k debug served -n team-a --image=private.registry.com/team/debug:1.0 --container debug-served
  accepted
  run -0 kubectl get pod served -n team-a -o jsonpath='{.spec.ephemeralContainers[*].image}'
  [ "$output" = private.registry.com/team/debug:1.0 ]
  k debug served -n team-a --image=quay.io/my-org/debug:1.0 --container debug-quay
  denied_by "$LOOKUPS" 'Pod "served" in namespace "team-a": 1 container cannot pull its image: ephemeral container "debug-quay" pulls "quay.io/my-org/debug:1.0" from registry quay.io, but no key of its pull secret regcred serves it: regcred holds "private.registry.com".'
  # (Its "To fix" tells to replace regcred with a quay.io key, which would break the Pod's
  # private.registry.com image; see the report of the cluster suite's first runs.)
  run -0 kubectl get pod served -n team-a -o jsonpath='{.spec.ephemeralContainers[*].name}'
  [ "$output" = debug-served ]
}

@test "cluster: kubectl rollout restart is accepted, and the new ReplicaSet's Pods are admitted" {
  k rollout restart deployment/web2 -n team-a
  accepted
  [ "$output" = "deployment.apps/web2 restarted" ]
  no_warning
  # Nothing becomes ready, so the rollout stops at its surge: one Pod of the new ReplicaSet.
  wait_pods team-a app=web2 3
  run -0 kubectl get replicasets -n team-a -l app=web2 -o name
  [ "$(wc -l <<<"$output")" -eq 2 ]
  no_failed_creates team-a
}

@test "cluster: a public image needs no pull secret" {
  k run nginx --image=nginx -n team-a
  accepted
  [ "$output" = "pod/nginx created" ]
  no_warning
  k create deployment nginx --image=nginx:1.27 -n team-c
  accepted
  no_warning
}

@test "cluster: the fix (addMissingPullSecrets) adds the secret to the Deployment, kubectl warns, kubectl get shows it" {
  k create deployment web --image=private.registry.com/team/web:1.0 -n team-b
  accepted
  [ "$output" = "deployment.apps/web created" ]
  contains_all "kubectl's stderr" "$stderr" \
    'Warning: added imagePullSecrets "regcred" for container "web" (private.registry.com); the Pods no longer get the pull secrets of ServiceAccount "default"'
  run -0 kubectl get deployment web -n team-b -o jsonpath='{.spec.template.spec.imagePullSecrets}'
  [ "$output" = '[{"name":"regcred"}]' ]
  wait_pods team-b app=web 1
  run -0 kubectl get pods -n team-b -l app=web -o jsonpath='{.items[0].spec.imagePullSecrets}'
  [ "$output" = '[{"name":"regcred"}]' ]
  no_failed_creates team-b
}

# Found in real use: a user's Deployment is denied because ServiceAccount "default" has no pull
# secret; the user patches it and creates the Deployment again at once. The policy server caches
# get_resource answers for about 5 s, so the second try was judged against the ServiceAccount as
# it was read for the first. The policy is to re-read, uncached, before it rejects.
@test "cluster: a ServiceAccount patched with a pull secret serves a Deployment created at once" {
  k create deployment web3 --image=private.registry.com/team/web:1.0 -n team-a
  denied_by "$LOOKUPS" 'ServiceAccount "default" has none'
  run -0 kubectl patch serviceaccount default -n team-a -p '{"imagePullSecrets":[{"name":"regcred"}]}'
  # At once: the policy server still caches the ServiceAccount as it was, and the policy
  # reads it again past the cache before it rejects.
  k create deployment web3 --image=private.registry.com/team/web:1.0 -n team-a
  accepted
  [ "$output" = "deployment.apps/web3 created" ]
  no_warning
}

# pullSecretsInUse (warn, the default with lookups): the policy server lists what pulls with the
# Secret, with the list and watch the README's ClusterRole grants (without them the request
# would hang until the webhook's timeout, and Fail would refuse the deletion).
@test "cluster: kubectl delete secret of a pull secret in use is accepted, and kubectl prints the warning naming its users" {
  # A dry run first: the same warning, and nothing deleted.
  # (web3, through ServiceAccount default, may be missing: the policy server still holds
  # `default` as the previous case first read it, before its patch, for about 5 s, and a
  # warning rests on cached reads; only a rejection reads past the cache.)
  k delete secret regcred -n team-a --dry-run=server
  accepted
  contains_all "kubectl's stderr" "$stderr" 'Warning: Secret "regcred" in namespace "team-a" is still in use: ' \
    'Deployment builder (through ServiceAccount builder)' 'Deployment web2' \
    ' Pods in team-a pull from private.registry.com with regcred' \
    'Instead: update the Secret in place (`kubectl create secret docker-registry regcred --docker-server=private.registry.com --docker-username=<user> --docker-password=<password> -n team-a --dry-run=client -o yaml | kubectl apply -f -`)'
  run -0 kubectl get secret regcred -n team-a -o name
  k delete secret regcred -n team-a
  accepted
  [ "$output" = 'secret "regcred" deleted from team-a namespace' ] || { echo "stdout: $output" >&2; return 1; }
  [[ "$stderr" == 'Warning: Secret "regcred" in namespace "team-a" is still in use: '* ]]
  # Deleting a Secret nothing pulls with says nothing.
  run -0 kubectl create secret generic unused -n team-a --from-literal=k=v
  k delete secret unused -n team-a
  accepted
  no_warning
}

# An ECR token lasts 12 hours: a Secret written with one that has expired is refused before a
# Pod backs off with `unauthorized: authentication required`. The token is dated now - 2 h.
@test "cluster: kubectl apply of a pull secret whose ECR token has expired is denied, saying when" {
  token="$(python3 "$CLUSTER_ROOT/e2e-tests/test_data/credentials.py" ecr -7200)"
  run -0 kubectl create secret docker-registry regcred-ro -n team-a --docker-server=private.registry.com \
    --docker-username=AWS --docker-password="$token" --dry-run=client -o yaml
  manifest="$output"
  run --separate-stderr kubectl apply -f - <<<"$manifest"
  denied_by "$LOOKUPS" 'Secret "regcred-ro" in namespace "team-a" is declared in the policy settings as a pull secret for private.registry.com, but the credential of its registry key "private.registry.com" is an Amazon ECR authorization token that expired 2 hours ago, at ' \
    'aws ecr get-login-password'
  # Not a piece of the token: its envelope, its payload or its data key.
  for piece in "${token:0:16}" "${token:40:16}" "${token: -16}"; do
    [[ "$output$stderr" != *"$piece"* ]] || { echo "shows a piece of the token" >&2; return 1; }
  done
  run kubectl get secret regcred-ro -n team-a
  [ "$status" -ne 0 ]
}

@test "cluster: no log of the policy server or the control plane holds a password" {
  for log in "$WORK/policy-server.log" "$DEST"/run/logs/*.log; do
    no_password "$(cat "$log")" || { echo "in $log" >&2; return 1; }
  done
}
