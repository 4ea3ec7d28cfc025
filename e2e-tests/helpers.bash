# Shared by the end-to-end suites: run the policy the way kwctl runs it, and read its answer.
#
# By default this uses the project's runner (wasmtime + waPC, as kwctl embeds them). With a
# real kwctl the same suites run unchanged:
#   KWCTL=kwctl POLICY=annotated-policy.wasm bats e2e-tests/

setup() {
  ROOT="$(cd "$BATS_TEST_DIRNAME/.." && pwd)"
  KWCTL="${KWCTL:-$ROOT/target/runner/runner/policy-runner}"
  POLICY="${POLICY:-$ROOT/policy.wasm}"
  DATA="$BATS_TEST_DIRNAME/test_data"
  SETTINGS="$DATA/settings.yaml"
}

# evaluate REQUEST [kwctl options...]: runs the policy on test_data/REQUEST with the suite's
# settings unless other settings are given. Only stdout is kept in $output (kwctl logs on stderr).
evaluate() {
  local request="$1"
  shift
  if [ "$#" -eq 0 ]; then
    set -- -s "$SETTINGS"
  fi
  run --separate-stderr "$KWCTL" run -r "$DATA/$request" "$@" "$POLICY"
  [ "$status" -eq 0 ] || { echo "exit $status: $stderr" >&2; return 1; }
}

allowed() { [ "$(jq -r .allowed <<<"$output")" = true ] || { echo "not allowed: $output" >&2; return 1; }; }
rejected() { [ "$(jq -r .allowed <<<"$output")" = false ] || { echo "not rejected: $output" >&2; return 1; }; }
message() { jq -r '.status.message // ""' <<<"$output"; }
warnings() { jq -r '(.warnings // []) | join("\n")' <<<"$output"; }
# contains_all WHAT HAYSTACK TEXT...: HAYSTACK contains every TEXT.
contains_all() {
  local what="$1" haystack="$2"
  shift 2
  for text in "$@"; do
    [[ "$haystack" == *"$text"* ]] || { echo "$what lacks <$text>: $haystack" >&2; return 1; }
  done
}
# message_has TEXT...: the rejection message contains every TEXT.
message_has() { contains_all message "$(message)" "$@"; }
warnings_have() { contains_all warnings "$(warnings)" "$@"; }
no_warnings() { [ "$(jq -c .warnings <<<"$output")" = null ] || { echo "warnings: $output" >&2; return 1; }; }

# Settings the policy must refuse: exit 1 and kwctl's message, naming the field.
refused_settings() {
  local settings="$1" fragment="$2"
  run --separate-stderr "$KWCTL" run -r "$DATA/pod-public.json" --settings-json "$settings" "$POLICY"
  [ "$status" -eq 1 ] || { echo "exit $status, stdout: $output" >&2; return 1; }
  [ -z "$output" ]
  [[ "$stderr" == *"Provided settings are not valid: "*"$fragment"* ]] || { echo "stderr: $stderr" >&2; return 1; }
}


# The fixtures' one credential (see test_data/generate.py) must never reach any output.
no_credentials() {
  local all="$output$stderr" auth pass64
  auth="$(printf %s 'e2e-robot:s3cr3t-Pa55w0rd-e2e' | base64 -w0)"
  pass64="$(printf %s 's3cr3t-Pa55w0rd-e2e' | base64 -w0)"
  for piece in s3cr3t Pa55w0rd "${auth:0:12}" "${auth:12:12}" "${pass64:0:12}" "${pass64:12:12}"; do
    [[ "$all" != *"$piece"* ]] || { echo "output shows a credential piece <$piece>: $all" >&2; return 1; }
  done
}

# The response changes nothing: no patch.
no_patch() { [ "$(jq -r '.patch // "none"' <<<"$output")" = none ] || { echo "patched: $output" >&2; return 1; }; }
# patched REQUEST: the request's object with the response's patch applied, as the API server
# would store it.
patched() { python3 "$BATS_TEST_DIRNAME/apply_patch.py" "$DATA/$1" <<<"$output"; }
# pull_secrets_of OBJECT_JSON PATH: the names in the imagePullSecrets at jq PATH.
pull_secrets_of() { jq -c "[$2.imagePullSecrets[]?.name]" <<<"$1"; }
