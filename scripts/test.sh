#!/usr/bin/env bash
# Run the suite on SQLite; again on PostgreSQL + Redis when both test URLs are set.
set -uo pipefail
cd "$(dirname "$0")/.."
BIN=.venv/bin

echo "== test suite on SQLite (embedded broker, in-process SMTP) =="
KIJANI_TEST_ON=sqlite $BIN/pytest "$@"
status=$?
[ $status -eq 5 ] && { echo "pytest collected no tests: failing"; exit 1; }
[ $status -ne 0 ] && exit $status

if [ -n "${KIJANI_TEST_DATABASE_URL:-}" ] && [ -n "${KIJANI_TEST_REDIS_URL:-}" ]; then
  echo "== test suite on PostgreSQL + Redis =="
  KIJANI_TEST_ON=postgres $BIN/pytest "$@"
  status=$?
  [ $status -eq 5 ] && { echo "pytest collected no tests: failing"; exit 1; }
  exit $status
elif [ -n "${KIJANI_TEST_DATABASE_URL:-}${KIJANI_TEST_REDIS_URL:-}" ]; then
  echo "KIJANI_TEST_DATABASE_URL and KIJANI_TEST_REDIS_URL must be set together" >&2
  exit 1
fi
