#!/usr/bin/env bash
# The policy's bounds, measured through the compiled module: every limit request (generate.py
# --limits) is evaluated by the runner, as kwctl would, and its answer, the time of the guest's
# validate call and the guest's peak linear memory are printed as a table.
#
#   e2e-tests/limits.sh [RUNNER] [POLICY]
set -euo pipefail
cd "$(dirname "$0")/.."
RUNNER="${1:-target/runner/runner/policy-runner}"
POLICY="${2:-policy.wasm}"
DATA=e2e-tests/test_data
OUT=target/limits
python3 "$DATA/generate.py" --limits "$OUT"

printf '%-34s %9s  %-10s %12s %14s\n' request bytes answer "validate µs" "guest memory"
measure() {
  local name="$1" request="$2"
  shift 2
  local stdout stderr answer micros memory
  stderr="$(mktemp)"
  if stdout="$(POLICY_RUNNER_MEMORY=1 POLICY_RUNNER_METADATA=metadata.yml \
      "$RUNNER" run -r "$request" "$@" "$POLICY" 2>"$stderr")"; then
    answer="$(jq -r 'if .allowed then "accepted" elif (.status.code == 500) then "ERROR" else "rejected" end' <<<"$stdout")"
  else
    answer="not read"
  fi
  micros="$(sed -n 's/^policy-runner: validate: \([0-9]*\) µs.*/\1/p' "$stderr")"
  memory="$(sed -n 's/.*guest memory \([0-9]*\) bytes.*/\1/p' "$stderr")"
  printf '%-34s %9s  %-10s %12s %14s\n' "$name" "$(stat -c %s "$request")" "$answer" \
    "${micros:--}" "$([ -n "$memory" ] && echo "$((memory / 1024)) KiB" || echo -)"
  rm -f "$stderr"
}
for request in "$OUT"/*.json; do
  measure "$(basename "$request" .json)" "$request" -s "$DATA/settings.yaml"
done
measure "pod-200-pull-secrets, lookups" "$OUT/pod-200-pull-secrets.json" \
  --settings-json "$(jq -c . "$DATA/settings-lookups.json")" --allow-context-aware \
  --replay-host-capabilities-interactions "$OUT/pod-200-pull-secrets.session.yml"
