#!/usr/bin/env bash
# Builds the fuzz targets with the machine's one toolchain and runs each for a bounded time,
# seeded from the end-to-end fixtures:
#   fuzz/run.sh [SECONDS_PER_TARGET] [TARGET...]      (make fuzz runs it with 60 s per target)
# A crash or a hang is saved under fuzz/artifacts/<target>/; each one, once fixed, is kept under
# fuzz/regressions/<target>/, which `cargo test` replays.
set -euo pipefail
cd "$(dirname "$0")"
seconds="${1:-60}"
shift || true
targets=("$@")
[ "${#targets[@]}" -gt 0 ] || targets=(validate validate_structured validate_settings image_reference
  registry_entry registry_key docker_config lookup_replies)

command -v cargo-fuzz >/dev/null || cargo install cargo-fuzz --locked --version 0.13.2
# No sanitizer (-s none): the targets are safe Rust, and a panic is what they look for; without
# one, cargo fuzz needs no nightly flag and builds with the machine's stable toolchain.
python3 seed.py
for target in "${targets[@]}"; do
  mkdir -p "corpus/$target" "artifacts/$target"
  echo "== $target ($seconds s)"
  cargo fuzz run -s none "$target" "corpus/$target" -- \
    -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -max_len=65536 \
    -print_final_stats=1 2>&1 | grep -E "^(#[0-9]+.*(DONE|INITED)|stat::|==[0-9]+== ERROR|SUMMARY|Test unit written)" || true
done
