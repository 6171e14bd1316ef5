#!/usr/bin/env bash
# Runs the tests that lean on processes, servers and real time (several OS processes, Redis, PostgreSQL, Quartz
# clustering, SQLite across processes) with the CPU oversubscribed, several times in a row, and says how long each took.
#
#   eng/loaded-tests.sh [RUNS] [LOAD]   RUNS: loaded runs in a row (default 3); LOAD: busy workers (default 2 per core)
#   LOADED_TESTS_IDLE=1 eng/loaded-tests.sh  also runs them once idle first, for the time to compare with
#
# The load is stress-ng's CPU workers (installed from Debian's packages when missing, as root). Uses the servers of
# AUTOTASK_POSTGRES_TEST_CONNECTION / AUTOTASK_REDIS_TEST_CONNECTION when set, else starts its own on 127.0.0.1.
# Ends with "N passed, N failed" over every run; exits non-zero when any run failed.
set -uo pipefail
cd "$(dirname "$0")/.."
runs=${1:-3}
load=${2:-$(( 2 * $(nproc) ))}
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1

classes=(
  "*MultiProcess*" "*CrossInstanceSyncTests" "*SharedLimitsTests" "*ClusteredSchedulingTests" "*SchedulingTests"
  "*PostgreSql*Tests" "*Sqlite*Tests" "*PacingTests" "*Resilience.LimitTests"
)

if ! command -v stress-ng > /dev/null 2>&1; then
  if [ "$(id -u)" -ne 0 ]; then echo "stress-ng is missing; install it with: sudo apt-get install -y stress-ng" >&2; exit 1; fi
  echo "installing stress-ng from Debian's packages" >&2
  apt-get update -qq >&2 && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq stress-ng >&2
fi

echo "==> building the tests (Release, net10.0)"
if ! dotnet build tests/Autotask.Integration.Tests -c Release -f net10.0 -nologo -v quiet > /tmp/autotask-loaded-build.log 2>&1; then
  grep -E " error " /tmp/autotask-loaded-build.log | sort -u | head -20; echo "0 passed, 1 failed"; exit 1
fi

cleanup=()
trap 'for c in "${cleanup[@]}"; do eval "$c" > /dev/null 2>&1 || true; done' EXIT
if [ -z "${AUTOTASK_POSTGRES_TEST_CONNECTION:-}" ]; then
  pg_dir=$(mktemp -d /tmp/autotask-loaded-pg.XXXXXX)
  AUTOTASK_POSTGRES_TEST_CONNECTION=$(bash eng/postgres-test-server.sh start "$pg_dir" 55462 | tail -n 1) || { echo "PostgreSQL did not start"; exit 1; }
  export AUTOTASK_POSTGRES_TEST_CONNECTION
  cleanup+=("bash eng/postgres-test-server.sh stop '$pg_dir'")
fi
if [ -z "${AUTOTASK_REDIS_TEST_CONNECTION:-}" ]; then
  redis_dir=$(mktemp -d /tmp/autotask-loaded-redis.XXXXXX)
  AUTOTASK_REDIS_TEST_CONNECTION=$(bash eng/redis-test-server.sh start "$redis_dir" 56462 | tail -n 1) || { echo "Redis did not start"; exit 1; }
  export AUTOTASK_REDIS_TEST_CONNECTION
  cleanup+=("bash eng/redis-test-server.sh stop '$redis_dir'")
fi

args=(-noColor)
for c in "${classes[@]}"; do args+=(-class "$c"); done
exe=tests/Autotask.Integration.Tests/bin/Release/net10.0/Autotask.Integration.Tests
total_passed=0; total_failed=0; status=0

run_once() { # $1: label, $2: 1 to load the CPU
  local log started seconds stress="" summary t e f s
  log=$(mktemp /tmp/autotask-loaded-run.XXXXXX.log)
  if [ "$2" = 1 ]; then
    stress-ng --cpu "$load" --timeout 0 --quiet > /dev/null 2>&1 &
    stress=$!
  fi
  started=$(date +%s)
  "$exe" "${args[@]}" > "$log" 2>&1
  seconds=$(( $(date +%s) - started ))
  [ -n "$stress" ] && { kill "$stress" 2> /dev/null; wait "$stress" 2> /dev/null; }
  summary=$(grep -Eo "Total: [0-9]+, Errors: [0-9]+, Failed: [0-9]+, Skipped: [0-9]+" "$log" | tail -n 1)
  if [ -z "$summary" ]; then
    echo "$1: no test summary (see $log)"; tail -20 "$log"; total_failed=$((total_failed + 1)); status=1; return
  fi
  read -r t e f s < <(echo "$summary" | grep -Eo "[0-9]+" | tr '\n' ' ')
  local passed=$(( t - e - f - s )) failed=$(( e + f + s ))
  total_passed=$((total_passed + passed)); total_failed=$((total_failed + failed))
  echo "$1: $passed passed, $failed failed (errors $e, skipped $s) in ${seconds} s"
  if [ "$failed" -gt 0 ]; then status=1; grep -E "\[FAIL\]" "$log" | sort -u | head -20; echo "   log: $log"; else rm -f "$log"; fi
}

[ "${LOADED_TESTS_IDLE:-0}" = 1 ] && run_once "idle" 0
for i in $(seq 1 "$runs"); do
  run_once "loaded run $i of $runs ($load CPU workers on $(nproc) cores)" 1
done

echo "$total_passed passed, $total_failed failed"
exit $status
