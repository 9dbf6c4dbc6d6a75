#!/usr/bin/env bash
# make test: set up what is missing, make sure PostGIS and Redis answer, lint, run the whole suite.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/bootstrap.sh test
scripts/services.sh
export DATABASE_URL="${DATABASE_URL:-postgis://postgres@127.0.0.1:5432/chaoyang}"
export REDIS_URL="${REDIS_URL:-redis://127.0.0.1:6379/1}"
.venv/bin/ruff check .
.venv/bin/python -m pytest "$@"
