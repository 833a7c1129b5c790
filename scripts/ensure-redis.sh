#!/usr/bin/env bash
# Makes sure a private Redis for the tests runs on 127.0.0.1:${MANYI_REDIS_PORT:-63799}.
# Installs Debian's redis-server when missing, never touches a system instance (its own config,
# data and log under ${MANYI_REDIS_DIR:-var/redis}), and prints the `export MANYI_REDIS_URL=…`
# line for the caller to source. Used by the several-process soak (tests/soak, RQ workers).
set -euo pipefail
cd "$(dirname "$0")/.."
port="${MANYI_REDIS_PORT:-63799}"
dir="${MANYI_REDIS_DIR:-$PWD/var/redis}"
url="redis://127.0.0.1:${port}/0"

if ! command -v redis-server >/dev/null 2>&1; then
  echo "installing Redis (apt-get)…" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >&2
  apt-get install -y -qq --no-install-recommends redis-server >&2
fi

ping() { redis-cli -h 127.0.0.1 -p "$port" ping 2>/dev/null | grep -q PONG; }

if ! ping; then
  mkdir -p "$dir"
  # Loopback only, no password (nothing else can reach it); data kept across restarts in $dir.
  redis-server --bind 127.0.0.1 --port "$port" --dir "$dir" --daemonize yes \
    --pidfile "$dir/redis.pid" --logfile "$dir/redis.log" --save 60 1 --appendonly yes \
    --protected-mode yes >&2
  for _ in $(seq 1 50); do
    ping && break
    sleep 0.1
  done
  ping || { echo "Redis did not start on port $port; see $dir/redis.log" >&2; exit 1; }
fi
echo "export MANYI_REDIS_URL=$url"
