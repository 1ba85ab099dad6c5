#!/usr/bin/env bash
# Regenerates the example reports in Reports/ from every file in SampleData/.
# Run from anywhere: bash Reports/make_reports.sh   (the test suite fails when they are stale)
set -euo pipefail
cd "$(dirname "$0")/.."
swift build --product calib >/dev/null
bin="$(swift build --show-bin-path)/calib"
for sample in SampleData/*.csv SampleData/*.tsv SampleData/*.jsonl; do
  name="$(basename "${sample%.*}")"
  NO_COLOR=1 "$bin" audit "$sample" --format json -o "Reports/$name.txt" > "Reports/$name.json"
done
echo "wrote $(ls Reports/*.json | wc -l) JSON and $(ls Reports/*.txt | wc -l) text reports"
