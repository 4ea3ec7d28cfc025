#!/usr/bin/env bats
# End-to-end cases for cluster lookups (clusterLookups: true): the policy reads the Secrets
# and ServiceAccounts a pod spec references. Each case replays a kwctl session
# (test_data/sessions/*.yml) that answers the policy's get_resource calls in order; a call the
# session does not expect fails the run, so a case also proves which lookups were made.

bats_require_minimum_version 1.5.0
load helpers

# lookup REQUEST SESSION [SETTINGS_JSON]: evaluates with lookups answered from the session.
lookup() {
  local request="$1" session="$2" settings="${3:-$(jq -c . "$DATA/settings-lookups.json")}"
  evaluate "$request" --settings-json "$settings" --allow-context-aware \
    --replay-host-capabilities-interactions "$DATA/sessions/$session.yml"
}

# with FIELD VALUE: the lookup settings with one more field.
with() { jq -c --arg k "$1" --arg v "$2" '. + {($k): $v}' "$DATA/settings-lookups.json"; }

@test "lookups: a referenced Secret that serves the image is accepted" {
  lookup lookup-pod-regcred.json secret-aligned
  allowed
  no_warnings
  no_credentials
}

@test "lookups: a Secret that exists but holds another registry's key is rejected, with its keys" {
  lookup lookup-pod-regcred.json secret-dockerhub-key
  rejected
  message_has 'container "app" pulls "private.registry.com/team/app:1.0" from registry private.registry.com, but no key of its pull secret regcred serves it' \
    'regcred holds "https://index.docker.io/v1/" (the Docker Hub key that `kubectl create secret docker-registry` writes when --docker-server is left out)' \
    'replace Secret "regcred" with `kubectl create secret docker-registry regcred --docker-server=private.registry.com --docker-username=<user> --docker-password=<password> -n team-a --dry-run=client -o yaml | kubectl apply -f -`'
  no_credentials
}

@test "lookups: a key without the registry's port is a near miss" {
  lookup lookup-pod-local.json local-no-port
  rejected
  message_has 'local-creds holds "registry.local" (the port differs: the key has no port, the images port 5000)'
}

@test "lookups: a Secret that does not exist, per missingPullSecrets, for a Pod and a template" {
  missing='Secret "regcred" does not exist in namespace "team-a" (Secrets are namespace-scoped'
  lookup lookup-pod-regcred.json secret-missing
  rejected
  message_has "$missing" 'write Secret "regcred" with `kubectl create secret docker-registry regcred --docker-server=private.registry.com'
  lookup lookup-deployment-regcred.json secret-missing
  allowed
  warnings_have "$missing" 'the Pods get no credentials from it until it does'
  for request in lookup-pod-regcred.json lookup-deployment-regcred.json; do
    lookup "$request" secret-missing "$(with missingPullSecrets warn)"
    allowed
    warnings_have "$missing"
    lookup "$request" secret-missing "$(with missingPullSecrets reject)"
    rejected
    message_has "$missing"
  done
}

@test "lookups: a Secret of the wrong type is ignored by the kubelet, and rejected when it is all there is" {
  lookup lookup-pod-regcred.json secret-opaque
  rejected
  message_has 'regcred holds .dockerconfigjson but is of type Opaque: the kubelet ignores it for image pulls unless its type is kubernetes.io/dockerconfigjson' \
    'delete Secret "regcred" (`kubectl delete secret regcred -n team-a`; its type cannot be changed)'
  warnings_have 'Secret "regcred" in namespace "team-a" holds .dockerconfigjson but is of type Opaque'
  no_credentials
}

@test "lookups: a poison Secret fails every pull, and says so without showing it" {
  lookup lookup-pod-regcred.json secret-poison
  rejected
  message_has 'Secret "regcred" in namespace "team-a" cannot be decoded by the kubelet: in its .dockerconfigjson, `auth` of "private.registry.com"' \
    'public images included'
  no_credentials
}

@test "lookups: a template that lists no pull secrets gets its ServiceAccount's" {
  lookup lookup-deployment-service-account.json sa-builder
  allowed
  no_warnings
}

@test "lookups: a ServiceAccount that does not exist, per missingPullSecrets" {
  lookup lookup-deployment-service-account.json sa-missing
  allowed
  warnings_have 'its Pods run as ServiceAccount "builder", which does not exist in namespace "team-a"'
  lookup lookup-deployment-service-account.json sa-missing "$(with missingPullSecrets reject)"
  rejected
  message_has 'create ServiceAccount "builder" (`kubectl create serviceaccount builder -n team-a`)'
}

@test "lookups: a template's own list replaces its ServiceAccount's, which is not read" {
  # The session holds no ServiceAccount exchange: reading it would fail the run.
  lookup lookup-deployment-own-list.json secret-aligned
  allowed
  lookup lookup-deployment-own-list.json secret-dockerhub-key
  rejected
  message_has 'no key of its pull secret regcred serves it'
}

@test "lookups: a \"*\" entry takes any referenced Secret whose content serves the registry" {
  lookup lookup-pod-local.json local-aligned
  allowed
  no_warnings
  lookup lookup-pod-local-none.json none
  rejected
  message_has 'which needs a pull secret that serves it, but imagePullSecrets is empty'
  refused_settings '{"registries": [{"registry": "a.io", "pullSecrets": ["*"]}]}' \
    'registries[0].pullSecrets[0]: `*` (any Secret the Pods reference that serves the registry) needs clusterLookups: true'
}

@test "lookups: a policy not granted Secrets says what to add to the ClusterAdmissionPolicy" {
  evaluate lookup-pod-regcred.json --settings-json "$(jq -c . "$DATA/settings-lookups.json")"
  rejected
  message_has 'the policy may not read secrets ("regcred")' \
    'add {apiVersion: v1, kind: Secret} to spec.contextAwareResources'
  [[ "$(message)" != *internal* ]]
}

@test "lookups: a policy server the API refuses says which permission to give" {
  lookup lookup-pod-regcred.json secret-forbidden
  rejected
  message_has 'the policy server may not get secrets in namespace "team-a" ("regcred")' \
    "let the policy server's ServiceAccount get secrets (policyServer.permissions of the kubewarden-defaults chart"
  [[ "$(message)" != *system:serviceaccount* ]]
}

@test "lookups off: no host call is made" {
  # An empty session: any lookup would fail the run.
  evaluate lookup-pod-regcred.json -s "$SETTINGS" --allow-context-aware \
    --replay-host-capabilities-interactions "$DATA/sessions/none.yml"
  allowed
  evaluate lookup-pod-local-none.json -s "$SETTINGS" --allow-context-aware \
    --replay-host-capabilities-interactions "$DATA/sessions/none.yml"
  rejected
  message_has 'needs the pull secret local-creds, but imagePullSecrets is empty'
}
