#!/usr/bin/env bats
# End-to-end cases for pull secrets still in use (pullSecretsInUse, with clusterLookups: true):
# a Secret's DELETE or UPDATE, or a ServiceAccount's, judged by the Pods and templates of the
# namespace that pull with it. Each case replays a kwctl session (test_data/sessions/in-use-*.yml)
# that answers the policy's list_resources_by_namespace calls (one per kind, with its field
# masks) and its get_resource calls, in order; a call the session does not expect fails the run,
# and an exchange left unreplayed fails the case (kwctl and the runner both warn of it), so a
# case proves which lookups were made, and no more (an empty session: none).

bats_require_minimum_version 1.5.0
load helpers

# in_use REQUEST SESSION [SETTINGS_JSON]: evaluates with lookups answered from the session.
in_use() {
  local request="$1" session="$2" settings="${3:-$(jq -c . "$DATA/settings-lookups.json")}"
  evaluate "$request" --settings-json "$settings" --allow-context-aware \
    --replay-host-capabilities-interactions "$DATA/sessions/$session.yml"
  [[ "$stderr" != *"have not been replayed"* ]] || { echo "exchanges left over: $stderr" >&2; return 1; }
}

# The lookup settings with pullSecretsInUse set.
setting() { jq -c --arg v "$1" '. + {pullSecretsInUse: $v}' "$DATA/settings-lookups.json"; }

IN_USE='Secret "regcred" in namespace "team-a" is still in use: Deployment web, CronJob nightly and 2 Pods in team-a pull from private.registry.com with regcred'
INSTEAD='update the Secret in place (`kubectl create secret docker-registry regcred --docker-server=private.registry.com --docker-username=<user> --docker-password=<password> -n team-a --dry-run=client -o yaml | kubectl apply -f -`), keeping a key for private.registry.com, or move them to another Secret first'

@test "in use: deleting a Secret that a Deployment, a CronJob and Pods pull with is accepted with a warning (the default)" {
  in_use in-use-secret-delete.json in-use-deployment
  allowed
  warnings_have "$IN_USE" 'their image pulls fail (ImagePullBackOff) once it is deleted' "$INSTEAD"
  # The Deployment's ReplicaSet and the CronJob's Job are their owners', not named again.
  [[ "$(warnings)" != *ReplicaSet* && "$(warnings)" != *nightly-29012345* ]]
  no_credentials
}

@test "in use: with pullSecretsInUse: reject, deleting it is refused with the same words" {
  in_use in-use-secret-delete.json in-use-deployment "$(setting reject)"
  rejected
  message_has "$IN_USE" "$INSTEAD"
  no_credentials
}

@test "in use: a deletecollection's request has no name; the Secret's own is used" {
  in_use in-use-secret-deletecollection.json in-use-deployment
  allowed
  warnings_have "$IN_USE"
}

@test "in use: a Secret nothing pulls with is deleted without a word" {
  in_use in-use-secret-delete.json in-use-unused
  allowed
  no_warnings
}

@test "in use: a Secret used only through a ServiceAccount names the template and the ServiceAccount" {
  in_use in-use-secret-delete.json in-use-service-account
  allowed
  warnings_have 'Deployment builder-app (through ServiceAccount builder) in team-a pulls from private.registry.com with regcred'
  # A rejection reads the ServiceAccount again, past the host's cache (the session's second read).
  in_use in-use-secret-delete.json in-use-service-account-reject "$(setting reject)"
  rejected
  message_has 'Deployment builder-app (through ServiceAccount builder)'
}

@test "in use: a Secret referenced only by Pods with public images is deleted without a word" {
  in_use in-use-secret-delete.json in-use-public
  allowed
  no_warnings
}

@test "in use: a Deployment scaled to zero still pulls with it" {
  in_use in-use-secret-delete.json in-use-scaled-to-zero
  allowed
  warnings_have 'Deployment legacy in team-a pulls from private.registry.com with regcred'
}

@test "in use: the same name in another namespace is another Secret" {
  in_use in-use-secret-delete-team-b.json in-use-team-b
  allowed
  no_warnings
}

@test "in use: an update that drops the registry's key: its users are named beside the Secret check's verdict" {
  lost='Secret "regcred" in namespace "team-a" would no longer serve private.registry.com: Deployment web, CronJob nightly and 2 Pods in team-a pull from private.registry.com with regcred'
  # regcred is declared for private.registry.com: the Secret check rejects, the warning stays.
  in_use in-use-secret-update-drop-key.json in-use-deployment
  rejected
  message_has 'is declared in the policy settings as a pull secret for private.registry.com, but none of its registry keys serves'
  warnings_have "$lost" \
    'keep a key for private.registry.com in it (`kubectl create secret docker-registry regcred --docker-server=private.registry.com'
  # Without the Secret check, it is the only word: a warning.
  in_use in-use-secret-update-drop-key.json in-use-deployment \
    "$(setting warn | jq -c '. + {validateSecrets: false}')"
  allowed
  warnings_have "$lost"
  # Both reject: both messages.
  in_use in-use-secret-update-drop-key.json in-use-deployment "$(setting reject)"
  rejected
  message_has 'none of its registry keys serves' "$lost"
  no_credentials
}

@test "in use: rotating the password, or writing the key with https://, changes nothing that matters: no lookup, no word" {
  for request in in-use-secret-update-rotate.json in-use-secret-update-https.json; do
    # An empty session: a list would fail the run.
    in_use "$request" none "$(setting reject)"
    allowed
    no_warnings
  done
}

@test "in use: a ServiceAccount update that drops a pull secret its templates need warns" {
  in_use in-use-sa-update.json in-use-sa-update
  allowed
  warnings_have 'ServiceAccount "builder" in namespace "team-a" would no longer give its Pods pull secret regcred: Deployment builder-app (through ServiceAccount builder) in team-a pulls from private.registry.com with regcred' \
    'keep regcred in the ServiceAccount, or list it (or another Secret that serves private.registry.com) in their own imagePullSecrets first'
  # Deployment web lists its own pull secrets: the ServiceAccount's are not its.
  [[ "$(warnings)" != *"Deployment web"* ]]
}

@test "in use: lookups off (or pullSecretsInUse: allow) makes no lookup" {
  evaluate in-use-secret-delete.json -s "$SETTINGS" --allow-context-aware \
    --replay-host-capabilities-interactions "$DATA/sessions/none.yml"
  allowed
  no_warnings
  in_use in-use-secret-delete.json none "$(setting allow)"
  allowed
  no_warnings
  refused_settings '{"pullSecretsInUse": "reject"}' \
    'pullSecretsInUse: `reject` needs clusterLookups: true'
}

@test "in use: a policy that may not list says which resources to grant, and accepts" {
  # Without --allow-context-aware nothing is granted: each list is refused before the host.
  evaluate in-use-secret-delete.json --settings-json "$(setting reject)"
  allowed
  warnings_have 'Secret "regcred" in namespace "team-a" was not checked for Pods and workloads that still pull with it: the policy may not list pods, deployments, statefulsets, daemonsets, jobs, cronjobs, replicasets and replicationcontrollers: add {apiVersion: v1, kind: Pod}, {apiVersion: apps/v1, kind: Deployment}' \
    'to spec.contextAwareResources'
}

@test "in use: deleting a workload, or a kind the policy does not know, stays accepted untouched" {
  in_use deployment-delete.json none
  allowed
  no_warnings
  in_use configmap.json none
  allowed
  no_warnings
}
