#!/usr/bin/env bash
# SCIM figures for the release build (`just bench scim`), each the median of
# RUNS (default 3) fresh runs of api/examples/bench_scim.rs (10,000 users from
# 8 clients, then 2,000 `userName eq` lookups):
#   - Gatehouse on a fresh SQLite file, and on a fresh PostgreSQL database when
#     one answers at BENCH_PG_URL (default postgres://postgres:postgres@127.0.0.1:5432/postgres);
#   - PyPI scim2-server (in memory) served by uvicorn, the same workload;
#   - the raw SQLite insert rate of the same rows (api/examples/bench_sqlite_raw.rs).
set -euo pipefail
cd "$(dirname "$0")/.."

BIN=./target/release/gatehouse
LOAD=./target/release/examples/bench_scim
RAW=./target/release/examples/bench_sqlite_raw
PORT=${BENCH_PORT:-18081}
RUNS=${RUNS:-3}
PG=${BENCH_PG_URL:-postgres://postgres:postgres@127.0.0.1:5432/postgres}
for f in "$BIN" "$LOAD" "$RAW"; do
  [ -x "$f" ] || { echo "build first: cargo build --release -p api --bin gatehouse --example bench_scim --example bench_sqlite_raw" >&2; exit 1; }
done

median() { sort -g | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }
field() { sed -n "s/.*$1=\([0-9.]*\).*/\1/p"; }
wait_ready() {
  for _ in $(seq 1 4000); do curl -fs -o /dev/null "$1" && return 0; sleep 0.005; done
  echo "server at $1 never became ready" >&2; return 1
}

# gatehouse DATABASE_URL-or-empty → RESULT line + rss_mib=
run_gatehouse() {
  local dir pid out
  dir=$(mktemp -d)
  env ${1:+DATABASE_URL=$1} GATEHOUSE_BIND=127.0.0.1:$PORT GATEHOUSE_DATA_DIR="$dir" GATEHOUSE_SCIM_REQUESTS_PER_SECOND=0 GATEHOUSE_DOMAIN_VERIFICATION=off \
    RUST_LOG=warn "$BIN" >"$dir/server.log" 2>&1 &
  pid=$!
  wait_ready "http://127.0.0.1:$PORT/ready"
  out=$(BENCH_URL="http://127.0.0.1:$PORT" "$LOAD" | grep '^RESULT')
  echo "$out rss_mib=$(awk '/VmRSS/ {printf "%.1f", $2/1024}' "/proc/$pid/status")"
  kill -TERM "$pid"; wait "$pid" 2>/dev/null || true
  rm -rf "$dir"
}

declare -A results
record() { results[$1]+="$2"$'\n'; }

for i in $(seq 1 "$RUNS"); do
  line=$(run_gatehouse "")
  echo "gatehouse sqlite run $i: $line"
  record sqlite_rate "$(echo "$line" | field users_per_sec)"
  record sqlite_p50 "$(echo "$line" | field p50_ms)"
  record sqlite_p99 "$(echo "$line" | field p99_ms)"
  record sqlite_rss "$(echo "$line" | field rss_mib)"
done

if command -v psql >/dev/null && psql "$PG" -qtAc 'select 1' >/dev/null 2>&1; then
  for i in $(seq 1 "$RUNS"); do
    name="gh_bench_$$_$i"
    psql "$PG" -qc "CREATE DATABASE $name" >/dev/null
    line=$(run_gatehouse "${PG%/*}/$name")
    psql "$PG" -qc "DROP DATABASE $name" >/dev/null
    echo "gatehouse postgres run $i: $line"
    record pg_rate "$(echo "$line" | field users_per_sec)"
    record pg_p50 "$(echo "$line" | field p50_ms)"
    record pg_p99 "$(echo "$line" | field p99_ms)"
  done
else
  echo "PostgreSQL not reachable at $PG: skipping its column"
fi

if [ -x .venv/bin/uvicorn ]; then
  for i in $(seq 1 "$RUNS"); do
    .venv/bin/uvicorn --app-dir tools scim2_server_asgi:app --port "$PORT" --log-level warning >/dev/null 2>&1 &
    pid=$!
    wait_ready "http://127.0.0.1:$PORT/v2/ServiceProviderConfig"
    line=$(BENCH_SCIM_URL="http://127.0.0.1:$PORT/v2" "$LOAD" | grep '^RESULT')
    kill -TERM "$pid"; wait "$pid" 2>/dev/null || true
    echo "scim2-server run $i: $line"
    record py_rate "$(echo "$line" | field users_per_sec)"
    record py_p50 "$(echo "$line" | field p50_ms)"
    record py_p99 "$(echo "$line" | field p99_ms)"
  done
else
  echo "no .venv/bin/uvicorn (run \`just python-tools\`): skipping scim2-server"
fi

for i in $(seq 1 "$RUNS"); do
  line=$("$RAW")
  echo "raw run $i: $line"
  rate=$(echo "$line" | sed -n 's/.*, \([0-9]*\) users\/s$/\1/p')
  record raw_rate "$rate"
done

m() { printf '%s' "${results[$1]:-}" | grep . | median; }
echo
echo "SCIM provisioning, median of $RUNS runs (10,000 users, 8 clients; lookups: 2,000 userName eq, 1 client)"
printf '%-34s %12s %10s %10s\n' "" "users/s" "p50 ms" "p99 ms"
printf '%-34s %12s %10s %10s\n' "Gatehouse, SQLite" "$(m sqlite_rate)" "$(m sqlite_p50)" "$(m sqlite_p99)"
[ -n "${results[pg_rate]:-}" ] && printf '%-34s %12s %10s %10s\n' "Gatehouse, PostgreSQL" "$(m pg_rate)" "$(m pg_p50)" "$(m pg_p99)"
[ -n "${results[py_rate]:-}" ] && printf '%-34s %12s %10s %10s\n' "scim2-server (uvicorn, in memory)" "$(m py_rate)" "$(m py_p50)" "$(m py_p99)"
printf '%-34s %12s\n' "raw SQLite inserts (1 txn/user)" "$(m raw_rate)"
echo
[ -n "${results[py_rate]:-}" ] && awk -v g="$(m sqlite_rate)" -v p="$(m py_rate)" 'BEGIN { printf "Gatehouse (SQLite) / scim2-server: %.1fx\n", g / p }'
awk -v g="$(m sqlite_rate)" -v r="$(m raw_rate)" 'BEGIN { printf "Gatehouse (SQLite) / raw SQLite inserts: %.0f%%\n", 100 * g / r }'
echo "Gatehouse RSS after 10,000 users (SQLite): $(m sqlite_rss) MiB"
