#!/usr/bin/env bash
# Makes sure the PostgreSQL the tests use is up, starting or installing it when needed.
# Sourced by scripts/test. Sets RENKEI_TEST_POSTGRES_URL and RENKEI_TEST_PG_OK (1 or 0).
# Under CI=true a PostgreSQL that cannot be had fails the run.

export RENKEI_TEST_POSTGRES_URL="${RENKEI_TEST_POSTGRES_URL:-postgres://postgres@127.0.0.1:5432/test}"
RENKEI_TEST_PG_OK=0

pg_up() { pg_isready -q -h 127.0.0.1 -p 5432 2>/dev/null; }

if ! command -v pg_isready >/dev/null 2>&1 && [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
  echo "scripts/postgres.sh: installing PostgreSQL (Debian packages)" >&2
  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql) >&2 || true
fi
if command -v pg_isready >/dev/null 2>&1 && ! pg_up; then
  echo "scripts/postgres.sh: starting PostgreSQL" >&2
  if command -v pg_ctlcluster >/dev/null 2>&1 && [ -d /etc/postgresql ]; then
    for v in $(ls /etc/postgresql); do pg_ctlcluster --skip-systemctl-redirect "$v" main start >&2 || true; done
  fi
  for _ in $(seq 1 30); do pg_up && break; sleep 1; done
fi
if pg_up && psql "$RENKEI_TEST_POSTGRES_URL" -qAtc 'select 1' >/dev/null 2>&1; then
  RENKEI_TEST_PG_OK=1
  # Databases left by earlier runs (each test makes its own).
  psql "$RENKEI_TEST_POSTGRES_URL" -qAtc "select datname from pg_database where datname like 'renkei_t_%'" 2>/dev/null |
    while read -r db; do psql "$RENKEI_TEST_POSTGRES_URL" -qc "drop database if exists \"$db\"" >/dev/null 2>&1 || true; done
elif [ "${CI:-}" = "true" ]; then
  echo "scripts/postgres.sh: CI=true but PostgreSQL is not reachable at $RENKEI_TEST_POSTGRES_URL" >&2
  exit 1
fi
export RENKEI_TEST_PG_OK
