#!/usr/bin/env python3
"""Splits the guest's `validate` samples of a `perf script -F ip,sym` dump (a runner bench
recorded with POLICY_RUNNER_PERFMAP=1 on a module built with CARGO_PROFILE_RELEASE_STRIP=false)
into the phases of a request: settings, reading the request, the checks, the message, the
answer. Each sample goes to the first phase, in the order of PHASES, with a function on the
sample's stack below `entry::validate` (so serde_json under the settings counts as settings).

    perf script -i perf.data -F ip,sym | python3 bench/perf-phases.py
"""
import collections
import sys

# (phase, substrings of a frame's symbol), in order of precedence.
PHASES = [
    ("settings (parse + validate)", ["settings::Settings::from_json"]),
    ("message (render)", ["image_pull_secrets_policy::render::", "verdict::Verdict::message"]),
    ("checks", ["pod_check::", "secret_check::", "review::review_request", "lookups::",
                "mutation::", "pull_secret::"]),
    ("answer (serialise the ValidationResponse)", ["entry::to_json", "ValidationResponse"]),
    ("read the request", ["workload::", "ValidationPayload", "serde_json::de::from_slice",
                          "serde_json::de::", "serde_core::de::"]),
]


def stacks(lines):
    stack = []
    for line in lines:
        line = line.strip()
        if not line:
            if stack:
                yield stack
            stack = []
            continue
        parts = line.split(None, 1)
        stack.append(parts[1] if len(parts) > 1 else parts[0])
    if stack:
        yield stack


def main():
    root = sys.argv[1] if len(sys.argv) > 1 else "image_pull_secrets_policy::entry::validate::"
    counts = collections.Counter()
    total = 0
    for stack in stacks(sys.stdin):
        # Innermost first; only what runs below `entry::validate`.
        below = None
        for i, frame in enumerate(stack):
            if root in frame:
                below = stack[:i]
                break
        if below is None:
            continue
        total += 1
        phase = next((name for name, keys in PHASES
                      if any(k in frame for frame in below for k in keys)),
                     "other (entry, allocator, ...)")
        counts[phase] += 1
    print(f"{total} samples under {root}")
    for phase, n in counts.most_common():
        print(f"  {100 * n / max(1, total):5.1f} %  {phase}")


if __name__ == "__main__":
    main()
