#!/usr/bin/env bash
# Runs the whole suite N times in a row (default 5) while a busy loop keeps one core at 100 %, and
# prints each run's "N passed, N failed, N skipped" line: a test that passes only on an idle
# machine shows up here. Builds and type-checks once first, like `npm test`.
#
#   scripts/stress-suite.sh [N] [vitest args...]
#
# Takes N times the suite's duration: run it when nobody else needs the machine.
set -euo pipefail
cd "$(dirname "$0")/.."

runs="${1:-5}"
shift || true

npm run build >/dev/null
npm run typecheck >/dev/null

# One core kept busy for the whole run (a single-threaded spin takes at most one core).
node -e 'for (;;) {}' &
busy=$!
trap 'kill "$busy" 2>/dev/null || true' EXIT

mkdir -p .tmp
summary=()
failed_runs=0
for i in $(seq 1 "$runs"); do
  log=".tmp/stress-run-$i.log"
  if node scripts/run-tests.mjs "$@" >"$log" 2>&1; then status=ok; else status=FAILED; failed_runs=$((failed_runs + 1)); fi
  line="$(grep -E '^[0-9]+ passed, [0-9]+ failed, [0-9]+ skipped$' "$log" | tail -1 || true)"
  summary+=("run $i: ${line:-no count line} ($status; log: $log)")
  echo "${summary[-1]}"
  # The failing tests of this run, by name, so a flake is visible without opening the log.
  grep -E '^ *(FAIL|×)' "$log" | sed 's/^/    /' | head -20 || true
done

echo
printf '%s\n' "${summary[@]}"
echo "$((runs - failed_runs)) of $runs runs green under a busy loop on one core"
[ "$failed_runs" -eq 0 ]
