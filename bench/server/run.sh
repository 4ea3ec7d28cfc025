#!/usr/bin/env bash
# make server-bench: what users pay per request, measured in the real policy server.
#
# Annotates policy.wasm and floor.wasm with `kwctl annotate`, serves both from ONE
# `policy-server` 1.35 (plain HTTP on loopback, 2 workers, the same settings for both, so that
# both guests are handed the same payload bytes), checks each request's answer once with curl
# (HTTP 200 and the expected `allowed`), then drives /validate/<id> of each module with wrk
# (8 connections, ROUNDS rounds of DURATION, policy and floor alternating which goes first) and
# keeps the best round of each. Prints requests per second, p50 and p99 latency, the server's
# CPU time per request, and policy/floor throughput and CPU. Fails when any answer is not HTTP
# 200 with the expected verdict.
#
# Needs the real kwctl and policy-server (../shared/tools: skipped with a message when missing),
# wrk (Debian package, installed when missing), jq and curl.
#
# Environment (all optional):
#   SERVER_BENCH_DURATION (5s), SERVER_BENCH_ROUNDS (2), SERVER_BENCH_CONNECTIONS (8),
#   SERVER_BENCH_THREADS (wrk threads, 2), SERVER_BENCH_WORKERS (policy-server workers, 2),
#   SERVER_BENCH_LOG_LEVEL (info, policy-server's default: one line per request, for both),
#   SERVER_BENCH_TOOLS (KUBE_TOOLS, or ../shared/tools), POLICY (policy.wasm), FLOOR (floor.wasm),
#   SETTINGS (e2e-tests/test_data/settings.yaml), SERVER_BENCH_OUT (target/server-bench),
#   SERVER_BENCH_REQUESTS ("name=file:allowed ..." instead of the default list),
#   SERVER_BENCH_PERF=1: `perf record -g` the policy server during every round, into
#   $SERVER_BENCH_OUT/rounds/*.perf.data (sampling slows it down: figures for comparison only).
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
cd "$ROOT"
HERE=bench/server
DURATION=${SERVER_BENCH_DURATION:-5s}
ROUNDS=${SERVER_BENCH_ROUNDS:-2}
CONNECTIONS=${SERVER_BENCH_CONNECTIONS:-8}
THREADS=${SERVER_BENCH_THREADS:-2}
WORKERS=${SERVER_BENCH_WORKERS:-2}
LOG_LEVEL=${SERVER_BENCH_LOG_LEVEL:-info}
# The cluster suite's helpers: where the tools are (KUBE_TOOLS, as make cluster-tests reads it)
# and free_port.
# shellcheck source=../../e2e-tests/cluster/helpers.bash
source "$ROOT/e2e-tests/cluster/helpers.bash"
TOOLS=${SERVER_BENCH_TOOLS:-$TOOLS_SRC}
POLICY=${POLICY:-policy.wasm}
FLOOR=${FLOOR:-floor.wasm}
SETTINGS=${SETTINGS:-e2e-tests/test_data/settings.yaml}
OUT=${SERVER_BENCH_OUT:-target/server-bench}
# Where the rejecting floors are built (their own target directory: floor.wasm's is left alone),
# and wasm-opt's flags (the Makefile's, the same for every module).
FLOOR_TARGET=${SERVER_BENCH_FLOOR_TARGET:-$ROOT/target/server-bench-floors}
WASM_OPT_FLAGS=${WASM_OPT_FLAGS:?the Makefile sets them: run make server-bench}
# name=request file:the policy's expected `allowed` (the floor always accepts). The lookups
# and fix requests need a cluster or other settings: they are left to `make bench`.
REQUESTS=${SERVER_BENCH_REQUESTS:-"
  pod-3-containers=bench/requests/pod-3-containers.json:true
  cronjob-10-containers=bench/requests/cronjob-10-containers.json:true
  deployment-10-containers-rejected=bench/requests/deployment-10-containers-rejected.json:false
  secret-dockerconfigjson-20-registries=bench/requests/secret-dockerconfigjson-20-registries.json:true
"}
POLICY_ID=image-pull-secrets
FLOOR_ID=floor

say() { echo "server-bench: $*" >&2; }
fail() { say "FAIL: $*"; exit 1; }

if [ ! -x "$TOOLS/install.sh" ]; then
  say "skipped: the real kwctl and policy-server are not here ($TOOLS/install.sh is missing);"
  say "set SERVER_BENCH_TOOLS to the folder that holds install.sh to run this benchmark."
  exit 0
fi
BIN=$("$TOOLS/install.sh" "$ROOT/target/tools")
KWCTL=$BIN/kwctl
POLICY_SERVER=$BIN/policy-server
for b in "$KWCTL" "$POLICY_SERVER"; do
  [ -x "$b" ] || { say "skipped: $b was not unpacked"; exit 0; }
done
command -v wrk >/dev/null || { apt-get update -qq && apt-get install -y -qq wrk >/dev/null; }
for c in wrk jq curl; do command -v "$c" >/dev/null || fail "$c is not installed"; done
[ -f "$POLICY" ] || fail "$POLICY is missing (make policy.wasm)"
[ -f "$FLOOR" ] || fail "$FLOOR is missing (make floor.wasm)"

rm -rf "$OUT"
mkdir -p "$OUT"/{bodies,downloads,sigstore,rounds}
OUT=$(cd "$OUT" && pwd)

"$KWCTL" annotate -m metadata.yml -u README.md -o "$OUT/policy.wasm" "$POLICY" >/dev/null
"$KWCTL" annotate -m "$HERE/floor-metadata.yml" -o "$OUT/floor.wasm" "$FLOOR" >/dev/null

# A request the policy rejects is also run against the floor built to reject with the policy's
# own message (bench/floor-guest, FLOOR_REJECT_MESSAGE): the policy server's share of a
# rejection (the message written into the AdmissionReview) is then on both sides, and the
# ratio to that floor is what the policy's checks and wording cost.
declare -A REJECTING_FLOOR=()
for entry in $REQUESTS; do
  [ "${entry##*:}" = false ] || continue
  name=${entry%%=*}
  file=${entry#*=}
  file=${file%:*}
  message=$("$KWCTL" run -r "$file" --settings-path "$SETTINGS" "$OUT/policy.wasm" 2>/dev/null |
    jq -r '.status.message // empty') || true
  [ -n "$message" ] || fail "kwctl run gives no rejection message for $file"
  say "building the floor that rejects $name with the policy's message (${#message} characters)"
  FLOOR_REJECT_MESSAGE=$message cargo build -q -p floor-guest --target wasm32-wasip1 --release \
    --locked --target-dir "$FLOOR_TARGET"
  # shellcheck disable=SC2086 # the flags are words
  wasm-opt $WASM_OPT_FLAGS "$FLOOR_TARGET/wasm32-wasip1/release/floor_guest.wasm" \
    -o "$OUT/floor-rejects-$name.opt.wasm"
  "$KWCTL" annotate -m "$HERE/floor-metadata.yml" -o "$OUT/floor-rejects-$name.wasm" \
    "$OUT/floor-rejects-$name.opt.wasm" >/dev/null
  REJECTING_FLOOR[$name]=floor-rejects-$name
done

# The same settings for every module: the server serialises them into every call's payload.
settings_block=$(sed 's/^/      /' "$SETTINGS")
for id in "$POLICY_ID" "$FLOOR_ID" "${REJECTING_FLOOR[@]}"; do
  case $id in
    "$POLICY_ID") module=$OUT/policy.wasm ;;
    "$FLOOR_ID") module=$OUT/floor.wasm ;;
    *) module=$OUT/$id.wasm ;;
  esac
  printf '%s:\n  module: file://%s\n  policyMode: protect\n  allowedToMutate: false\n  settings:\n%s\n' \
    "$id" "$module" "$settings_block"
