#!/usr/bin/env bash
# Start a throw-away PostgreSQL server for the tests and print its DATABASE_URL on the last line.
# Installs Debian's postgresql package when it is missing. Usage: bash .ci/postgres.sh [PORT]
# The tests' server does not wait for the disk (fsync off); PG_DURABLE=1 starts one that does, as production
# runs, for the benchmarks: PG_DURABLE=1 bash .ci/postgres.sh 55433
set -euo pipefail
port="${1:-55432}"
if ! ls /usr/lib/postgresql/*/bin/postgres >/dev/null 2>&1; then
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >&2
  apt-get install -y -qq postgresql >&2
fi
bin=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1)
data="/tmp/imppulse-pg-$port"
durability="-c fsync=off -c synchronous_commit=off"
if [ "${PG_DURABLE:-0}" = 1 ]; then durability="-c fsync=on -c synchronous_commit=on"; fi
if ! "$bin/pg_isready" -q -h 127.0.0.1 -p "$port"; then
  rm -rf "$data"
  install -d -o postgres -g postgres "$data"
  runuser -u postgres -- "$bin/initdb" -D "$data" -A trust -U postgres -E UTF8 --locale C.UTF-8 >&2
  runuser -u postgres -- "$bin/pg_ctl" -D "$data" -l "$data/server.log" -w \
    -o "-p $port -k /tmp -c listen_addresses=127.0.0.1 $durability -c max_connections=200" \
    start >&2
fi
for name in imppulse_test imppulse_dev; do
  "$bin/psql" -q -h 127.0.0.1 -p "$port" -U postgres -tc "SELECT 1 FROM pg_database WHERE datname = '$name'" \
    | grep -q 1 || "$bin/createdb" -h 127.0.0.1 -p "$port" -U postgres "$name"
done
echo "postgresql://postgres@127.0.0.1:$port/imppulse_test"
