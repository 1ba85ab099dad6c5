#!/usr/bin/env bash
# Writes fraud_head300_v1.part: a part in partial-state format version 1 (byte-wise FNV-1a checksum, dense
# bootstrap grid), as calib at commit 0871299 wrote it, for the test that later calibs still read it
# (MergeCLITests "a part of format version 1 … merges to the single audit"). Needs that calib:
#   git worktree add /tmp/calib-0871299 0871299 && swift build -c release --package-path /tmp/calib-0871299
# Run: bash Tests/CalibCLITests/Parts/make_version1_part.sh /tmp/calib-0871299/.build/release/calib
# With a second calib, one from before partial-state format version 5 (which changed how the bootstrap's counts
# are drawn; 34c4a45 or older), it also writes fraud_head300_v1.expected.json, that calib's single audit of the
# same rows, which the part must merge to:
#   bash Tests/CalibCLITests/Parts/make_version1_part.sh /tmp/calib-0871299/.build/release/calib /tmp/calib-34c4a45/calib
set -euo pipefail
calib="$1"
cd "$(dirname "$0")"
head -301 ../../../SampleData/fraud_transactions.csv > fraud_head300.csv
"$calib" audit fraud_head300.csv --bootstrap 3 --seed 5 --partial-out fraud_head300_v1.part
if [ $# -ge 2 ]; then "$2" audit fraud_head300.csv --bootstrap 3 --seed 5 --format json > fraud_head300_v1.expected.json; fi
rm fraud_head300.csv
