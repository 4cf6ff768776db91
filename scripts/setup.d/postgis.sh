#!/usr/bin/env bash
# PostGIS for the PostGIS store tests: installs Debian's postgresql-<major>-postgis-3 when the local
# PostgreSQL server offers no postgis extension, then makes sure the database guotu_test exists with
# the extension created. Idempotent; a few hundred milliseconds when everything is there.
# Never starts or restarts the server: if it is not reachable this says so and the PostGIS tests fail.
set -euo pipefail
export PGHOST="${PGHOST:-127.0.0.1}" PGPORT="${PGPORT:-5432}" PGUSER="${PGUSER:-postgres}"
export PGOPTIONS="${PGOPTIONS:-} -c client_min_messages=warning"
db="${GUOTU_TEST_DB:-guotu_test}"

if ! command -v psql >/dev/null 2>&1; then
  echo "setup postgis: psql not found (Debian package postgresql-client); the PostGIS tests will fail" >&2
  exit 0
fi
q() { psql -X -q -t -A -v ON_ERROR_STOP=1 -d "$1" -c "$2"; }
if ! q postgres "SELECT 1" >/dev/null 2>&1; then
  echo "setup postgis: PostgreSQL is not reachable at $PGHOST:$PGPORT as $PGUSER; the PostGIS tests will fail" >&2
  exit 0
fi
if [ -z "$(q postgres "SELECT 1 FROM pg_available_extensions WHERE name='postgis'")" ]; then
  package="postgresql-$(( $(q postgres "SHOW server_version_num") / 10000 ))-postgis-3"  # 15 → postgresql-15-postgis-3
  echo "setup postgis: installing $package" >&2
  export DEBIAN_FRONTEND=noninteractive
  # Wait for another apt/dpkg (a concurrent setup step) instead of failing on its lock.
  apt=(apt-get -qq -o DPkg::Lock::Timeout=600)
  for _ in 1 2 3 4 5 6 7 8 9 10; do "${apt[@]}" update && break; sleep 10; done
  "${apt[@]}" install -y --no-install-recommends "$package" >/dev/null
fi
if [ -z "$(q postgres "SELECT 1 FROM pg_database WHERE datname='$db'")" ]; then
  q postgres "CREATE DATABASE \"$db\"" >/dev/null
fi
q "$db" "CREATE EXTENSION IF NOT EXISTS postgis" >/dev/null
