#!/usr/bin/env bash
# Writes fraud_head300_v1.part: a part in partial-state format version 1 (byte-wise FNV-1a checksum, dense
# bootstrap grid), as calib at commit 0871299 wrote it, for the test that later calibs still read it
# (MergeCLITests "a part of format version 1 … merges to the single audit"). Needs that calib:
#   git worktree add /tmp/calib-0871299 0871299 && swift build -c release --package-path /tmp/calib-0871299
# Run: bash Tests/CalibCLITests/Parts/make_version1_part.sh /tmp/calib-0871299/.build/release/calib
set -euo pipefail
calib="$1"
cd "$(dirname "$0")"
head -301 ../../../SampleData/fraud_transactions.csv > fraud_head300.csv
"$calib" audit fraud_head300.csv --bootstrap 3 --seed 5 --partial-out fraud_head300_v1.part
rm fraud_head300.csv
