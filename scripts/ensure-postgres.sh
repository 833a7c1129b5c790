#!/usr/bin/env bash
# Makes sure a PostgreSQL server for the tests runs on 127.0.0.1:${MANYI_PG_PORT:-54329}.
# Installs Debian's packages when missing, keeps its own cluster (never touches the system one)
# and prints the `export DATABASE_URL=…` line for the caller to source.
set -euo pipefail
port="${MANYI_PG_PORT:-54329}"
dir="${MANYI_PG_DIR:-/var/tmp/manyi-test-pg}"
url="postgres://manyi:manyi@127.0.0.1:${port}/manyi"

bindir=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true)
if [ -z "$bindir" ] || [ ! -x "$bindir/initdb" ]; then
  echo "installing PostgreSQL (apt-get)…" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >&2
  apt-get install -y -qq postgresql postgresql-contrib >&2
  bindir=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1)
fi

as_pg() {
  if [ "$(id -u)" = "0" ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

if [ "$(id -u)" = "0" ] && ! id postgres >/dev/null 2>&1; then
  useradd --system --home "$dir" --shell /usr/sbin/nologin postgres
fi

if [ ! -f "$dir/data/PG_VERSION" ]; then
  mkdir -p "$dir"
  [ "$(id -u)" = "0" ] && chown postgres: "$dir"
  as_pg "$bindir/initdb" -D "$dir/data" -U postgres --auth=trust -E UTF8 --locale=C.UTF-8 >&2
fi

if ! as_pg "$bindir/pg_ctl" -D "$dir/data" status >/dev/null 2>&1; then
  as_pg "$bindir/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 \
    -o "-p $port -k $dir -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off" \
    start >&2
fi

psql_pg() { as_pg "$bindir/psql" -h 127.0.0.1 -p "$port" -U postgres -v ON_ERROR_STOP=1 -qAt "$@"; }
if [ "$(psql_pg -c "SELECT 1 FROM pg_roles WHERE rolname='manyi'")" != "1" ]; then
  psql_pg -c "CREATE ROLE manyi LOGIN PASSWORD 'manyi' CREATEDB" >&2
fi
if [ "$(psql_pg -c "SELECT 1 FROM pg_database WHERE datname='manyi'")" != "1" ]; then
  psql_pg -c "CREATE DATABASE manyi OWNER manyi" >&2
fi
echo "export DATABASE_URL=$url"
