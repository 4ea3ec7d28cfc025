#!/usr/bin/env bats
# End-to-end cases for addMissingPullSecrets: the policy adds the missing pull secret, as a
# JSON patch kwctl (and the runner) compute from the object the policy returns, and rejects
# whatever it cannot fix, with no patch.

bats_require_minimum_version 1.5.0
load helpers

setup_file() { export FIX_SETTINGS; FIX_SETTINGS="$(jq -c . "$BATS_TEST_DIRNAME/test_data/settings-add-missing.json")"; }

# fix REQUEST: evaluates with addMissingPullSecrets on.
fix() { evaluate "$1" --settings-json "$FIX_SETTINGS"; }

# again REQUEST: evaluates the patched object of REQUEST as a new request (idempotence).
again() {
  local patched_request="$BATS_TEST_TMPDIR/again.json"
  jq --argjson object "$(patched "$1")" '(.request // .) | .object = $object' "$DATA/$1" > "$patched_request"
  run --separate-stderr "$KWCTL" run -r "$patched_request" --settings-json "$FIX_SETTINGS" "$POLICY"
  [ "$status" -eq 0 ]
}

@test "fix: a Pod with a private image and no pull secret gets the registry's first one" {
  fix pod-private-no-secret.json
  allowed
  [ "$(jq -r .patchType <<<"$output")" = JSONPatch ]
  [ "$(jq -r .patch <<<"$output" | base64 -d)" = '[{"op":"add","path":"/spec/imagePullSecrets/0","value":{"name":"regcred"}}]' ]
  warnings_have 'added imagePullSecrets "regcred" for container "app" (private.registry.com)'
  [ "$(pull_secrets_of "$(patched pod-private-no-secret.json)" .spec)" = '["regcred"]' ]
  again pod-private-no-secret.json
  allowed
  no_patch
}

@test "fix: every workload kind gets the secret appended after the wrong one, at its pod template" {
  for kind in deployment replicaset statefulset daemonset job replicationcontroller; do
    fix "$kind-private-wrong-secret.json"
    allowed
    warnings_have 'added imagePullSecrets "regcred" for container "app" (private.registry.com)'
    [ "$(pull_secrets_of "$(patched "$kind-private-wrong-secret.json")" .spec.template.spec)" = '["gcr-creds","regcred"]' ]
    again "$kind-private-wrong-secret.json"
    allowed
    no_patch
  done
  fix cronjob-private-wrong-secret.json
  allowed
  [ "$(pull_secrets_of "$(patched cronjob-private-wrong-secret.json)" .spec.jobTemplate.spec.template.spec)" = '["gcr-creds","regcred"]' ]
}

@test "fix: init containers count, and each secret is added once, in start order" {
  fix pod-init-private.json
  allowed
  warnings_have 'added imagePullSecrets "regcred" for init container "migrate" (private.registry.com)'
  fix pod-many-problems.json
  allowed
  [ "$(pull_secrets_of "$(patched pod-many-problems.json)" .spec)" = '["regcred-old","quay-my-org","regcred","gcr-creds"]' ]
}

@test "fix: a template relying on the default ServiceAccount is told it no longer gets its secrets" {
  fix cronjob-no-pull-secrets.json
  allowed
  warnings_have 'added imagePullSecrets "gcr-creds" for container "job" (gcr.io); the Pods no longer get the pull secrets of ServiceAccount "default"'
  [ "$(jq -r .patch <<<"$output" | base64 -d)" = '[{"op":"add","path":"/spec/jobTemplate/spec/template/spec/imagePullSecrets","value":[{"name":"gcr-creds"}]}]' ]
}

@test "fix: a template relying on another ServiceAccount is rejected, naming it" {
  fix deployment-no-pull-secrets.json
  rejected
  no_patch
  message_has 'ServiceAccount "builder"'
}

@test "fix: nothing to fix, nothing patched" {
  for request in pod-public.json pod-private-served.json deployment-private-served.json configmap.json secret-aligned.json; do
    fix "$request"
    allowed
    no_patch
  done
}

@test "fix: what it cannot fix is rejected as without it, and nothing is patched" {
  fix pod-fixable-and-not.json
  rejected
  no_patch
  message_has 'container "bad" pulls "private.registry.com/Team/App", which is not a valid image reference'
  # An existing Pod's imagePullSecrets cannot change: kubectl debug is rejected as before.
  fix pod-ephemeral-unserved.json
  rejected
  no_patch
  message_has 'imagePullSecrets of an existing Pod cannot change'
}

@test "fix on UPDATE: the fixed object passes with the images the update left alone" {
  # Adding a secret changes the pull secrets: then every image is judged, old ones too.
  fix deployment-update-fix-old-invalid.json
  rejected
  no_patch
  message_has 'container "app" pulls "private.registry.com/team/app:1.0"'
  fix deployment-update-fix-old-unserved.json
  allowed
  [ "$(pull_secrets_of "$(patched deployment-update-fix-old-unserved.json)" .spec.template.spec)" = '["gcr-creds","local-creds","regcred"]' ]
  again deployment-update-fix-old-unserved.json
  allowed
  no_patch
}

@test "fix off: no response carries a patch" {
  for request in pod-private-no-secret.json deployment-private-wrong-secret.json cronjob-no-pull-secrets.json; do
    evaluate "$request"
    rejected
    no_patch
  done
}
