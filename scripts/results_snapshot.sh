#!/usr/bin/env bash
# Copy the latest measurement reports into benchmarks/RESULTS.md (reports/ itself is not versioned).
set -euo pipefail
cd "$(dirname "$0")/.."
{
  echo "# Measurements snapshot"
  echo
  echo "Written by scripts/results_snapshot.sh on $(date -u +%Y-%m-%d) from reports/ (make eval, make bench)."
  for f in reports/conversation.md reports/eval.md reports/coverage.md reports/bench.md reports/webhooks.md; do
    [ -f "$f" ] || continue
    echo
    sed -e 's/^# /## /' -e '/confusion_worst.png/d' "$f"
  done
} > benchmarks/RESULTS.md
echo "wrote benchmarks/RESULTS.md"
