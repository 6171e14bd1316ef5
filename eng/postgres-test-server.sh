#!/usr/bin/env bash
# Starts or stops a throwaway PostgreSQL server for the tests, on 127.0.0.1 only, with its data in DIR.
#   eng/postgres-test-server.sh start DIR PORT   -> prints an Npgsql connection string on its last line
#   eng/postgres-test-server.sh stop DIR
# Installs Debian's postgresql package first when no server binaries are found (needs root, as in CI).
set -euo pipefail
command=${1:?start or stop}
dir=${2:?data directory}
port=${3:-55432}

find_bin() { ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1; }
bin=$(find_bin)
if [ -z "$bin" ] || [ ! -x "$bin/initdb" ]; then
  if [ "$(id -u)" -ne 0 ]; then
    echo "PostgreSQL server binaries are missing; install them with: sudo apt-get install -y postgresql" >&2
    exit 1
  fi
  echo "installing PostgreSQL from Debian's packages" >&2
  apt-get update -qq >&2 && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >&2
  bin=$(find_bin)
fi

as_postgres() {
  if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

case "$command" in
  start)
    rm -rf "$dir"
    mkdir -p "$dir"
    if [ "$(id -u)" -eq 0 ]; then chown postgres "$dir"; fi
    as_postgres "$bin/initdb" -D "$dir/data" -U postgres --auth=trust -E UTF8 --no-instructions > "$dir/initdb.log" 2>&1 \
      || { cat "$dir/initdb.log" >&2; exit 1; }
    as_postgres "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 \
      -o "-c listen_addresses=127.0.0.1 -p $port -k $dir -c fsync=off -c max_connections=200" start > /dev/null \
      || { cat "$dir/server.log" >&2; exit 1; }
    echo "Host=127.0.0.1;Port=$port;Username=postgres;Database=postgres;Pooling=true;Maximum Pool Size=50"
    ;;
  stop)
    if [ -d "$dir/data" ]; then as_postgres "$bin/pg_ctl" -D "$dir/data" -m fast -w stop > /dev/null || true; fi
    rm -rf "$dir"
    ;;
  *)
    echo "usage: $0 start DIR PORT | stop DIR" >&2
    exit 2
    ;;
esac
