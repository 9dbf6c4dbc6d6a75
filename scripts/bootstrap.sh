#!/usr/bin/env bash
# Install what is missing, and only that: Debian packages, the .venv, the pinned requirements.
# Usage: scripts/bootstrap.sh run|test   (a second run takes seconds)
set -euo pipefail
cd "$(dirname "$0")/.."
MODE="${1:-run}"

RUN_PKGS=(python3-venv python3-dev libsqlite3-mod-spatialite gdal-bin libgdal-dev libgeos-c1v5 libproj25)
TEST_PKGS=(postgresql-15-postgis-3 postgresql-client-15 redis-server chromium chromium-driver fonts-noto-cjk)
PKGS=("${RUN_PKGS[@]}")
[ "$MODE" = "test" ] && PKGS+=("${TEST_PKGS[@]}")

missing=()
for p in "${PKGS[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo ">> installing Debian packages: ${missing[*]}"
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# The distribution's Python: its sqlite3 can load SpatiaLite (pyenv builds cannot).
if [ ! -x .venv/bin/python ]; then
  echo ">> creating .venv from /usr/bin/python3"
  /usr/bin/python3 -m venv .venv
fi
# One environment for running and testing (the dev tools are small); reinstalled when a pin changes.
stamp=".venv/.installed-$(cat requirements.txt requirements-dev.txt | sha256sum | cut -c1-16)"
if [ ! -f "$stamp" ]; then
  echo ">> installing Python requirements"
  .venv/bin/python -m pip install -q --upgrade pip 2>&1 | grep -v '^WARNING: Location' || true
  .venv/bin/python -m pip install -q -r requirements-dev.txt 2>&1 | grep -v '^WARNING: Location' || true
  .venv/bin/python -c "import django, celery, rest_framework_gis, playwright" # fail loudly if it did not work
  rm -f .venv/.installed-*
  touch "$stamp"
fi
