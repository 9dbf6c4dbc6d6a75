#!/usr/bin/env bash
# make run: set up what is missing, migrate, load the demo, and run web + Celery worker + beat in the
# foreground. Ctrl-C stops all three. Honours PORT, DATABASE_URL, REDIS_URL, SMS_BACKEND, … (README.md).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/bootstrap.sh run
PY=.venv/bin/python
export PORT="${PORT:-8000}"
export API_BASE_URL="${API_BASE_URL:-http://127.0.0.1:$PORT}"
export PROJECT_DIR="$PWD" VAR_DIR="${VAR_DIR:-$PWD/var}" WEB_CONCURRENCY="${WEB_CONCURRENCY:-3}"
mkdir -p "$VAR_DIR"
# With DATABASE_URL=postgis://…: install/enable PostGIS if missing, or stop with one sentence saying what to run.
$PY manage.py ensure_postgis
$PY manage.py migrate --noinput -v0
$PY manage.py load_demo
$PY manage.py collectstatic --noinput -v0
if [ -z "${DISPATCHER_TOKEN:-}" ] && [ -f "$VAR_DIR/dispatcher.token" ]; then
  DISPATCHER_TOKEN="$(cat "$VAR_DIR/dispatcher.token")"; export DISPATCHER_TOKEN
fi

echo ">> 友好朝阳 on http://127.0.0.1:$PORT/  (admin: /admin/, rider login: /accounts/login/)"
# supervisord restarts a web server, worker or beat that exits (with a log line) and stops all on Ctrl-C.
exec .venv/bin/supervisord -c scripts/supervisord.conf
