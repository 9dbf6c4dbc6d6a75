#!/usr/bin/env bash
# Make sure PostgreSQL (with PostGIS) and Redis answer on 127.0.0.1: use the running ones, start them when
# installed but stopped (bootstrap.sh test installs them when absent), create the database.
set -euo pipefail
PGHOST=127.0.0.1; PGPORT=5432

if ! pg_isready -q -h "$PGHOST" -p "$PGPORT"; then
  echo ">> starting PostgreSQL"
  ver=$(ls /etc/postgresql | sort -n | tail -1)
  if [ -z "$ver" ]; then echo "PostgreSQL is not installed" >&2; exit 1; fi
  pg_ctlcluster --skip-systemctl-redirect "$ver" main start || pg_ctlcluster "$ver" main start
  for _ in $(seq 1 30); do pg_isready -q -h "$PGHOST" -p "$PGPORT" && break; sleep 1; done
fi
if ! psql -h "$PGHOST" -U postgres -d postgres -tAc "select 1" >/dev/null 2>&1; then
  # A fresh cluster only trusts the local socket: allow the loopback for tests and CI.
  su postgres -c "psql -tAc \"alter user postgres password null\"" >/dev/null
fi
DB="${PGDATABASE_NAME:-chaoyang}"
if ! psql -h "$PGHOST" -U postgres -d postgres -tAc "select 1 from pg_database where datname='$DB'" | grep -q 1; then
  psql -h "$PGHOST" -U postgres -d postgres -qc "create database $DB"
fi
PGOPTIONS="-c client_min_messages=warning" psql -h "$PGHOST" -U postgres -d "$DB" -qc "create extension if not exists postgis" >/dev/null

if ! redis-cli -h 127.0.0.1 -p 6379 ping >/dev/null 2>&1; then
  echo ">> starting Redis"
  mkdir -p /var/lib/redis /var/log/redis
  redis-server --daemonize yes --bind 127.0.0.1 -::1 --port 6379 --save "" --appendonly no \
    --dir /var/lib/redis --logfile /var/log/redis/ci.log
  for _ in $(seq 1 20); do redis-cli ping >/dev/null 2>&1 && break; sleep 0.5; done
fi
