#!/usr/bin/env bash
# make run: set up what is missing, migrate, load the demo, and run web + Celery worker + beat in the
# foreground. Ctrl-C stops all three. Honours PORT, DATABASE_URL, REDIS_URL, SMS_BACKEND, … (README.md).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/bootstrap.sh run
PY=.venv/bin/python
export PORT="${PORT:-8000}"
export API_BASE_URL="${API_BASE_URL:-http://127.0.0.1:$PORT}"
mkdir -p var
$PY manage.py migrate --noinput -v0
$PY manage.py load_demo
$PY manage.py collectstatic --noinput -v0
if [ -z "${DISPATCHER_TOKEN:-}" ] && [ -f var/dispatcher.token ]; then
  DISPATCHER_TOKEN="$(cat var/dispatcher.token)"; export DISPATCHER_TOKEN
fi

pids=()
stop() {
  trap - INT TERM EXIT
  echo; echo ">> stopping"
  for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
}
trap stop INT TERM EXIT

.venv/bin/celery -A chaoyang_friendly worker --beat -Q dispatch,maintenance,exports --loglevel=INFO --concurrency=2 \
  --schedule="var/celerybeat-schedule" &
pids+=($!)
.venv/bin/gunicorn chaoyang_friendly.wsgi --bind "127.0.0.1:$PORT" --workers "${WEB_CONCURRENCY:-3}" \
  --threads 4 --timeout 60 --access-logfile - &
pids+=($!)
echo ">> 友好朝阳 on http://127.0.0.1:$PORT/  (admin: /admin/, rider login: /accounts/login/)"
wait -n
