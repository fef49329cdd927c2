#!/usr/bin/env bash
# Start the API, a Celery worker and beat together; Ctrl-C stops all three.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=.venv/bin
PORT=${PORT:-5000}
mkdir -p instance

pids=()
cleanup() {
  trap - INT TERM EXIT
  echo; echo "Stopping Kijani..."
  for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  sleep 1
  for pid in "${pids[@]}"; do kill -KILL "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
}
trap cleanup INT TERM EXIT

# The solo pool keeps the embedded SQLite broker to one consumer process.
$BIN/celery -A celery_worker worker --pool=solo --loglevel=INFO &
pids+=($!)
$BIN/celery -A celery_worker beat --loglevel=INFO &
pids+=($!)
$BIN/flask run --port "$PORT" --no-reload &
pids+=($!)

cat <<MSG

  Kijani is starting on http://127.0.0.1:$PORT
    API docs (Swagger UI): http://127.0.0.1:$PORT/api/docs
    OpenAPI JSON:          http://127.0.0.1:$PORT/api/openapi.json
    Health:                http://127.0.0.1:$PORT/health
  Demo accounts (password kijani-demo-2026): admin, wanjiru (organizer), tendai (attendee)
  Press Ctrl-C to stop the API, the worker and the scheduler.

MSG
# Any one process dying takes the others down with it.
wait -n
