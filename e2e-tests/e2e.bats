#!/usr/bin/env bats
# End-to-end cases for Pods and workload templates (helpers.bash says how they run).

bats_require_minimum_version 1.5.0
load helpers

@test "a public Docker Hub image needs no pull secret" {
  evaluate pod-public.json
  allowed
  no_warnings
  [ "$(jq -r .uid <<<"$output")" = e2e-pod-create ]
}

@test "a private image with a secret that serves its registry is accepted" {
  evaluate pod-private-served.json
  allowed
  no_warnings
}

@test "a private image without imagePullSecrets is rejected" {
  evaluate pod-private-no-secret.json
  rejected
  message_has 'Pod "pod-private-no-secret" in namespace "team-a"' \
    'container "app" pulls "private.registry.com/team/app:1.0" from registry private.registry.com' \
    'needs one of the pull secrets regcred, regcred-ro' \
    'imagePullSecrets is empty' \
    'add one of regcred, regcred-ro to spec.imagePullSecrets' 'namespace "team-a"'
}

@test "a secret declared for another registry is named as such" {
  evaluate pod-private-wrong-secret.json
  rejected
  message_has 'imagePullSecrets lists gcr-creds' 'gcr-creds serves gcr.io, not private.registry.com'
  [[ "$(message)" != *'"web"'* ]]
}

@test "init containers are checked" {
  evaluate pod-init-private.json
  rejected
  message_has 'init container "migrate" pulls "private.registry.com/team/app:1.0"'
}

@test "every offending container is listed, init containers first" {
  evaluate pod-many-problems.json
  rejected
  message_has '3 containers cannot pull their images' \
    'init container "setup" pulls "quay.io/my-org/setup"' \
    'container "app" pulls "private.registry.com/team/app:1.0"' \
    'container "metrics" pulls "gcr.io/proj/metrics:1"' \
    'regcred-old is not declared for any registry'
  m="$(message)"
  [[ "${m%%container \"app\"*}" == *'init container "setup"'* ]]
  [[ "$m" != *'"web"'* ]]
}

@test "kubectl debug: a new ephemeral container is checked" {
  evaluate pod-ephemeral-unserved.json
  rejected
  message_has 'ephemeral container "debugger" pulls "gcr.io/tools/debug:1"' \
    'imagePullSecrets of an existing Pod cannot change'
}

@test "kubectl debug: an ephemeral container the Pod's secrets serve is accepted" {
  evaluate pod-ephemeral-served.json
  allowed
}

@test "Docker Hub short names normalise to docker.io" {
  evaluate pod-hub-private-org.json
  rejected
  message_has 'pulls "mycompany/app:2" from registry docker.io' 'needs the pull secret dockerhub-creds' \
    '(registry entry docker.io/mycompany)'
  evaluate pod-hub-private-org-served.json
  allowed
}

@test "a registry port must match" {
  evaluate pod-port-served.json
  allowed
  evaluate pod-port-wrong.json
  allowed
  warnings_have 'registry registry.local:5001 is not in the policy settings' 'did you mean registry.local:5000? (the port differs: the image has'
}

@test "a missing port is another registry, with a hint" {
  evaluate pod-port-missing.json
  allowed
  warnings_have 'did you mean registry.local:5000? (the port differs: the image has'
}

@test "a glob entry covers one DNS label per star" {
  evaluate pod-glob-ecr.json
  allowed
  no_warnings
}

@test "a path prefix covers whole path segments" {
  evaluate pod-path-prefix-no-secret.json
  rejected
  message_has 'needs the pull secret quay-my-org'
  evaluate pod-path-prefix-other-org.json
  allowed
}

@test "near misses of a configured registry get a hint" {
  evaluate pod-near-miss-typo.json
  allowed
  warnings_have 'registry my-private.registry.com is not in the policy settings' 'did you mean private.registry.com? (the host looks like a typo)'
  evaluate pod-near-miss-case.json
  allowed
  warnings_have 'did you mean private.registry.com? (the host differs in case, and the kubelet compares hosts case-sensitively)'
}

@test "unlistedRegistries: reject refuses other registries, with near-miss hints" {
  evaluate pod-unlisted-registry.json -s "$DATA/settings-only-listed.json"
  rejected
  message_has 'from registry ghcr.io, which the policy settings do not list (unlistedRegistries: reject)' \
    'pull from a listed registry (private.registry.com, gcr.io, docker.io)'
  evaluate pod-near-miss-typo.json -s "$DATA/settings-only-listed.json"
  rejected
  message_has 'did you mean private.registry.com? (the host looks like a typo)'
  evaluate pod-public.json -s "$DATA/settings-only-listed.json"
  allowed
}

@test "an invalid image reference is rejected as the kubelet would" {
  evaluate pod-invalid-image.json
  rejected
  message_has 'pulls "private.registry.com/Team/App", which is not a valid image reference' 'InvalidImageName'
}

