#!/usr/bin/env bats
# The largest requests the policy can be sent, through the compiled module: each gets a clear
# accept or reject, never a trap or an internal error (`make limits` prints their costs).
# And the same request always gets the same answer, byte for byte.

bats_require_minimum_version 1.5.0
load helpers

setup_file() {
  export LIMITS="$BATS_FILE_TMPDIR/limits"
  python3 "$BATS_TEST_DIRNAME/test_data/generate.py" --limits "$LIMITS"
}

# limit NAME [kwctl options...]: evaluates the limit request NAME.
limit() {
  local name="$1"
  shift
  [ "$#" -gt 0 ] || set -- -s "$SETTINGS"
  run --separate-stderr "$KWCTL" run -r "$LIMITS/$name.json" "$@" "$POLICY"
  [ "$status" -eq 0 ] || { echo "exit $status: $stderr" >&2; return 1; }
  [[ "$output" != *'"code":500'* ]] || { echo "internal error: $output" >&2; return 1; }
}

@test "limits: 3 MiB, the API server's limit, of every checked kind" {
  for kind in pod deployment replicaset statefulset daemonset job cronjob replicationcontroller secret-dockerconfigjson secret-opaque; do
    limit "3mib-$kind"
    allowed
  done
}

@test "limits: a Pod with 5,000 containers" {
  limit pod-5000-containers
  allowed
}

@test "limits: a Pod with 200 pull secrets, named and read from the cluster" {
  limit pod-200-pull-secrets
  allowed
  limit pod-200-pull-secrets --settings-json "$(jq -c . "$DATA/settings-lookups.json")" \
    --allow-context-aware --replay-host-capabilities-interactions "$LIMITS/pod-200-pull-secrets.session.yml"
  allowed
}

@test "limits: a .dockerconfigjson with 10,000 registry keys" {
  limit secret-10000-keys
  allowed
}

@test "limits: image names of 100,000 characters" {
  limit image-100000-chars
  rejected
  message_has 'repository name must not be longer than 255 characters'
  limit image-host-100000-chars
  allowed
}

@test "limits: JSON nested as deep as serde_json reads it" {
  limit json-depth-120
  allowed
  # Deeper, the host's own reading of the request stops first (kwctl and the policy server read
  # the AdmissionReview with the same serde_json limit of 128 levels): the module never sees it.
  run --separate-stderr "$KWCTL" run -r "$LIMITS/json-depth-5000.json" -s "$SETTINGS" "$POLICY"
  [ "$status" -eq 1 ]
  [[ "$stderr" == *"recursion limit exceeded"* ]]
}

@test "the same request gets the same answer, byte for byte" {
  for request in pod-many-problems.json secret-extra-unusable-entry.json deployment-no-pull-secrets.json pod-near-miss-typo.json; do
    evaluate "$request"
    first="$output"
    evaluate "$request"
    [ "$output" = "$first" ] || { echo "$first"$'\n'"$output" >&2; return 1; }
  done
}