done >"$OUT/policies.yml"

# Two different ports: free_port remembers what it handed out.
free_port PORT READY_PORT
PORT=${SERVER_BENCH_PORT:-$PORT}
READY_PORT=${SERVER_BENCH_READY_PORT:-$READY_PORT}
BASE=http://127.0.0.1:$PORT

# No certificate: policy-server 1.35 then serves plain HTTP. No cluster: KUBECONFIG unset and
# the connection failure ignored (these settings make no lookups).
server_pid=
cleanup() {
  if [ -n "$server_pid" ]; then
    kill "$server_pid" 2>/dev/null || true
    wait "$server_pid" 2>/dev/null || true
  fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM
env -u KUBECONFIG "$POLICY_SERVER" --policies "$OUT/policies.yml" --addr 127.0.0.1 --port "$PORT" \
  --readiness-probe-port "$READY_PORT" --workers "$WORKERS" \
  --policies-download-dir "$OUT/downloads" --sigstore-cache-dir "$OUT/sigstore" \
  --ignore-kubernetes-connection-failure --log-level "$LOG_LEVEL" --log-no-color \
  >"$OUT/policy-server.log" 2>&1 &
server_pid=$!
for _ in $(seq 1 240); do
  curl -sf "http://127.0.0.1:$READY_PORT/readiness" >/dev/null 2>&1 && break
  kill -0 "$server_pid" 2>/dev/null || { cat "$OUT/policy-server.log" >&2; fail "policy-server exited"; }
  sleep 0.25
done
curl -sf "http://127.0.0.1:$READY_PORT/readiness" >/dev/null 2>&1 ||
  { cat "$OUT/policy-server.log" >&2; fail "policy-server not ready after 60 s"; }
say "policy-server $("$POLICY_SERVER" --version | head -n 1 | awk '{print $NF}') (pid $server_pid) on $BASE, $WORKERS workers"

# One POST; prints the HTTP status and writes the body to $3.
post() {
  curl -s -o "$3" -w '%{http_code}' -H 'Content-Type: application/json' \
    --data-binary "@$2" "$BASE/validate/$1"
}

# Checks an answer: HTTP 200, an AdmissionReview whose response.allowed is $3.
check() {
  local id=$1 body=$2 expected=$3 answer=$OUT/answer.json status allowed
  status=$(post "$id" "$body" "$answer")
  [ "$status" = 200 ] || fail "/validate/$id with $body: HTTP $status: $(head -c 300 "$answer")"
  allowed=$(jq -r '.response.allowed' "$answer")
  [ "$allowed" = "$expected" ] ||
    fail "/validate/$id with $body: allowed $allowed, expected $expected: $(jq -c .response "$answer")"
  jq -r '.response.status.message // empty' "$answer"
}

# The policy server's CPU time so far (user + system, all its threads), in clock ticks.
server_ticks() { awk '{ print $14 + $15 }' "/proc/$server_pid/stat"; }
TICK_US=$((1000000 / $(getconf CLK_TCK)))

# How many requests the wrk round logged in $1 made.
requests_in() { sed -n 's/^RESULT requests=\([0-9]*\) .*/\1/p' "$1"; }

# One wrk round; prints "rps p50_us p99_us cpu_us" (cpu_us: the server's CPU time per request,
# which wrk's own share of the 2 cores does not blur), and fails on any wrong answer.
round() {
  local id=$1 body=$2 expected=$3 log=$4 line perf_pid= ticks_before ticks_after
  if [ "${SERVER_BENCH_PERF:-0}" = 1 ]; then
    perf record -q -F 1999 -g -p "$server_pid" -o "${log%.txt}.perf.data" -- sleep "$DURATION" \
      >/dev/null 2>&1 &
    perf_pid=$!
  fi
  ticks_before=$(server_ticks)
  BODY=$body EXPECT_ALLOWED=$expected wrk -t "$THREADS" -c "$CONNECTIONS" -d "$DURATION" \
    --latency -s "$HERE/wrk.lua" "$BASE/validate/$id" >"$log" 2>&1 || { cat "$log" >&2; fail "wrk failed"; }
  ticks_after=$(server_ticks)
  [ -z "$perf_pid" ] || wait "$perf_pid" || true
  line=$(grep '^RESULT ' "$log") || { cat "$log" >&2; fail "wrk printed no RESULT"; }
  local non200 wrong sock
  non200=$(sed -n 's/.* non200=\([0-9]*\).*/\1/p' <<<"$line")
  wrong=$(sed -n 's/.* wrong=\([0-9]*\).*/\1/p' <<<"$line")
  sock=$(sed -n 's/.* socket_errors=\([0-9]*\).*/\1/p' <<<"$line")
  [ "$non200" = 0 ] && [ "$wrong" = 0 ] && [ "$sock" = 0 ] ||
    fail "/validate/$id with $body: $non200 answers not HTTP 200, $wrong without \"allowed\":$expected, $sock socket errors ($log)"
  local requests
  requests=$(requests_in "$log")
  [ "${requests:-0}" -gt 0 ] || fail "/validate/$id: wrk made no request ($log)"
  echo "$(sed -E 's/.* rps=([0-9.]+) p50_us=([0-9]+) p99_us=([0-9]+).*/\1 \2 \3/' <<<"$line")" \
    "$(((ticks_after - ticks_before) * TICK_US / requests))"
}

# Write-protect page faults per request (a write to a page mapped read-only: the kernel replaces
# it and flushes the other CPUs' TLBs, see the README's "Page faults that interrupt the other
# CPUs"), counted by perf in a one-second run of its own, so that the timed rounds run untraced;
# "-" where perf cannot read the tracepoint.
PERF_FAULTS=0
if command -v perf >/dev/null && perf stat -e exceptions:page_fault_user -- true >/dev/null 2>&1; then
  PERF_FAULTS=1
fi
wp_faults() {
  local id=$1 body=$2 expected=$3 log=$OUT/rounds/$4.faults.txt counts=$OUT/rounds/$4.faults.csv
  [ "$PERF_FAULTS" = 1 ] || { echo -; return; }
  perf stat -x, -o "$counts" -e exceptions:page_fault_user --filter 'error_code == 7' \
    -p "$server_pid" -- sleep 1.2 >/dev/null 2>&1 &
  local perf_pid=$!
  sleep 0.1
  SERVER_BENCH_PERF=0 DURATION=1s round "$id" "$body" "$expected" "$log" >/dev/null
  wait "$perf_pid" || true
  awk -F, -v requests="$(requests_in "$log")" \
    '/page_fault_user/ && requests > 0 { printf "%.2f", $1 / requests }' "$counts"
}

# The better of two rounds: the one with more requests per second.
best() {
  if [ -z "$1" ] || awk -v a="$2" -v b="$1" 'BEGIN { split(a, x, " "); split(b, y, " "); exit !(x[1] > y[1]) }'; then
    echo "$2"
  else
    echo "$1"
  fi
}

# The median of comma-separated numbers.
median() {
  tr ',' '\n' <<<"$1" | sort -n |
    awk '{ v[NR] = $1 } END { print NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}

rows=()
messages=()
for entry in $REQUESTS; do
  name=${entry%%=*}
  rest=${entry#*=}
  file=${rest%:*}
  expected=${rest##*:}
  [ -f "$file" ] || fail "$file is missing"
  body=$OUT/bodies/$name.json
  # What the API server sends: a compact AdmissionReview around the request.
  jq -c '{apiVersion: "admission.k8s.io/v1", kind: "AdmissionReview", request: .}' "$file" >"$body"
  message=$(check "$POLICY_ID" "$body" "$expected")
  check "$FLOOR_ID" "$body" true >/dev/null
  rejecting=${REJECTING_FLOOR[$name]:-}
  [ -z "$rejecting" ] || check "$rejecting" "$body" false >/dev/null
  [ -z "$message" ] || messages+=("$name: $(cut -c 1-200 <<<"$message")$([ ${#message} -le 200 ] || echo ...)")
  say "$name ($(wc -c <"$body") B): allowed $expected, as expected; $ROUNDS rounds of $DURATION each"
  ids=("$POLICY_ID" "$FLOOR_ID" ${rejecting:+"$rejecting"})
  declare -A best_of=() rounds_of=()
  for r in $(seq 1 "$ROUNDS"); do
    # Rotate which module goes first.
    for k in "${!ids[@]}"; do
      id=${ids[$(((k + r - 1) % ${#ids[@]}))]}
      if [ "$id" = "$FLOOR_ID" ]; then exp=true; else exp=$expected; fi
      result=$(round "$id" "$body" "$exp" "$OUT/rounds/$name.$id.$r.txt")
      say "  round $r $id: $result (req/s p50_us p99_us server_cpu_us)"
      rps=$(printf '%.0f' "${result%% *}")
      best_of[$id]=$(best "${best_of[$id]:-}" "$result")
      rounds_of[$id]=${rounds_of[$id]:+${rounds_of[$id]},}$rps
    done
  done
  # The rejecting floor's requests per second, or "-" for a request the policy accepts.
  rejecting_rps=-
  [ -z "$rejecting" ] || rejecting_rps=$(printf '%.0f' "${best_of[$rejecting]%% *}")
  policy_faults=$(wp_faults "$POLICY_ID" "$body" "$expected" "$name.$POLICY_ID")
  floor_faults=$(wp_faults "$FLOOR_ID" "$body" true "$name.$FLOOR_ID")
  median_ratio=$(awk -v p="$(median "${rounds_of[$POLICY_ID]}")" -v f="$(median "${rounds_of[$FLOOR_ID]}")" \
    'BEGIN { printf "%.2f", p / f }')
  rows+=("$name $(wc -c <"$body") $expected ${best_of[$POLICY_ID]} ${best_of[$FLOOR_ID]} $rejecting_rps $median_ratio ${policy_faults:--} ${floor_faults:--} ${rounds_of[$POLICY_ID]} ${rounds_of[$FLOOR_ID]}")
  unset best_of rounds_of
done

kill -0 "$server_pid" 2>/dev/null || fail "policy-server died during the run"

{
  echo "policy-server 1.35.0, $WORKERS workers, log level $LOG_LEVEL, plain HTTP on loopback; wrk $THREADS threads, $CONNECTIONS connections,"
  echo "best of $ROUNDS rounds of $DURATION per module and request; settings $SETTINGS for both modules"
  echo
  printf '%s\n' "request body_B allowed policy_req/s policy_p50_µs policy_p99_µs policy_cpu_µs floor_req/s floor_p50_µs floor_p99_µs floor_cpu_µs ratio cpu_ratio median_ratio rejecting_floor_req/s ratio_to_rejecting policy_wp_faults floor_wp_faults policy_rounds floor_rounds" \
    "${rows[@]}" |
    awk 'NR == 1 { print; next }
         { to_rejecting = $12 == "-" ? "-" : sprintf("%.2f", $4 / $12)
           printf "%s %s %s %.0f %d %d %d %.0f %d %d %d %.2f %.2f %s %s %s %s %s %s %s\n", $1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $4 / $8, $11 / $7, $13, $12, to_rejecting, $14, $15, $16, $17 }' |
    column -t
  echo
  echo "ratio: policy requests per second / floor requests per second of the best rounds (1.00: the policy"
  echo "costs what parsing costs); *_cpu_µs: the policy server's CPU time (user + system, every thread) per"
  echo "request in that round; cpu_ratio: floor CPU / policy CPU, the same ratio without wrk's share of the"
  echo "cores; median_ratio: the ratio of the rounds' medians, steadier than the best rounds' on a busy machine;"
  echo "rejecting_floor_req/s, ratio_to_rejecting: for a request the policy rejects, the floor built to"
  echo "reject it with the policy's message, and the policy's throughput against it; *_wp_faults: write-protect"
  echo "page faults per request (perf, one untimed second of its own; - without perf); *_rounds: every round's"
  echo "requests per second, to show the machine's noise"
  if [ ${#messages[@]} -gt 0 ]; then
    echo
    echo "messages:"
    printf '  %s\n' "${messages[@]}"
  fi
} | tee "$OUT/results.txt"
