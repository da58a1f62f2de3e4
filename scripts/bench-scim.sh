#!/usr/bin/env bash
# SCIM figures for the release build (`just bench scim`): a fresh server on a
# fresh SQLite file (or DATABASE_URL), the SCIM rate limit off, then the load
# generator in api/examples/bench_scim.rs.
set -euo pipefail
cd "$(dirname "$0")/.."

BIN=./target/release/gatehouse
LOAD=./target/release/examples/bench_scim
PORT=${BENCH_PORT:-18081}
[ -x "$BIN" ] && [ -x "$LOAD" ] || { echo "build first: cargo build --release -p api --bin gatehouse --example bench_scim" >&2; exit 1; }

dir=$(mktemp -d)
GATEHOUSE_BIND=127.0.0.1:$PORT GATEHOUSE_DATA_DIR="$dir" GATEHOUSE_SCIM_REQUESTS_PER_SECOND=0 RUST_LOG=warn "$BIN" >"$dir/server.log" 2>&1 &
pid=$!
trap 'kill -TERM $pid 2>/dev/null; wait $pid 2>/dev/null; rm -rf "$dir"' EXIT
for _ in $(seq 1 2000); do
  curl -fs -o /dev/null "http://127.0.0.1:$PORT/ready" && break
  sleep 0.005
done
if [ -n "${DATABASE_URL:-}" ]; then echo "database: PostgreSQL (DATABASE_URL)"; else echo "database: SQLite (fresh file)"; fi
BENCH_URL="http://127.0.0.1:$PORT" "$LOAD"
echo "server RSS after the run: $(awk '/VmRSS/ {printf "%.1f MiB", $2/1024}' "/proc/$pid/status")"
