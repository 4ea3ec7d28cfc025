#!/usr/bin/env bats
# What a fresh instance costs the host, as the policy server makes one per request: the module
# writes its statics' pages before it reads them (src/guest.rs, `first_touch`), so the kernel
# never has to replace a page it mapped read-only, which flushes the other CPUs' TLBs (an
# interrupt that a virtual machine pays dearly for). Counted with perf's page-fault tracepoint:
# a write-protect fault is a user-mode write to a present page (error code 7).
#
# Through the runner only (its `bench` makes a fresh instance per call); skipped with real kwctl
# or where perf cannot read the tracepoint (not installed, or not allowed).

bats_require_minimum_version 1.5.0
load helpers

CALLS=200

setup_file() {
  local root
  root="$(cd "$BATS_TEST_DIRNAME/.." && pwd)"
  export FLOOR="${FLOOR:-$root/floor.wasm}"
}

# write_protect_faults MODULE: write-protect faults of a bench run with MODULE in both slots
# ($CALLS fresh instances of each slot, and as many warm calls).
write_protect_faults() {
  local out="$BATS_TEST_TMPDIR/perf.csv"
  perf stat -x, -o "$out" -e exceptions:page_fault_user --filter 'error_code == 7' -- \
    "$KWCTL" bench --policy "$1" --floor "$1" -s "$SETTINGS" --iterations "$CALLS" --warmup 1 \
    pod="$DATA/pod-private-served.json" >/dev/null 2>"$BATS_TEST_TMPDIR/bench.err" ||
    { cat "$BATS_TEST_TMPDIR/bench.err" "$out" >&2; return 1; }
  awk -F, '/page_fault_user/ { print $1 }' "$out"
}

can_count() {
  # kwctl has a `bench` too, of one warm instance: the runner's takes a --floor.
  "$KWCTL" bench --help 2>/dev/null | grep -q -- '--floor' ||
    skip "$KWCTL has no fresh-instance bench (the runner's)"
  command -v perf >/dev/null || skip "perf is not installed (Debian: linux-perf)"
  perf stat -e exceptions:page_fault_user -- true >/dev/null 2>&1 ||
    skip "perf cannot read the page-fault tracepoint here (perf_event_paranoid, or not root)"
}

@test "fresh instance: the floor guest, which reads its statics first, takes a write-protect fault each (the count sees them)" {
  can_count
  [ -f "$FLOOR" ] || skip "$FLOOR is not built (make floor.wasm)"
  faults="$(write_protect_faults "$FLOOR")"
  echo "floor: $faults write-protect faults in $((2 * CALLS)) fresh instances" >&2
  [ "$faults" -ge "$((2 * CALLS))" ]
}

@test "fresh instance: the policy takes no write-protect fault on its statics" {
  can_count
  faults="$(write_protect_faults "$POLICY")"
  echo "policy: $faults write-protect faults in $((2 * CALLS)) fresh instances" >&2
  # The runner's own few (its start, its allocator); before first_touch, 2 an instance.
  [ "$faults" -lt "$((CALLS / 4))" ]
}
