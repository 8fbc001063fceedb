#!/usr/bin/env bash
# Runs the suite on SQLite and on PostgreSQL at the same time, one pytest process each,
# and fails when either fails. The two passes share nothing: each starts its own
# database, moto server, Redis and browser. Each pass writes to its own log, shown
# in full when both have finished, so the two outputs never interleave.
#
#   scripts/test-both.sh [pytest arguments...]
set -uo pipefail
cd "$(dirname "$0")/.."

PY=${PY:-.venv/bin/python}
LOGS=${TEST_LOG_DIR:-.test-logs}
mkdir -p "$LOGS"

declare -A pids
for db in sqlite postgresql; do
  "$PY" -m pytest -q --db="$db" "$@" >"$LOGS/$db.log" 2>&1 &
  pids[$db]=$!
done

# A line every five minutes, so a CI runner watching the output sees progress.
started=$(date +%s)
while kill -0 "${pids[sqlite]}" 2>/dev/null || kill -0 "${pids[postgresql]}" 2>/dev/null; do
  for _ in $(seq 300); do
    kill -0 "${pids[sqlite]}" 2>/dev/null || kill -0 "${pids[postgresql]}" 2>/dev/null || break 2
    sleep 1
  done
  echo "tests still running after $(( ($(date +%s) - started) / 60 )) min"
done

status=0
for db in sqlite postgresql; do
  wait "${pids[$db]}"
  rc=$?
  echo
  echo "==================== $db (exit $rc) ===================="
  cat "$LOGS/$db.log"
  [ "$rc" -eq 0 ] || status=1
done
exit "$status"
