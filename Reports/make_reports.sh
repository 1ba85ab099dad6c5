#!/usr/bin/env bash
# Regenerates the example reports in Reports/ from every file in SampleData/:
# <sample>.html, .md, .json and .txt, and index.html / index.md comparing them;
# and calib compare of the release pair (baseline versus candidate) as
# fraud_release_comparison.html, .md, .json and .txt; and the audit of the
# downsampled sample with --recalibrate platt,isotonic,temperature as
# fraud_downsampled_recalibrated.html, .md, .json and .txt; and the repair loop on
# that sample: calib fit --method platt (fraud_downsampled_platt.json, the
# calibrator, and fraud_downsampled_platt.txt, what fit prints), calib apply,
# and the audit of the applied file (fraud_downsampled_fixed.txt); the audit of
# the distillation sample's soft targets (SampleData/distillation) as
# digits_distillation.html, .md, .json and .txt; and the multi-label sample
# (calib audit --multilabel) as spam_categories.html, .md, .json and .txt.
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
NO_COLOR=1 "$bin" compare SampleData/release/fraud_baseline.csv SampleData/release/fraud_candidate.csv \
  -o Reports/fraud_release_comparison.html -o Reports/fraud_release_comparison.md -o Reports/fraud_release_comparison.json \
  > Reports/fraud_release_comparison.txt
NO_COLOR=1 "$bin" audit SampleData/fraud_downsampled_weighted.csv --recalibrate platt,isotonic,temperature \
  -o Reports/fraud_downsampled_recalibrated.html -o Reports/fraud_downsampled_recalibrated.md -o Reports/fraud_downsampled_recalibrated.json \
  > Reports/fraud_downsampled_recalibrated.txt
NO_COLOR=1 "$bin" audit SampleData/distillation/digits_distillation.csv \
  -o Reports/digits_distillation.html -o Reports/digits_distillation.md -o Reports/digits_distillation.json \
  > Reports/digits_distillation.txt
NO_COLOR=1 "$bin" fit SampleData/fraud_downsampled_weighted.csv --method platt -o Reports/fraud_downsampled_platt.json \
  > Reports/fraud_downsampled_platt.txt
NO_COLOR=1 "$bin" audit SampleData/multilabel/spam_categories.csv --multilabel \
  -o Reports/spam_categories.html -o Reports/spam_categories.md -o Reports/spam_categories.json \
  > Reports/spam_categories.txt
loop="$(mktemp -d)"
trap 'rm -rf "$loop"' EXIT
"$bin" apply Reports/fraud_downsampled_platt.json SampleData/fraud_downsampled_weighted.csv -o "$loop/fraud_downsampled_fixed.csv"
(cd "$loop" && NO_COLOR=1 "$bin" audit fraud_downsampled_fixed.csv) > Reports/fraud_downsampled_fixed.txt
echo "wrote reports for ${#samples[@]} samples and one comparison into Reports/"
