#!/usr/bin/env bats
# End-to-end cases for pull secrets themselves (helpers.bash says how they run).

bats_require_minimum_version 1.5.0
load helpers

@test "a pull secret keyed for its declared registry is accepted" {
  for fixture in secret-aligned secret-dockercfg-aligned secret-stringdata-aligned; do
    evaluate "$fixture.json"
    allowed
    no_warnings
    no_credentials
  done
}

@test "bytes that are not UTF-8 in a string are read as the kubelet reads them, not refused" {
  evaluate secret-latin1-email.json
  allowed
  no_warnings
}

@test "the Docker Hub key kubectl writes without --docker-server is caught" {
  evaluate secret-dockerhub-key.json
  rejected
  no_credentials
  message_has 'Secret "regcred" in namespace "team-a" is declared in the policy settings as a pull secret for private.registry.com' \
    'it holds "https://index.docker.io/v1/" (the Docker Hub key that `kubectl create secret docker-registry` writes when --docker-server is left out)' \
    'kubectl create secret docker-registry regcred --docker-server=private.registry.com --docker-username=<user> --docker-password=<password> -n team-a'
}

@test "misaligned keys: port, case, glob, path prefix, and in a .dockercfg" {
  evaluate secret-port-mismatch.json
  rejected
  message_has 'pull secret for registry.local:5000' '"registry.local" (the port differs: the key has no port, the images port 5000)'
  evaluate secret-case-mismatch.json
  rejected
  message_has '"Private.Registry.com" (the host differs in case, and the kubelet compares hosts case-sensitively)'
  evaluate secret-glob-mismatch.json
  rejected
  message_has '"*.example.com" (`*` stands for exactly one DNS label, so *.example.com does not match example.com)'
  evaluate secret-path-mismatch.json
  rejected
  message_has '"quay.io/other-org" (its path /other-org does not cover quay.io/my-org)' '--docker-server=quay.io/my-org'
  no_credentials
  evaluate secret-dockercfg-misaligned.json
  rejected
  message_has 'it holds "https://index.docker.io/v1/" (the Docker Hub key that `kubectl create secret docker-registry` writes when --docker-server is left out)'
  no_credentials
}

@test "poison secrets are rejected, saying they break every pull of the Pod" {
  evaluate secret-poison-auth.json
  rejected
  message_has 'cannot be decoded by the kubelet: in its .dockerconfigjson, `auth` of "private.registry.com" is not base64' \
    'makes every image pull of every Pod that references it fail, public images included'
  no_credentials
  evaluate secret-poison-no-colon.json
  rejected
  message_has '`auth` of "private.registry.com" does not decode to username:password (no `:`)'
  no_credentials
  evaluate secret-poison-type.json
  rejected
  message_has '`password` of "private.registry.com" must be a string, not a number'
  no_credentials
  evaluate secret-dockercfg-poison.json
  rejected
  message_has 'in its .dockercfg, `auth` of "private.registry.com" is not base64'
  evaluate secret-stringdata-poison.json
  rejected
  message_has '`auth` of "private.registry.com" is not base64'
  no_credentials
}

@test "useless secrets are rejected" {
  evaluate secret-useless-identitytoken.json
  rejected
  message_has 'has no credentials the kubelet uses for "private.registry.com" (identitytoken is ignored by the kubelet)'
  no_credentials
  evaluate secret-useless-no-auths.json
  rejected
  message_has 'has no `auths` in its .dockerconfigjson' 'legacy .dockercfg layout'
  evaluate secret-useless-empty-auths.json
  rejected
  message_has 'has an empty `auths`'
  evaluate secret-dockercfg-useless.json
  rejected
  message_has 'has no credentials the kubelet uses for "private.registry.com" (identitytoken is ignored by the kubelet)'
  no_credentials
  evaluate secret-dockercfg-wrapped.json
  rejected
  message_has 'use type kubernetes.io/dockerconfigjson with the key .dockerconfigjson'
  evaluate secret-dropped-key.json
  rejected
  message_has 'has the registry key "registry.io:abc", which the kubelet drops because its port is not a number'
}

@test "suspicious secrets are accepted with a warning" {
  evaluate secret-suspicious-disagree.json
  allowed
  warnings_have 'registry key "private.registry.com" has both `auth` and `username`/`password`, and they disagree: the kubelet uses `auth`'
  no_credentials
  evaluate secret-suspicious-http.json
  allowed
  warnings_have 'registry key "http://registry.local:5000" starts with http://'
  evaluate secret-opaque-with-dockerconfigjson.json
  allowed
  warnings_have 'holds .dockerconfigjson but is of type Opaque: the kubelet ignores it for image pulls unless its type is kubernetes.io/dockerconfigjson'
  no_credentials
  evaluate secret-extra-unusable-entry.json
  allowed
  warnings_have 'has no credentials the kubelet uses for "myreg.azurecr.io" (identitytoken is ignored by the kubelet)'
  no_credentials
}

@test "a secret declared in the settings but of another type is rejected" {
  evaluate secret-declared-opaque.json
  rejected
  message_has 'Secret "regcred" in namespace "team-a" is declared in the policy settings as a pull secret for private.registry.com, but is of type Opaque' \
    'the kubelet reads .dockerconfigjson only from a Secret of type kubernetes.io/dockerconfigjson' \
    'kubectl create secret docker-registry regcred --docker-server=private.registry.com'
  no_credentials
}

@test "a glob entry is served by a secret for one of its registries" {
  settings="$(jq -c '.registries += [{registry: "*.azurecr.io", pullSecrets: ["acr-creds"]}]' "$DATA/settings-only-listed.json")"
  evaluate secret-glob-entry-aligned.json --settings-json "$settings"
  allowed
  no_warnings
  evaluate secret-glob-entry-misaligned.json --settings-json "$settings"
  rejected
  message_has '"azurecr.io" (`*` stands for exactly one DNS label, so *.azurecr.io does not match azurecr.io)' \
    '--docker-server=<the registry matching *.azurecr.io>'
}

@test "ordinary secrets pass untouched" {
  evaluate secret-opaque.json
  allowed
  no_warnings
  no_credentials
  evaluate secret-sa-token.json
  allowed
  no_warnings
}

@test "an update that keeps a secret's content is accepted; one that changes it is judged" {
  evaluate secret-update-relabel.json
  allowed
  evaluate secret-update-content.json
  rejected
  message_has '--dry-run=client -o yaml | kubectl apply -f -'
}

@test "validateSecrets: false switches the secret check off" {
  settings="$(jq -c '. + {validateSecrets: false}' "$DATA/settings-only-listed.json")"
  evaluate secret-poison-auth.json --settings-json "$settings"
  allowed
  no_warnings
  refused_settings '{"validateSecrets": "no"}' 'validateSecrets: invalid type: string'
}
