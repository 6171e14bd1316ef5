#!/usr/bin/env bash
# Starts or stops a throwaway Redis server for the tests, on 127.0.0.1 only, with its files in DIR.
#   eng/redis-test-server.sh start DIR PORT   -> prints a StackExchange.Redis configuration string on its last line
#   eng/redis-test-server.sh stop DIR
# Installs Debian's redis-server package first when it is missing (needs root, as in CI).
set -euo pipefail
command=${1:?start or stop}
dir=${2:?data directory}
port=${3:-56379}

if ! command -v redis-server > /dev/null 2>&1; then
  if [ "$(id -u)" -ne 0 ]; then
    echo "redis-server is missing; install it with: sudo apt-get install -y redis-server" >&2
    exit 1
  fi
  echo "installing redis-server from Debian's packages" >&2
  apt-get update -qq >&2 && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq redis-server >&2
fi

case "$command" in
  start)
    rm -rf "$dir"
    mkdir -p "$dir"
    # No persistence, no protected-mode surprises, loopback only.
    redis-server --bind 127.0.0.1 --port "$port" --dir "$dir" --save "" --appendonly no \
      --daemonize yes --pidfile "$dir/redis.pid" --logfile "$dir/redis.log" > /dev/null
    for _ in $(seq 1 100); do
      if redis-cli -h 127.0.0.1 -p "$port" ping 2> /dev/null | grep -q PONG; then
        echo "127.0.0.1:$port"
        exit 0
      fi
      sleep 0.1
    done
    cat "$dir/redis.log" >&2 || true
    exit 1
    ;;
  stop)
    if [ -f "$dir/redis.pid" ]; then kill "$(cat "$dir/redis.pid")" 2> /dev/null || true; fi
    for _ in $(seq 1 50); do
      [ -f "$dir/redis.pid" ] && kill -0 "$(cat "$dir/redis.pid")" 2> /dev/null || break
      sleep 0.1
    done
    rm -rf "$dir"
    ;;
  *)
    echo "usage: $0 start DIR PORT | stop DIR" >&2
    exit 2
    ;;
esac