@test "every workload kind is checked at its pod template" {
  for kind in deployment replicaset statefulset daemonset job cronjob replicationcontroller; do
    evaluate "$kind-private-wrong-secret.json"
    rejected
    message_has 'gcr-creds serves gcr.io, not private.registry.com'
    evaluate "$kind-private-served.json"
    allowed
  done
  evaluate deployment-private-wrong-secret.json
  message_has 'Deployment "deployment-app"' 'to spec.template.spec.imagePullSecrets'
  evaluate cronjob-private-wrong-secret.json
  message_has 'CronJob "cronjob-app"' 'to spec.jobTemplate.spec.template.spec.imagePullSecrets'
}

@test "a template without pull secrets is rejected by default, naming its ServiceAccount" {
  evaluate deployment-no-pull-secrets.json
  rejected
  message_has 'the pod template lists no imagePullSecrets' 'ServiceAccount "builder"' \
    'templatesWithoutPullSecrets: warn'
  evaluate cronjob-no-pull-secrets.json
  rejected
  message_has 'ServiceAccount "default"'
}

@test "templatesWithoutPullSecrets: warn accepts such templates with a warning" {
  settings="$(jq -c '. + {templatesWithoutPullSecrets: "warn"}' "$DATA/settings-only-listed.json")"
  evaluate deployment-no-pull-secrets.json --settings-json "$settings"
  allowed
  warnings_have 'container "app"' 'its Pods must get one from ServiceAccount "builder"'
  # A Pod's own list is final: no forgiveness there.
  evaluate pod-private-no-secret.json --settings-json "$settings"
  rejected
}

@test "an update that keeps the images is accepted" {
  evaluate deployment-update-scale.json
  allowed
}

@test "an update that changes an image is judged" {
  evaluate deployment-update-new-image.json
  rejected
  message_has 'pulls "private.registry.com/team/app:1.1"'
}

@test "DELETE is accepted" {
  evaluate deployment-delete.json
  allowed
}

@test "other kinds are accepted untouched" {
  evaluate configmap.json
  allowed
  no_warnings
  evaluate custom-deployment-kind.json
  allowed
}

@test "a malformed request of a checked kind is rejected with a reason, not a crash" {
  evaluate pod-malformed.json
  rejected
  message_has 'cannot read the admission request: request.object.spec.containers: invalid type: string'
  [[ "$(message)" != *internal* ]]
  evaluate pod-without-object.json
  rejected
  message_has 'has no object to check'
}

@test "a whole AdmissionReview is accepted as the request file" {
  evaluate admission-review-pod.json
  rejected
  message_has 'Pod "wrapped"'
}

@test "settings with no registries accept everything" {
  evaluate pod-private-no-secret.json --settings-json '{}'
  allowed
  evaluate pod-private-no-secret.json
  rejected
}

@test "settings errors name the field" {
  refused_settings '{"registry": []}' 'unknown field `registry`'
  refused_settings '{"registries": [{"registry": "a.io", "pullSecret": ["x"]}]}' 'registries[0].pullSecret: unknown field `pullSecret`'
  refused_settings '{"registries": {}}' 'registries: invalid type: map'
  refused_settings '{"registries": [{"pullSecrets": []}]}' 'registries[0]: missing field `registry`'
  refused_settings '{"registries": [{"registry": ""}]}' 'registries[0].registry: `` must not be empty'
  refused_settings '{"registries": [{"registry": "https://private.registry.com/"}]}' 'registries[0].registry: `https://private.registry.com/` must be a registry host, not a URL'
  refused_settings '{"registries": [{"registry": "my_registry.io"}]}' 'registries[0].registry: `my_registry.io` host'
  refused_settings '{"registries": [{"registry": "registry.io:99999"}]}' 'port `99999` must be a number from 1 to 65535'
  refused_settings '{"registries": [{"registry": "quay.io/My-Org"}]}' 'must be lowercase'
  refused_settings '{"registries": [{"registry": "a.io", "pullSecrets": ["Regcred"]}]}' 'registries[0].pullSecrets[0]: `Regcred` is not a valid Secret name'
  refused_settings '{"registries": [{"registry": "a.io", "pullSecrets": [7]}]}' 'registries[0].pullSecrets[0]: invalid type: integer'
  refused_settings '{"registries": [{"registry": "a.io", "pullSecrets": ["x", "x"]}]}' 'registries[0].pullSecrets[1]: `x` is listed twice'
  refused_settings '{"registries": [{"registry": "docker.io"}, {"registry": "index.docker.io"}]}' 'registries[1].registry: `index.docker.io` is listed twice (also as registries[0])'
  refused_settings '{"unlistedRegistries": "deny"}' 'unlistedRegistries: unknown value `deny`, expected `allow` or `reject`'
  refused_settings '{"templatesWithoutPullSecrets": true}' 'templatesWithoutPullSecrets: invalid type: boolean'
}
