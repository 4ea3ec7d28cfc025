#!/usr/bin/env bats
# End-to-end cases for credentials that say when they stop working (issue 17): ECR tokens,
# JWTs, and the hour-long `ghs_` and `ya29.` tokens, judged by the compiled module at the time
# the host's clock gives it. The requests and replay sessions are made as the test runs
# (test_data/credentials.py), dated relative to that moment, so that "expired 2 days ago" is
# two days old when the policy reads it.

bats_require_minimum_version 1.5.0
load helpers

CREDENTIALS="$BATS_TEST_DIRNAME/test_data/credentials.py"

# credential ARGS...: writes a Secret request with credentials.py (dated from $NOW) to $REQUEST.
credential() {
  NOW="$(date +%s)"
  REQUEST="$BATS_TEST_TMPDIR/request.json"
  python3 "$CREDENTIALS" --now "$NOW" request "$@" -o "$REQUEST"
}

# run_request [kwctl options...]: evaluates $REQUEST (an absolute path) as `evaluate` does.
run_request() {
  if [ "$#" -eq 0 ]; then
    set -- -s "$SETTINGS"
  fi
  run --separate-stderr "$KWCTL" run -r "$REQUEST" "$@" "$POLICY"
  [ "$status" -eq 0 ] || { echo "exit $status: $stderr" >&2; return 1; }
}

# at OFFSET: the RFC 3339 time OFFSET seconds from $NOW, as the messages write it.
at() { date -u -d "@$(( NOW + $1 ))" +%Y-%m-%dT%H:%M:%SZ; }

# The credential of $REQUEST's Secret, and its auth value: no 12-character piece of either may
# show in any output.
no_token() {
  local all="$output$stderr" auth secret i
  auth="$(jq -r '.object.data[".dockerconfigjson"] | @base64d | fromjson | .auths[].auth' "$REQUEST")"
  secret="$(base64 -d <<<"$auth")"
  secret="${secret#*:}"
  for value in "$auth" "$secret"; do
    for (( i = 0; i + 12 <= ${#value}; i += 12 )); do
      [[ "$all" != *"${value:i:12}"* ]] || { echo "output shows a piece of the token <${value:i:12}>: $all" >&2; return 1; }
    done
  done
}

@test "expiry: a Secret whose ECR token expired 2 days ago is rejected, naming the key and the time" {
  credential ecr -172800
  run_request
  rejected
  message_has 'Secret "regcred" in namespace "team-a" is declared in the policy settings as a pull secret for private.registry.com, but the credential of its registry key "private.registry.com" is an Amazon ECR authorization token that expired 2 days ago, at '"$(at -172800)"': the registry refuses it' \
    'ECR tokens last 12 hours, so let the nodes pull from ECR with their own credentials' \
    '`kubectl create secret docker-registry regcred --docker-server=private.registry.com --docker-username=AWS --docker-password="$(aws ecr get-login-password --region <region>)" -n team-a --dry-run=client -o yaml | kubectl apply -f -`'
  no_token
}

@test "expiry: an ECR registry's token gets the region of its host in the fresh-token command" {
  credential ecr -3600 --registry 123456789012.dkr.ecr.eu-west-1.amazonaws.com --name ecr-creds
  run_request --settings-json '{"registries":[{"registry":"*.dkr.ecr.*.amazonaws.com","pullSecrets":["ecr-creds"]}]}'
  rejected
  message_has 'expired 1 hour ago, at '"$(at -3600)" \
    'pullSecrets: [] for *.dkr.ecr.*.amazonaws.com in the policy settings' \
    '--docker-server=123456789012.dkr.ecr.eu-west-1.amazonaws.com --docker-username=AWS --docker-password="$(aws ecr get-login-password --region eu-west-1)"'
  no_token
}

@test "expiry: a token that expires in 3 hours is accepted with a warning that says when" {
  credential ecr 10800
  run_request
  allowed
  warnings_have 'Secret "regcred" in namespace "team-a" has the registry key "private.registry.com", whose credential is an Amazon ECR authorization token that expires in 3 hours, at '"$(at 10800)"
  no_token
}

@test "expiry: a JWT past its exp is rejected, one with a month to go is not" {
  credential jwt -7200 --iat -18000
  run_request
  rejected
  message_has 'is a JSON Web Token that expired 2 hours ago, at '"$(at -7200)" '--docker-password=<a fresh token>'
  no_token
  credential jwt 2592000
  run_request
  allowed
  no_warnings
}

@test "expiry: hour-long tokens (ghs_, ya29.) get a warning" {
  credential ghs
  run_request
  allowed
  warnings_have 'a GitHub App installation token, which stops working within an hour of its issue'
  no_token
  credential ya29
  run_request
  allowed
  warnings_have 'a Google OAuth access token, which stops working within an hour of its issue'
  no_token
}

@test "expiry: an expired key in a Secret declared for no registry only warns" {
  credential ecr -86400 --name build-cache
  run_request
  allowed
  warnings_have 'Secret "build-cache" in namespace "team-a" has the registry key "private.registry.com", whose credential is an Amazon ECR authorization token that expired 24 hours ago'
  no_token
}

@test "expiry: an UPDATE that refreshes the token is accepted; one that leaves the content alone is not judged again" {
  credential ecr 43200 --update-from -3600
  run_request
  allowed
  warnings_have 'expires in 12 hours, at '"$(at 43200)"
  no_token
  # A relabelling of a Secret whose token has expired: the same content, not judged again.
  credential ecr -3600 --update-from -3600
  jq '.oldObject = .object' "$REQUEST" >"$REQUEST.same" && mv "$REQUEST.same" "$REQUEST"
  run_request
  allowed
  no_warnings
}

# lookup REQUEST NAME=KIND:OFFSET...: evaluates test_data/REQUEST with cluster lookups, the
# Secrets' reads answered from a session made now (cached reads, then the same past the cache).
lookup() {
  local request="$1"
  shift
  NOW="$(date +%s)"
  SESSION="$BATS_TEST_TMPDIR/session.yml"
  python3 "$CREDENTIALS" --now "$NOW" session -o "$SESSION" "$@"
  evaluate "$request" --settings-json "$(jq -c . "$DATA/settings-lookups.json")" --allow-context-aware \
    --replay-host-capabilities-interactions "$SESSION"
}

@test "expiry: a Pod whose only pull secret holds an expired token is rejected, naming the Secret and the time" {
  lookup lookup-pod-regcred.json regcred=ecr:-7200
  rejected
  message_has 'container "app" pulls "private.registry.com/team/app:1.0" from registry private.registry.com, but every credential its pull secrets hold for it has expired, and the registry refuses them: Secret "regcred" holds for "private.registry.com" an Amazon ECR authorization token that expired 2 hours ago, at '"$(at -7200)" \
    'rewrites Secret "regcred" every few hours; to write a fresh token now: `kubectl create secret docker-registry regcred --docker-server=private.registry.com --docker-username=AWS'
  ! grep -q 'eyJ' <<<"$output"
}

@test "expiry: a Pod whose first pull secret expired and second works is accepted" {
  lookup lookup-pod-two-secrets.json regcred=ecr:-7200 regcred-ro=ecr:39600
  allowed
  no_warnings
  # ... and both expired: rejected, naming both.
  lookup lookup-pod-two-secrets.json regcred=ecr:-7200 regcred-ro=jwt:-60
  rejected
  message_has 'Secret "regcred" holds for "private.registry.com" an Amazon ECR authorization token that expired 2 hours ago' \
    'Secret "regcred-ro" holds for "private.registry.com" a JSON Web Token that expired 1 minute ago'
}
