#!/usr/bin/env bash
# Builds the libFuzzer target (Swift's -sanitize=fuzzer with AddressSanitizer)
# and runs each fuzz target for a fixed time on a copy of its seed corpus.
# Crashes are written to .build-fuzz/crashes/; copy each into
# Tests/Fuzz/Regressions/<target>/ so that `swift test` replays it.
#
#   bash Tests/Fuzz/run_fuzzers.sh [seconds per target, default 60]
set -euo pipefail
cd "$(dirname "$0")/../.."
seconds="${1:-60}"
# SwiftPM gives an executable's main another name, so libFuzzer's own main
# cannot be used: link its runtime without main, and let Target/main.swift
# call LLVMFuzzerRunDriver.
toolchain="$(dirname "$(dirname "$(readlink -f "$(command -v swiftc)")")")"
runtime="$(find "$toolchain/lib" -name 'libclang_rt.fuzzer_no_main-x86_64.a' | head -1)"
[ -n "$runtime" ] || { echo "libclang_rt.fuzzer_no_main not found under $toolchain/lib" >&2; exit 1; }
# SwiftPM does not rebuild when only -Xswiftc flags change: start clean.
rm -rf .build-fuzz/release .build-fuzz/x86_64-unknown-linux-gnu
CALIB_FUZZ=1 swift build -c release --scratch-path .build-fuzz --product CalibFuzz \
  -Xswiftc -sanitize=address -Xswiftc -sanitize-coverage=edge,inline-8bit-counters,pc-table,trace-cmp \
  -Xlinker "$runtime" -Xlinker -lstdc++ 2>&1 | grep -v "ld.gold: warning" | tail -2
bin=".build-fuzz/release/CalibFuzz"
mkdir -p .build-fuzz/crashes
printf '%-10s %12s %9s %8s %8s\n' target executions seconds crashes corpus
for target in delimited jsonl gate labels partial; do
  work=".build-fuzz/corpus/$target"
  mkdir -p "$work"
  cp -n Tests/Fuzz/Corpus/$target/* "$work"/ 2>/dev/null || true
  log=".build-fuzz/$target.log"
  # A part holds a score store's bucket index (20 KiB a column: a 10-class part with soft targets is 250 KB): longer inputs for the part reader.
  max_len=4096; [ "$target" = partial ] && max_len=262144
  CALIB_FUZZ_TARGET=$target ASAN_OPTIONS=symbolize=0:detect_leaks=0 \
    "$bin" -max_total_time="$seconds" -max_len="$max_len" -timeout=10 -rss_limit_mb=2048 \
    -artifact_prefix=".build-fuzz/crashes/$target-" "$work" > "$log" 2>&1 || true
  runs=$(grep -Eo 'Done [0-9]+ runs in [0-9]+ second' "$log" | tail -1 | awk '{print $2 " " $5}' || true)
  crashes=$(ls .build-fuzz/crashes/ 2>/dev/null | grep -c "^$target-" || true)
  printf '%-10s %12s %9s %8s %8s\n' "$target" "${runs% *}" "${runs#* }" "$crashes" "$(ls "$work" | wc -l)"
done
