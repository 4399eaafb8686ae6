#!/usr/bin/env bash
# Runs a command with a throw-away PostgreSQL server: `with-postgres.sh DIR CMD...`.
# The server's URL is passed as CARELINE_TEST_POSTGRES_URL and the server is stopped afterwards.
# Under CI=true a missing PostgreSQL fails the run; elsewhere the PostgreSQL tests skip loudly.
set -uo pipefail
dir=$1; shift
here=$(cd "$(dirname "$0")" && pwd)
if url=$(bash "$here/postgres.sh" start "$dir"); then
  export CARELINE_TEST_POSTGRES_URL=$url
  trap 'bash "$here/postgres.sh" stop "$dir" >/dev/null 2>&1' EXIT
  echo "PostgreSQL test server: $url" >&2
elif [ "${CI:-}" = "true" ]; then
  echo "FATAL: PostgreSQL could not be started and CI=true requires it" >&2
  exit 3
else
  echo "WARNING: PostgreSQL could not be started: the PostgreSQL half of the suite will be SKIPPED" >&2
fi
"$@"
