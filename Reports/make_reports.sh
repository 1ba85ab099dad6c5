#!/usr/bin/env bash
# Regenerates the example reports in Reports/ from every file in SampleData/:
# <sample>.html, .md, .json and .txt, and index.html / index.md comparing them.
# Run from anywhere: bash Reports/make_reports.sh   (the test suite fails when they are stale)
set -euo pipefail
cd "$(dirname "$0")/.."
swift build --product calib >/dev/null
bin="$(swift build --show-bin-path)/calib"
mapfile -t samples < <(ls SampleData | grep -E '\.(csv|tsv|jsonl)$' | LC_ALL=C sort | sed 's|^|SampleData/|')
NO_COLOR=1 "$bin" audit "${samples[@]}" --report-dir Reports > /dev/null
for sample in "${samples[@]}"; do
  name="$(basename "${sample%.*}")"
  NO_COLOR=1 "$bin" audit "$sample" > "Reports/$name.txt"
done
echo "wrote reports for ${#samples[@]} samples into Reports/"
